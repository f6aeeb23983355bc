/* SPDX-License-Identifier: MIT */
/*
 * hedui consent: the consent registry (docs/CONSENT.md).
 *
 *   hedui consent add FILE [--form SCAN] [--json]
 *   hedui consent revoke NUMBER --reason TEXT [--region CODE] [--json]
 *   hedui consent show NUMBER [--region CODE] [--json]
 *   hedui consent list (--member ID | --number NUMBER |
 *       --expiring-before DATE | --expiring-within DAYS)
 *       [--region PREFIX] [--limit N] [--page-token T] [--json]
 *
 * Each call is signed as the agency, like a verification. A consent file
 * is checked as the service would before anything is sent; exit status as
 * verify's (README, "Running it yourself").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "agency_sig.h"
#include "cli.h"
#include "consent_form.h"
#include "consent_call.h"
#include "consent_json.h"
#include "consent_print.h"
#include "hedui/v1/consent.pb-c.h"
#include "utf8.h"


static int consent_usage(void)
{
	fprintf(stderr,
	    "usage: hedui consent add FILE [--form SCAN] [--json]\n"
	    "       hedui consent revoke NUMBER --reason TEXT [--region "
	    "CODE] [--json]\n"
	    "       hedui consent show NUMBER [--region CODE] [--json]\n"
	    "       hedui consent list (--member ID | --number NUMBER |\n"
	    "           --expiring-before YYYY-MM-DD | --expiring-within "
	    "DAYS)\n"
	    "           [--region PREFIX] [--limit N] [--page-token T] "
	    "[--json]\n");
	return CLI_EXIT_USAGE;
}

int consent_call(cli_ctx *ctx, agency_signer *signer,
    const char *method, const ProtobufCMessage *body, ProtobufCMessage **resp,
    const char *what)
{
	char full[64], rid[33];
	unsigned char rnd[16];
	snprintf(full, sizeof full, "%s%s", CONSENT_SERVICE, method);
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	for (int i = 0; i < 16; i++)
		snprintf(rid + 2 * i, 3, "%02x", rnd[i]);
	size_t len = protobuf_c_message_get_packed_size(body);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL) {
		fprintf(stderr, "hedui: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	protobuf_c_message_pack(body, buf);
	Hedui__V1__AgencyAuth auth = HEDUI__V1__AGENCY_AUTH__INIT;
	hd_err e = agency_signer_sign(signer, full, rid, ctx->operator_id, buf,
	    len, agency_sig_now_ms(), &auth);
	if (e != HD_OK) {
		free(buf);
		fprintf(stderr, "hedui: cannot sign the request: %s\n",
		    hd_strerror(e));
		return CLI_EXIT_USAGE;
	}
	/* Every Consents request is { bytes body = 1; AgencyAuth auth = 2 }.
	 */
	Hedui__V1__RegisterConsentRequest req =
	    HEDUI__V1__REGISTER_CONSENT_REQUEST__INIT;
	req.consent.data = buf;
	req.consent.len = len;
	req.auth = &auth;
	rpc_call_opts opts;
	rpc_metadata md[2];
	char trace[33];
	rpc_status st;
	cli_call_opts(ctx, &opts, md, trace);
	opts.request_id = rid;
	const ProtobufCMessageDescriptor *out =
	    strcmp(method, "ListConsents") == 0
	        ? &hedui__v1__list_consents_response__descriptor
	        : &hedui__v1__consent_response__descriptor;
	rpc_code code = rpc_client_call(
	    ctx->client, full, &req.base, out, resp, &opts, &st);
	agency_auth_release(&auth);
	free(buf);
	if (code != RPC_OK)
		return cli_report_status(what, code, &st);
	return CLI_EXIT_OK;
}

static agency_signer *consent_signer(const cli_ctx *ctx)
{
	char err[256];
	if (!cli_operator_ok(ctx))
		return NULL;
	agency_signer *s =
	    agency_signer_load(ctx->cert, ctx->key, err, sizeof err);
	if (s == NULL)
		fprintf(stderr,
		    "hedui: cannot sign the request: %s (--cert and --key "
		    "must be the agency's certificate and key)\n",
		    err);
	return s;
}

/* The SHA-256 of a file, in lower-case hex. */
static bool consent_digest_file(const char *path, char out[65])
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
	unsigned char buf[65536], md[32];
	size_t n;
	while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0)
		ok = EVP_DigestUpdate(c, buf, n) == 1;
	unsigned int mdlen = 0;
	ok = ok && !ferror(f) && EVP_DigestFinal_ex(c, md, &mdlen) == 1 &&
	     mdlen == 32;
	EVP_MD_CTX_free(c);
	fclose(f);
	for (int i = 0; ok && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return ok;
}

