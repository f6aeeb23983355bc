/* SPDX-License-Identifier: MIT */
/*
 * hedui verify FILE: reads a household file, checks it as the service
 * would, signs it as the agency and asks the service for a verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency_sig.h"
#include "cli.h"
#include "hedui/v1/verifier.pb-c.h"
#include "household.h"
#include "household_json.h"
#include "verdict_json.h"
#include "verdict_table.h"

#define VERIFY_METHOD "hedui.v1.Verifier/VerifyHousehold"

static int verify_usage(void)
{
	fprintf(stderr, "usage: hedui verify FILE [--json]   "
	                "(FILE: household JSON, - for standard input)\n");
	return CLI_EXIT_USAGE;
}

/* The file name; --json may come before or after it, since the global
 * options end at the command name. NULL on bad usage. */
static const char *verify_args(cli_ctx *ctx)
{
	const char *file = NULL;
	for (int i = 1; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		if (strcmp(a, "--json") == 0)
			ctx->json = true;
		else if (a[0] == '-' && a[1] != '\0')
			return NULL;
		else if (file != NULL)
			return NULL;
		else
			file = a;
	}
	return file;
}

/* Reads and checks the file; NULL after saying what is wrong. */
static Hedui__V1__Household *verify_load(const char *path, bool *made_id)
{
	const char *file = strcmp(path, "-") == 0 ? "(standard input)" : path;
	household_json_result jr;
	Hedui__V1__Household *h = household_json_load(path, &jr);
	if (h == NULL) {
		fprintf(stderr, "hedui: %s: %s\n", file, jr.error);
		return NULL;
	}
	household_norm norm;
	household_problem p;
	if (!household_check(h, idnum_date_today(), &norm, &p)) {
		char msg[256];
		household_problem_format(&p, msg, sizeof msg);
		fprintf(stderr, "hedui: %s: %s\n", file, msg);
		if (p.code == RPC_FAILED_PRECONDITION)
			fprintf(stderr,
			    "hedui: nothing was sent: every member "
			    "needs a consent_ref (先授权、后核对)\n");
		household_json_free(h);
		return NULL;
	}
	/* Send the normal form (upper-case X) so that a retry of the same
	 * household signs and sends the same bytes. */
	for (size_t i = 0; i < h->n_members; i++)
		if (strcmp(h->members[i]->id_number, norm.ids[i]) != 0)
			memcpy(
			    h->members[i]->id_number, norm.ids[i], IDNUM_LEN);
	*made_id = jr.request_id_made;
	return h;
}

/* Packs and signs the household; false after saying why. */
static bool verify_sign(const cli_ctx *ctx, const Hedui__V1__Household *h,
    Hedui__V1__VerifyHouseholdRequest *req, agency_signer **signer)
{
	char err[256];
	if (!cli_operator_ok(ctx))
		return false;
	*signer = agency_signer_load(ctx->cert, ctx->key, err, sizeof err);
	if (*signer == NULL) {
		fprintf(stderr,
		    "hedui: cannot sign the request: %s (--cert "
		    "and --key must be the agency's certificate "
		    "and key)\n",
		    err);
		return false;
	}
	size_t len = hedui__v1__household__get_packed_size(h);
	req->household.data = malloc(len > 0 ? len : 1);
	if (req->household.data == NULL) {
		fprintf(stderr, "hedui: out of memory\n");
		return false;
	}
	req->household.len =
	    hedui__v1__household__pack(h, req->household.data);
	/* The operator is signed too: it is what the audit trail records. */
	hd_err e = agency_signer_sign(*signer, VERIFY_METHOD, h->request_id,
	    ctx->operator_id, req->household.data, req->household.len,
	    agency_sig_now_ms(), req->auth);
	if (e != HD_OK) {
		fprintf(stderr, "hedui: cannot sign the request: %s\n",
		    hd_strerror(e));
		return false;
	}
	return true;
}

