/* SPDX-License-Identifier: MIT */
/*
 * hedui audit verify --store FILE [--key FILE]: walks heduid's audit trail
 * offline and names the first record that was edited, deleted or moved.
 * --store postgresql://... reads a PostgreSQL store; its key has no file
 * next to it to default to, so --key is then required.
 */
#include <stdio.h>
#include <string.h>

#include "audit_verify.h"
#include "cli.h"
#include "store_url.h"

static int audit_usage(void)
{
	fprintf(stderr, "usage: hedui audit verify --store FILE [--key FILE]"
	                "   (key default: FILE.audit-key)\n"
	                "       hedui audit verify --store postgresql://... "
	                "--key FILE\n");
	return CLI_EXIT_USAGE;
}

int cmd_audit(cli_ctx *ctx)
{
	const char *db = NULL, *keyfile = NULL;
	if (ctx->argc < 2 || strcmp(ctx->argv[1], "verify") != 0)
		return audit_usage();
	for (int i = 2; i < ctx->argc; i++) {
		if (strcmp(ctx->argv[i], "--store") == 0 && i + 1 < ctx->argc)
			db = ctx->argv[++i];
		else if (strcmp(ctx->argv[i], "--key") == 0 &&
		         i + 1 < ctx->argc)
			keyfile = ctx->argv[++i];
		else
			return audit_usage();
	}
	if (db == NULL ||
	    (keyfile == NULL && store_url_kind_of(db) != STORE_URL_SQLITE))
		return audit_usage();
	char kp[1024];
	snprintf(kp, sizeof kp, "%s%s", keyfile != NULL ? keyfile : db,
	    keyfile != NULL ? "" : ".audit-key");
	uint8_t key[64];
	FILE *f = fopen(kp, "rb");
	size_t keylen = f != NULL ? fread(key, 1, sizeof key, f) : 0;
	if (f != NULL)
		fclose(f);
	if (keylen < 16) {
		fprintf(stderr, "hedui: cannot read the audit key %s\n", kp);
		return CLI_EXIT_USAGE;
	}
	char why[256];
	int64_t n = 0;
	hd_err e = audit_verify_store(db, key, keylen, &n, why, sizeof why);
	if (e == HD_OK) {
		printf("OK: %lld audit records, chain intact\n", (long long)n);
		return CLI_EXIT_OK;
	}
	if (e == HD_ECRYPTO) {
		printf("FAILED: %s (%lld records before it are intact)\n", why,
		    (long long)n);
		return CLI_EXIT_FAILURE;
	}
	fprintf(stderr, "hedui: %s\n", why);
	return CLI_EXIT_USAGE;
}