static int consent_add(cli_ctx *ctx)
{
	const char *file = NULL, *form = NULL;
	for (int i = 2; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		if (strcmp(a, "--json") == 0)
			ctx->json = true;
		else if (strcmp(a, "--form") == 0 && i + 1 < ctx->argc)
			form = ctx->argv[++i];
		else if ((a[0] == '-' && a[1] != '\0') || file != NULL)
			return consent_usage();
		else
			file = a;
	}
	if (file == NULL)
		return consent_usage();
	const char *shown = strcmp(file, "-") == 0 ? "(standard input)" : file;
	Hedui__V1__Consent **list = NULL;
	size_t n = 0;
	consent_json_result jr;
	if (consent_json_load(file, &list, &n, &jr) != 0) {
		fprintf(stderr, "hedui: %s: %s\n", shown, jr.error);
		return CLI_EXIT_USAGE;
	}
	int rc = CLI_EXIT_USAGE;
	agency_signer *signer = NULL;
	char digest[65];
	if (form != NULL) {
		if (n != 1) {
			fprintf(stderr,
			    "hedui: --form goes with a file of one "
			    "consent\n");
			goto out;
		}
		if (!consent_digest_file(form, digest)) {
			fprintf(stderr, "hedui: cannot read %s\n", form);
			goto out;
		}
		if (list[0]->form_sha256[0] != '\0' &&
		    strcasecmp(list[0]->form_sha256, digest) != 0) {
			fprintf(stderr,
			    "hedui: %s: form_sha256 is not the SHA-256 of "
			    "%s\n",
			    shown, form);
			goto out;
		}
		if (list[0]->form_sha256 != protobuf_c_empty_string)
			free(list[0]->form_sha256);
		list[0]->form_sha256 = strdup(digest);
		if (list[0]->form_sha256 == NULL)
			goto out;
	}
	/* Every consent checked before any is sent. */
	for (size_t i = 0; i < n; i++) {
		consent_form f;
		consent_problem p;
		if (!consent_form_check(list[i], idnum_date_today(), &f, &p)) {
			char where[32] = "";
			if (n > 1)
				snprintf(
				    where, sizeof where, "consents[%zu].", i);
			fprintf(stderr, "hedui: %s: %s%s %s\n", shown, where,
			    p.field, p.reason);
			goto out;
		}
	}
	if ((signer = consent_signer(ctx)) == NULL)
		goto out;
	if ((rc = cli_connect(ctx)) >= 0)
		goto out;
	rc = CLI_EXIT_OK;
	if (ctx->json && n > 1)
		printf("[\n");
	for (size_t i = 0; i < n; i++) {
		ProtobufCMessage *resp = NULL;
		int r = consent_call(ctx, signer, "RegisterConsent",
		    &list[i]->base, &resp, "consent add");
		if (r == CLI_EXIT_OK) {
			Hedui__V1__ConsentResponse *cr =
			    (Hedui__V1__ConsentResponse *)resp;
			if (cr->record == NULL) {
				r = CLI_EXIT_STATUS;
			} else if (ctx->json) {
				if (i > 0 && n > 1)
					printf(",\n");
				consent_print_json(
				    stdout, cr->record, cr->unchanged);
			} else {
				if (i > 0)
					printf("\n");
				consent_print_table(stdout, cr->record,
				    cr->unchanged
				        ? "已登记 already registered "
				          "(unchanged)"
				        : "已登记 registered");
			}
		}
		if (resp != NULL)
			protobuf_c_message_free_unpacked(resp, NULL);
		if (r != CLI_EXIT_OK && rc == CLI_EXIT_OK)
			rc = r;
		if (r == CLI_EXIT_UNREACHABLE)
			break; /* the rest would fail alike */
	}
	if (ctx->json && n > 1)
		printf("]\n");
out:
	agency_signer_free(signer);
	consent_json_free(list, n);
	return rc;
}

/* NUMBER and the options of revoke and show. */
static int consent_one(cli_ctx *ctx, bool is_revoke)
{
	const char *number = NULL, *region = "", *reason = NULL;
	for (int i = 2; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		if (strcmp(a, "--json") == 0)
			ctx->json = true;
		else if (strcmp(a, "--region") == 0 && i + 1 < ctx->argc)
			region = ctx->argv[++i];
		else if (is_revoke && strcmp(a, "--reason") == 0 &&
		         i + 1 < ctx->argc)
			reason = ctx->argv[++i];
		else if (a[0] == '-' || number != NULL)
			return consent_usage();
		else
			number = a;
	}
	if (number == NULL || (is_revoke && reason == NULL))
		return consent_usage();
	if (!consent_number_ok(number)) {
		fprintf(stderr,
		    "hedui: NUMBER must be 1 to %d bytes without "
		    "spaces, control characters, quotes, "
		    "backslashes or commas\n",
		    CONSENT_NUMBER_MAX);
		return CLI_EXIT_USAGE;
	}
	if (region[0] != '\0' && !consent_region_ok(region)) {
		fprintf(stderr, "hedui: --region must be 6 digits\n");
		return CLI_EXIT_USAGE;
	}
	if (is_revoke &&
	    (reason[0] == '\0' || strlen(reason) > CONSENT_REASON_MAX ||
	        !utf8_valid(reason, strlen(reason)))) {
		fprintf(stderr,
		    "hedui: --reason must be 1 to %d bytes of text\n",
		    CONSENT_REASON_MAX);
		return CLI_EXIT_USAGE;
	}
	agency_signer *signer = consent_signer(ctx);
	if (signer == NULL)
		return CLI_EXIT_USAGE;
	int rc = cli_connect(ctx);
	ProtobufCMessage *resp = NULL;
	if (rc >= 0)
		goto out;
	if (is_revoke) {
		Hedui__V1__ConsentRevocation rv =
		    HEDUI__V1__CONSENT_REVOCATION__INIT;
		rv.number = (char *)number;
		rv.region_code = (char *)region;
		rv.reason = (char *)reason;
		rc = consent_call(ctx, signer, "RevokeConsent", &rv.base,
		    &resp, "consent revoke");
	} else {
		Hedui__V1__ConsentKey k = HEDUI__V1__CONSENT_KEY__INIT;
		k.number = (char *)number;
		k.region_code = (char *)region;
		rc = consent_call(
		    ctx, signer, "GetConsent", &k.base, &resp, "consent show");
	}
	if (rc != CLI_EXIT_OK)
		goto out;
	Hedui__V1__ConsentResponse *cr = (Hedui__V1__ConsentResponse *)resp;
	if (cr->record == NULL) {
		rc = CLI_EXIT_STATUS;
		goto out;
	}
	const char *note = !is_revoke ? ""
	                   : cr->unchanged
	                       ? "已撤回 already revoked (unchanged)"
	                       : "已撤回 revoked";
	hd_err e = ctx->json
	               ? consent_print_json(stdout, cr->record, cr->unchanged)
	               : consent_print_table(stdout, cr->record, note);
	rc = e == HD_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
out:
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	agency_signer_free(signer);
	return rc;
}

