/* SPDX-License-Identifier: MIT */
/*
 * hedui report get ID [-o FILE] [--json]: fetches a stored report, signed
 * as the agency like a verification.
 * hedui report verify FILE --cert SERVICE.crt [--ca CA]: checks a saved
 * report's signature offline.
 *
 * A saved report is a serialized hedui.v1.VerifyHouseholdResponse holding
 * report (the exact signed bytes), signature, signature_alg and, for a
 * report signed in a group, its proof (docs/REPORT-FORMAT.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "agency_sig.h"
#include "cli.h"
#include "hedui/v1/verifier.pb-c.h"
#include "pb_strcheck.h"
#include "report_sig.h"
#include "utf8.h"
#include "verdict_json.h"
#include "verdict_table.h"

/* Text from the service (or from a saved file) on its way to a terminal:
 * no control characters, no bytes that are not UTF-8. */
static const char *term_text(const char *s, char *buf, size_t len)
{
	return utf8_sanitize(s, buf, len, true);
}

#define GET_REPORT_METHOD "hedui.v1.Verifier/GetReport"
#define REPORT_FILE_MAX (16u << 20)

static int report_usage(void)
{
	fprintf(stderr, "usage: hedui report get ID [-o FILE] [--json]\n"
	                "       hedui report verify FILE --cert SERVICE.crt "
	                "[--ca CA.crt]\n");
	return CLI_EXIT_USAGE;
}