/* Prints the verdict in the chosen format; the exit code. */
static int verify_print(const cli_ctx *ctx, ProtobufCMessage *resp)
{
	const Hedui__V1__VerifyHouseholdResponse *r =
	    (const Hedui__V1__VerifyHouseholdResponse *)resp;
	hd_err e = ctx->json ? verdict_json_print(stdout, r)
	                     : verdict_table_print(stdout, r);
	if (e == HD_EINVAL) {
		fprintf(stderr, "hedui: verify: the service's answer holds no "
		                "verdict\n");
		return CLI_EXIT_STATUS;
	}
	if (e != HD_OK) {
		fprintf(stderr,
		    "hedui: verify: cannot print the verdict: "
		    "%s\n",
		    hd_strerror(e));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

/* How many addresses --server names (a,b,c: replicas). */
static int verify_replicas(const cli_ctx *ctx)
{
	int n = 1;
	for (const char *p = ctx->server; *p != '\0'; p++)
		n += *p == ',';
	return n;
}

int cmd_verify(cli_ctx *ctx)
{
	Hedui__V1__VerifyHouseholdRequest req =
	    HEDUI__V1__VERIFY_HOUSEHOLD_REQUEST__INIT;
	Hedui__V1__AgencyAuth auth = HEDUI__V1__AGENCY_AUTH__INIT;
	agency_signer *signer = NULL;
	ProtobufCMessage *resp = NULL;
	bool made_id = false;
	int rc = CLI_EXIT_USAGE;

	const char *file = verify_args(ctx);
	if (file == NULL)
		return verify_usage();
	Hedui__V1__Household *h = verify_load(file, &made_id);
	if (h == NULL)
		return CLI_EXIT_USAGE;
	req.auth = &auth;
	if (!verify_sign(ctx, h, &req, &signer))
		goto out;
	/* Only now: a bad file is reported without touching the network. */
	if ((rc = cli_connect(ctx)) >= 0)
		goto out;

	rpc_call_opts opts;
	rpc_metadata md[2];
	char trace[33];
	rpc_status st;
	cli_call_opts(ctx, &opts, md, trace);
	/* The envelope carries the id that was signed. */
	opts.request_id = h->request_id;
	uint64_t t0 = agency_sig_now_ms();
	uint32_t budget = opts.deadline_ms;
	rpc_code code = rpc_client_call(ctx->client, VERIFY_METHOD, &req.base,
	    &hedui__v1__verify_household_response__descriptor, &resp, &opts,
	    &st);
	/* With several replicas (--server a,b), a call whose replica went
	 * away or could not serve is asked again of another, within the
	 * same deadline: signed afresh (the same bytes twice would be a
	 * replay) under the same request_id, so that a replica that did
	 * commit the first answers with that very report. */
	for (int again = verify_replicas(ctx) - 1;
	     code == RPC_UNAVAILABLE && again > 0; again--) {
		uint64_t used = agency_sig_now_ms() - t0;
		if (budget != 0 && used + 100 >= budget)
			break;
		fprintf(stderr,
		    "hedui: verify: %s; asking another replica (same "
		    "request id)\n",
		    st.message);
		agency_auth_release(&auth);
		hedui__v1__agency_auth__init(&auth);
		if (agency_signer_sign(signer, VERIFY_METHOD, h->request_id,
		        ctx->operator_id, req.household.data,
		        req.household.len, agency_sig_now_ms(),
		        &auth) != HD_OK)
			break;
		if (budget != 0)
			opts.deadline_ms = budget - (uint32_t)used;
		code = rpc_client_call(ctx->client, VERIFY_METHOD, &req.base,
		    &hedui__v1__verify_household_response__descriptor, &resp,
		    &opts, &st);
	}
	if (code != RPC_OK) {
		rc = cli_report_status("verify", code, &st);
		if (made_id && rc == CLI_EXIT_UNREACHABLE)
			fprintf(stderr,
			    "hedui: to retry without risking a "
			    "second report, add \"request_id\": "
			    "\"%s\" to the household file\n",
			    h->request_id);
		goto out;
	}
	rc = verify_print(ctx, resp);
out:
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	agency_auth_release(&auth);
	agency_signer_free(signer);
	free(req.household.data);
	household_json_free(h);
	return rc;
}