static int consent_list(cli_ctx *ctx)
{
	Hedui__V1__ConsentQuery q = HEDUI__V1__CONSENT_QUERY__INIT;
	char before[11], id[IDNUM_LEN + 1];
	int kinds = 0;
	for (int i = 2; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		const char *v = i + 1 < ctx->argc ? ctx->argv[i + 1] : NULL;
		if (strcmp(a, "--json") == 0) {
			ctx->json = true;
			continue;
		}
		if (v == NULL)
			return consent_usage();
		i++;
		if (strcmp(a, "--member") == 0) {
			/* Not echoed: it is an ID number. */
			idnum_defect d = idnum_check(v, 0, id);
			if (d != IDNUM_OK) {
				fprintf(stderr, "hedui: --member %s\n",
				    idnum_defect_str(d));
				return CLI_EXIT_USAGE;
			}
			q.member_id_number = id;
			kinds++;
		} else if (strcmp(a, "--number") == 0) {
			q.number = (char *)v;
			kinds++;
		} else if (strcmp(a, "--expiring-before") == 0) {
			idnum_date d;
			if (!idnum_date_parse(v, &d)) {
				fprintf(stderr,
				    "hedui: --expiring-before must "
				    "be a date YYYY-MM-DD\n");
				return CLI_EXIT_USAGE;
			}
			q.expiring_before = (char *)v;
			kinds++;
		} else if (strcmp(a, "--expiring-within") == 0) {
			char *end;
			long days = strtol(v, &end, 10);
			if (*end != '\0' || days < 1 || days > 3660) {
				fprintf(stderr,
				    "hedui: --expiring-within must "
				    "be 1 to 3660 days\n");
				return CLI_EXIT_USAGE;
			}
			consent_date_format(consent_date_add_days(
			                        idnum_date_today(), (int)days),
			    before);
			q.expiring_before = before;
			kinds++;
		} else if (strcmp(a, "--region") == 0) {
			q.region_prefix = (char *)v;
		} else if (strcmp(a, "--limit") == 0) {
			q.limit = (uint32_t)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--page-token") == 0) {
			q.page_token = (char *)v;
		} else {
			return consent_usage();
		}
	}
	if (kinds != 1)
		return consent_usage();
	agency_signer *signer = consent_signer(ctx);
	if (signer == NULL)
		return CLI_EXIT_USAGE;
	int rc = cli_connect(ctx);
	ProtobufCMessage *resp = NULL;
	if (rc >= 0)
		goto out;
	rc = consent_call(
	    ctx, signer, "ListConsents", &q.base, &resp, "consent list");
	if (rc != CLI_EXIT_OK)
		goto out;
	Hedui__V1__ListConsentsResponse *lr =
	    (Hedui__V1__ListConsentsResponse *)resp;
	hd_err e = ctx->json ? consent_print_list_json(stdout, lr->records,
	                           lr->n_records, lr->next_page_token)
	                     : consent_print_list_table(stdout, lr->records,
	                           lr->n_records, lr->next_page_token);
	rc = e == HD_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
out:
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	agency_signer_free(signer);
	return rc;
}

int cmd_consent(cli_ctx *ctx)
{
	const char *sub = ctx->argc >= 2 ? ctx->argv[1] : "";
	if (strcmp(sub, "add") == 0)
		return consent_add(ctx);
	if (strcmp(sub, "revoke") == 0)
		return consent_one(ctx, true);
	if (strcmp(sub, "show") == 0)
		return consent_one(ctx, false);
	if (strcmp(sub, "list") == 0)
		return consent_list(ctx);
	return consent_usage();
}