static int report_save(
    const char *path, const Hedui__V1__VerifyHouseholdResponse *r)
{
	Hedui__V1__VerifyHouseholdResponse out =
	    HEDUI__V1__VERIFY_HOUSEHOLD_RESPONSE__INIT;
	out.report = r->report;
	out.signature = r->signature;
	out.signature_alg = r->signature_alg;
	out.proof = r->proof;
	size_t len =
	    hedui__v1__verify_household_response__get_packed_size(&out);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL) {
		fprintf(stderr, "hedui: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	hedui__v1__verify_household_response__pack(&out, buf);
	FILE *f = fopen(path, "wb");
	bool ok = f != NULL && fwrite(buf, 1, len, f) == len;
	if (f != NULL && fclose(f) != 0)
		ok = false;
	free(buf);
	if (!ok) {
		fprintf(stderr, "hedui: cannot write %s\n", path);
		return CLI_EXIT_FAILURE;
	}
	char id[64], alg[64];
	printf("report %s saved to %s (%zu bytes of report, %s)\n",
	    term_text(r->verdict != NULL ? r->verdict->report_id : "?", id,
	        sizeof id),
	    path, r->report.len, term_text(r->signature_alg, alg, sizeof alg));
	return CLI_EXIT_OK;
}

static int report_get(cli_ctx *ctx)
{
	const char *id = NULL, *out = NULL;
	for (int i = 2; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		if (strcmp(a, "--json") == 0)
			ctx->json = true;
		else if (strcmp(a, "-o") == 0 && i + 1 < ctx->argc)
			out = ctx->argv[++i];
		else if (a[0] == '-' || id != NULL)
			return report_usage();
		else
			id = a;
	}
	if (id == NULL)
		return report_usage();

	Hedui__V1__GetReportRequest req = HEDUI__V1__GET_REPORT_REQUEST__INIT;
	Hedui__V1__AgencyAuth auth = HEDUI__V1__AGENCY_AUTH__INIT;
	ProtobufCMessage *resp = NULL;
	char err[256], rid[33];
	int rc = CLI_EXIT_USAGE;
	if (!cli_operator_ok(ctx))
		return CLI_EXIT_USAGE;
	agency_signer *signer =
	    agency_signer_load(ctx->cert, ctx->key, err, sizeof err);
	if (signer == NULL) {
		fprintf(stderr, "hedui: cannot sign the request: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	unsigned char rnd[16];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	for (int i = 0; i < 16; i++)
		snprintf(rid + 2 * i, 3, "%02x", rnd[i]);
	req.report_id = (char *)id;
	req.auth = &auth;
	hd_err e = agency_signer_sign(signer, GET_REPORT_METHOD, rid,
	    ctx->operator_id, (const uint8_t *)id, strlen(id),
	    agency_sig_now_ms(), &auth);
	if (e != HD_OK) {
		fprintf(stderr, "hedui: cannot sign the request: %s\n",
		    hd_strerror(e));
		goto out;
	}
	if ((rc = cli_connect(ctx)) >= 0)
		goto out;
	rpc_call_opts opts;
	rpc_metadata md[2];
	char trace[33];
	rpc_status st;
	cli_call_opts(ctx, &opts, md, trace);
	opts.request_id = rid;
	rpc_code code = rpc_client_call(ctx->client, GET_REPORT_METHOD,
	    &req.base, &hedui__v1__verify_household_response__descriptor,
	    &resp, &opts, &st);
	if (code != RPC_OK) {
		rc = cli_report_status("report get", code, &st);
		goto out;
	}
	const Hedui__V1__VerifyHouseholdResponse *r =
	    (const Hedui__V1__VerifyHouseholdResponse *)resp;
	if (out != NULL) {
		rc = report_save(out, r);
	} else {
		e = ctx->json ? verdict_json_print(stdout, r)
		              : verdict_table_print(stdout, r);
		rc = e == HD_OK ? CLI_EXIT_OK : CLI_EXIT_STATUS;
		if (e != HD_OK)
			fprintf(stderr, "hedui: report get: the answer holds "
			                "no verdict\n");
	}
out:
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	agency_auth_release(&auth);
	agency_signer_free(signer);
	return rc;
}

static uint8_t *report_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	uint8_t *buf = malloc(REPORT_FILE_MAX);
	size_t n = buf != NULL ? fread(buf, 1, REPORT_FILE_MAX, f) : 0;
	fclose(f);
	*len = n;
	return buf;
}

static int report_verify(cli_ctx *ctx)
{
	const char *file = NULL, *cert = NULL, *ca = NULL;
	for (int i = 2; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		if (strcmp(a, "--cert") == 0 && i + 1 < ctx->argc)
			cert = ctx->argv[++i];
		else if (strcmp(a, "--ca") == 0 && i + 1 < ctx->argc)
			ca = ctx->argv[++i];
		else if (a[0] == '-' || file != NULL)
			return report_usage();
		else
			file = a;
	}
	if (file == NULL || cert == NULL)
		return report_usage();
	size_t len = 0;
	uint8_t *buf = report_read_file(file, &len);
	if (buf == NULL) {
		fprintf(stderr, "hedui: cannot read %s\n", file);
		return CLI_EXIT_USAGE;
	}
	int rc = CLI_EXIT_FAILURE;
	char err[256];
	Hedui__V1__Verdict *v = NULL;
	Hedui__V1__VerifyHouseholdResponse *r =
	    hedui__v1__verify_household_response__unpack(NULL, len, buf);
	if (r == NULL || r->report.len == 0 || r->signature.len == 0) {
		fprintf(stderr,
		    "hedui: %s: FAILED: not a saved report (it does "
		    "not decode: altered or truncated?)\n",
		    file);
		goto out;
	}
	if (strcmp(r->signature_alg, REPORT_SIG_ALG) != 0 &&
	    strcmp(r->signature_alg, REPORT_SIG_ALG_MERKLE) != 0) {
		char alg[64];
		fprintf(stderr,
		    "hedui: %s: FAILED: unknown signature "
		    "algorithm \"%s\"\n",
		    file, term_text(r->signature_alg, alg, sizeof alg));
		goto out;
	}
	/* The certificate first: a bad one is not the report's fault. */
	report_verifier *rv = report_verifier_load(cert, ca, err, sizeof err);
	if (rv == NULL) {
		fprintf(stderr, "hedui: %s: FAILED: %s\n", file, err);
		goto out;
	}
	hd_err e = report_verifier_check(rv, r, err, sizeof err);
	report_verifier_free(rv);
	if (e != HD_OK) {
		fprintf(stderr, "hedui: %s: FAILED: %s\n", file, err);
		goto out;
	}
	pb_strcheck_problem prob;
	if (!pb_strcheck_message(&hedui__v1__verdict__descriptor,
	        r->report.data, r->report.len, &prob)) {
		fprintf(stderr,
		    "hedui: %s: FAILED: the report's field %s %s\n", file,
		    prob.field, prob.reason);
		goto out;
	}
	v = hedui__v1__verdict__unpack(NULL, r->report.len, r->report.data);
	if (v == NULL) {
		fprintf(stderr,
		    "hedui: %s: FAILED: the signed bytes are not a "
		    "hedui.v1.Verdict\n",
		    file);
		goto out;
	}
	char t[6][96];
	printf("OK: report %s (agency %s, region %s, case %s, %s: %s) is "
	       "signed by %s",
	    term_text(v->report_id, t[0], sizeof t[0]),
	    term_text(v->agency, t[1], sizeof t[1]),
	    term_text(v->region_code, t[2], sizeof t[2]),
	    term_text(v->case_id, t[3], sizeof t[3]),
	    term_text(v->program, t[4], sizeof t[4]),
	    term_text(v->conclusion, t[5], sizeof t[5]), cert);
	if (r->proof != NULL)
		printf(", report %llu of %llu in its signed group",
		    (unsigned long long)r->proof->leaf_index + 1,
		    (unsigned long long)r->proof->tree_size);
	printf("\n");
	rc = CLI_EXIT_OK;
out:
	if (v != NULL)
		hedui__v1__verdict__free_unpacked(v, NULL);
	if (r != NULL)
		hedui__v1__verify_household_response__free_unpacked(r, NULL);
	free(buf);
	return rc;
}

int cmd_report(cli_ctx *ctx)
{
	if (ctx->argc >= 2 && strcmp(ctx->argv[1], "get") == 0)
		return report_get(ctx);
	if (ctx->argc >= 2 && strcmp(ctx->argv[1], "verify") == 0)
		return report_verify(ctx);
	return report_usage();
}
