/* SPDX-License-Identifier: MIT */
/*
 * hedui stats --from DATE --to DATE [--region PREFIX] [--json | --csv]:
 * counts of the checks heduid made in a period, per county and program
 * (hedui.v1.Stats/Query), within the agency's own region prefix. Signed
 * as the agency, like a verification; exit status as verify's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "agency_sig.h"
#include "cli.h"
#include "hedui/v1/stats.pb-c.h"
#include "idnum.h"
#include "stats_print.h"

#define STATS_METHOD "hedui.v1.Stats/Query"

static int stats_usage(void)
{
	fprintf(stderr, "usage: hedui stats --from YYYY-MM-DD --to YYYY-MM-DD "
	                "[--region PREFIX] [--json | --csv]\n");
	return CLI_EXIT_USAGE;
}

/* Signs the query as the agency and calls; 0 with *out set, or the exit
 * code of the failure (reported). */
static int stats_call(cli_ctx *ctx, const Hedui__V1__StatsQuery *q,
    Hedui__V1__StatsResponse **out)
{
	char err[256], rid[33];
	unsigned char rnd[16];
	uint8_t buf[256];
	if (!cli_operator_ok(ctx))
		return CLI_EXIT_USAGE;
	agency_signer *s =
	    agency_signer_load(ctx->cert, ctx->key, err, sizeof err);
	if (s == NULL) {
		fprintf(stderr,
		    "hedui: cannot sign the request: %s (--cert and --key "
		    "must be the agency's certificate and key)\n",
		    err);
		return CLI_EXIT_USAGE;
	}
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	for (int i = 0; i < 16; i++)
		snprintf(rid + 2 * i, 3, "%02x", rnd[i]);
	/* Two dates and a prefix: a few dozen bytes. */
	size_t len = hedui__v1__stats_query__pack(q, buf);
	Hedui__V1__AgencyAuth auth = HEDUI__V1__AGENCY_AUTH__INIT;
	hd_err e = agency_signer_sign(s, STATS_METHOD, rid, ctx->operator_id,
	    buf, len, agency_sig_now_ms(), &auth);
	if (e != HD_OK) {
		agency_signer_free(s);
		fprintf(stderr, "hedui: cannot sign the request: %s\n",
		    hd_strerror(e));
		return CLI_EXIT_USAGE;
	}
	Hedui__V1__StatsRequest req = HEDUI__V1__STATS_REQUEST__INIT;
	req.query.data = buf;
	req.query.len = len;
	req.auth = &auth;
	rpc_call_opts opts;
	rpc_metadata md[2];
	char trace[33];
	rpc_status st;
	cli_call_opts(ctx, &opts, md, trace);
	opts.request_id = rid;
	ProtobufCMessage *resp = NULL;
	rpc_code code = rpc_client_call(ctx->client, STATS_METHOD, &req.base,
	    &hedui__v1__stats_response__descriptor, &resp, &opts, &st);
	agency_auth_release(&auth);
	/* After the call: auth's certificate is the signer's. */
	agency_signer_free(s);
	if (code != RPC_OK)
		return cli_report_status("stats", code, &st);
	*out = (Hedui__V1__StatsResponse *)resp;
	return CLI_EXIT_OK;
}

int cmd_stats(cli_ctx *ctx)
{
	const char *from = NULL, *to = NULL, *region = "";
	bool csv = false;
	for (int i = 1; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		const char *v = i + 1 < ctx->argc ? ctx->argv[i + 1] : NULL;
		if (strcmp(a, "--json") == 0)
			ctx->json = true;
		else if (strcmp(a, "--csv") == 0)
			csv = true;
		else if (strcmp(a, "--from") == 0 && v != NULL)
			from = ctx->argv[++i];
		else if (strcmp(a, "--to") == 0 && v != NULL)
			to = ctx->argv[++i];
		else if (strcmp(a, "--region") == 0 && v != NULL)
			region = ctx->argv[++i];
		else
			return stats_usage();
	}
	idnum_date d;
	if (from == NULL || to == NULL || (csv && ctx->json))
		return stats_usage();
	if (!idnum_date_parse(from, &d) || !idnum_date_parse(to, &d)) {
		fprintf(stderr, "hedui: --from and --to must be real dates "
		                "YYYY-MM-DD\n");
		return CLI_EXIT_USAGE;
	}
	size_t rl = strlen(region);
	bool digits = rl == 0 || (rl >= 2 && rl <= 6);
	for (size_t i = 0; digits && i < rl; i++)
		digits = region[i] >= '0' && region[i] <= '9';
	if (!digits) {
		fprintf(stderr, "hedui: --region must be 2 to 6 digits\n");
		return CLI_EXIT_USAGE;
	}
	int rc = cli_connect(ctx);
	if (rc >= 0)
		return rc;
	Hedui__V1__StatsQuery q = HEDUI__V1__STATS_QUERY__INIT;
	q.from = (char *)from;
	q.to = (char *)to;
	q.region_prefix = (char *)region;
	Hedui__V1__StatsResponse *r = NULL;
	if ((rc = stats_call(ctx, &q, &r)) != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		if (!stats_print_json(stdout, r))
			rc = CLI_EXIT_FAILURE;
	} else if (csv) {
		stats_print_csv(stdout, r);
	} else {
		stats_print_table(stdout, r);
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return rc;
}
