/* SPDX-License-Identifier: MIT */
/*
 * hedui policy show REGION [--as-of DATE] [--file FILE]: the regional
 * parameters in force for a region on a date, and the set each comes from.
 *
 * By default it asks heduid (hedui.v1.Policy/Show): the officer's question
 * is what the service applies, from the file it loaded at start, which
 * the officer's machine does not have and which a copy could differ from.
 * --file reads a policy file here instead, with the same loader heduid
 * uses: for whoever edits the file, to see what it gives (or why heduid
 * would refuse it) before it is deployed.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hedui/v1/policy.pb-c.h"
#include "idnum.h"
#include "policy.h"
#include "policy_output.h"
#include "policy_show.h"

#define POLICY_SHOW_METHOD "hedui.v1.Policy/Show"

typedef struct policy_cmd_args {
	const char *region;
	const char *as_of; /* NULL: today */
	const char *file;  /* NULL: ask heduid */
	idnum_date date;
} policy_cmd_args;

static int policy_cmd_usage(void)
{
	fprintf(stderr,
	    "usage: hedui policy show REGION [--as-of YYYY-MM-DD] [--json] "
	    "[--file POLICY.json]\n"
	    "  REGION: a 6-digit region code; without --file heduid is "
	    "asked\n");
	return CLI_EXIT_USAGE;
}

/* Options may come before or after REGION (the global ones end at the
 * command name). CLI_EXIT_USAGE after saying what is wrong, or -1. */
static int policy_cmd_parse(cli_ctx *ctx, policy_cmd_args *a)
{
	memset(a, 0, sizeof *a);
	if (ctx->argc < 2 || strcmp(ctx->argv[1], "show") != 0)
		return policy_cmd_usage();
	for (int i = 2; i < ctx->argc; i++) {
		const char *s = ctx->argv[i];
		if (strcmp(s, "--json") == 0) {
			ctx->json = true;
		} else if (strcmp(s, "--as-of") == 0 && i + 1 < ctx->argc) {
			a->as_of = ctx->argv[++i];
		} else if (strcmp(s, "--file") == 0 && i + 1 < ctx->argc) {
			a->file = ctx->argv[++i];
		} else if (s[0] == '-' || a->region != NULL) {
			return policy_cmd_usage();
		} else {
			a->region = s;
		}
	}
	if (a->region == NULL)
		return policy_cmd_usage();
	/* Not echoed: a mistyped argument could be an ID number. */
	if (strlen(a->region) != 6 || strspn(a->region, "0123456789") != 6) {
		fprintf(stderr, "hedui: policy show: REGION must be a 6-digit "
		                "region code\n");
		return CLI_EXIT_USAGE;
	}
	a->date = idnum_date_today();
	if (a->as_of != NULL && !idnum_date_parse(a->as_of, &a->date)) {
		fprintf(stderr, "hedui: policy show: --as-of must be a date "
		                "YYYY-MM-DD\n");
		return CLI_EXIT_USAGE;
	}
	return -1;
}

static int policy_cmd_print(
    const cli_ctx *ctx, const Hedui__V1__ShowPolicyResponse *r)
{
	hd_err e = ctx->json ? policy_output_json(stdout, r)
	                     : policy_output_table(stdout, r);
	if (e != HD_OK) {
		fprintf(stderr, "hedui: policy show: cannot print: %s\n",
		    hd_strerror(e));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

/* --file: the same loader and answer as heduid's, without heduid. */
static int policy_show_file(const cli_ctx *ctx, const policy_cmd_args *a)
{
	char err[512] = "";
	policy_book *book = NULL;
	policy_show *s = NULL;
	hd_err e = policy_book_load(a->file, &book, err, sizeof err);
	if (e != HD_OK) {
		fprintf(stderr, "hedui: policy show: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	e = policy_show_build(book, a->region, a->date, &s);
	int rc = CLI_EXIT_FAILURE;
	if (e != HD_OK)
		fprintf(stderr, "hedui: policy show: %s\n", hd_strerror(e));
	else
		rc = policy_cmd_print(ctx, policy_show_message(s));
	policy_show_free(s);
	policy_book_free(book);
	return rc;
}

int cmd_policy(cli_ctx *ctx)
{
	policy_cmd_args a;
	int rc = policy_cmd_parse(ctx, &a);
	if (rc >= 0)
		return rc;
	if (a.file != NULL)
		return policy_show_file(ctx, &a);
	if ((rc = cli_connect(ctx)) >= 0)
		return rc;

	Hedui__V1__ShowPolicyRequest req =
	    HEDUI__V1__SHOW_POLICY_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts;
	rpc_metadata md[2];
	char trace[33];
	rpc_status st;
	req.region_code = (char *)a.region;
	/* Empty: the service's today, which is the date a verification
	 * without as_of would use. */
	req.as_of = (char *)(a.as_of != NULL ? a.as_of : "");
	cli_call_opts(ctx, &opts, md, trace);
	rpc_code code = rpc_client_call(ctx->client, POLICY_SHOW_METHOD,
	    &req.base, &hedui__v1__show_policy_response__descriptor, &resp,
	    &opts, &st);
	if (code != RPC_OK)
		return cli_report_status("policy show", code, &st);
	rc =
	    policy_cmd_print(ctx, (const Hedui__V1__ShowPolicyResponse *)resp);
	protobuf_c_message_free_unpacked(resp, NULL);
	return rc;
}
