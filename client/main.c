/* SPDX-License-Identifier: MIT */
/*
 * hedui: the command-line client officers use for manual checks.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "rpc_close.h"

typedef struct cli_command {
	const char *name;
	int (*run)(cli_ctx *ctx);
	/* The command connects itself, after checking its input, so that a
	 * bad file is reported as such even when the service is away. */
	bool connects_itself;
} cli_command;

static const cli_command cli_commands[] = {
    {"health", cmd_health, false},
    {"methods", cmd_methods, false},
    {"verify", cmd_verify, true},
    {"report", cmd_report, true},
    {"audit", cmd_audit, true},
    {"consent", cmd_consent, true},
    {"monitor", cmd_monitor, true},
    {"policy", cmd_policy, true},
    {"stats", cmd_stats, true},
};

int main(int argc, char **argv)
{
	cli_ctx ctx;
	log_set_program("hedui");
	log_set_level(LOG_LVL_WARN);
	signal(SIGPIPE, SIG_IGN);

	int rc = cli_options_parse(&ctx, argc, argv);
	if (rc >= 0)
		return rc;
	const cli_command *cmd = NULL;
	for (size_t i = 0; i < sizeof cli_commands / sizeof cli_commands[0];
	     i++)
		if (strcmp(ctx.argv[0], cli_commands[i].name) == 0)
			cmd = &cli_commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "hedui: unknown command \"%s\" (try --help)\n",
		    ctx.argv[0]);
		return CLI_EXIT_USAGE;
	}
	if (!cmd->connects_itself && (rc = cli_connect(&ctx)) >= 0)
		return rc;
	rc = cmd->run(&ctx);
	rpc_client_free(ctx.client);
	rpc_close_all("hedui");
	return rc;
}
