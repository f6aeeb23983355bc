/* SPDX-License-Identifier: MIT */
/*
 * cli: what every hedui subcommand shares: where the service is, who we
 * are (TLS identity, operator id), the deadline, the output format, and
 * the exit codes of the README ("Running it yourself").
 */
#ifndef HEDUI_CLI_H
#define HEDUI_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "rpc_client.h"

/* Exit codes (README, "Running it yourself"). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,    /* e.g. a health check that is not SERVING */
	CLI_EXIT_USAGE = 2,      /* bad usage or invalid input file */
	CLI_EXIT_STATUS = 3,     /* the service answered with an error */
	CLI_EXIT_UNREACHABLE = 4 /* no connection or TLS failure */
};

typedef struct cli_ctx {
	char server[256];
	char ca[512];
	char cert[512];
	char key[512];
	char tls_engine[16];
	char operator_id[64];
	uint32_t deadline_ms;
	bool json;
	bool allow_tls12;
	size_t recv_max_bytes; /* largest answer; 0: the library's 1 MiB */
	int argc;              /* the command and its arguments */
	char **argv;
	rpc_client *client;
} cli_ctx;

/* Reads the config file, environment and flags; returns -1 to go on, or
 * an exit code (help printed: 0, bad usage: 2). */
int cli_options_parse(cli_ctx *ctx, int argc, char **argv);

/* Connects (lazily: nng dials in the background). Exit code on failure. */
int cli_connect(cli_ctx *ctx);

/* The usual call options: the deadline and our metadata. */
void cli_call_opts(const cli_ctx *ctx, rpc_call_opts *opts, rpc_metadata md[2],
    char trace_id[33]);

/* Whether the operator id can be sent (and signed); false after saying
 * why on stderr. */
bool cli_operator_ok(const cli_ctx *ctx);

/* Prints a failed call's status to stderr and gives its exit code. */
int cli_report_status(const char *what, rpc_code code, const rpc_status *st);

int cmd_health(cli_ctx *ctx);
int cmd_methods(cli_ctx *ctx);
/* hedui verify FILE [--json]: connects itself (cli_connect) once the file
 * is known to be valid. */
int cmd_verify(cli_ctx *ctx);
/* hedui report get ID | report verify FILE: connects itself (get only). */
int cmd_report(cli_ctx *ctx);
/* hedui audit verify --store FILE: offline. */
int cmd_audit(cli_ctx *ctx);
/* hedui consent add|revoke|show|list: the consent registry; connects
 * itself once its input is known to be valid. */
int cmd_consent(cli_ctx *ctx);
/* hedui monitor ROSTER: the re-check of the enrolled (monitor_run.h). */
int cmd_monitor(cli_ctx *ctx);
/* hedui policy show REGION [--as-of DATE] [--file FILE]: connects itself
 * (not with --file). */
int cmd_policy(cli_ctx *ctx);
/* hedui stats --from D --to D [--region P] [--json|--csv]: connects
 * itself once its arguments are known to be valid. */
int cmd_stats(cli_ctx *ctx);

#endif
