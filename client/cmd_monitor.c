/* SPDX-License-Identifier: MIT */
/*
 * hedui monitor ROSTER: the options of a monitoring run (the run itself is
 * monitor_run.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "monitor_run.h"

static int monitor_usage(FILE *f, int rc)
{
	fprintf(f,
	    "usage: hedui [options] monitor ROSTER [--out DIR] [--run-id ID]\n"
	    "           [--as-of YYYY-MM-DD] [--batch N] [--inflight N] "
	    "[--rate N]\n"
	    "           [--give-up S] [--progress S] [--consent-days N] "
	    "[--json]\n"
	    "  ROSTER       enrolled households, JSON Lines "
	    "(docs/MONITORING.md)\n"
	    "  --out DIR    results, alerts and summary [ROSTER.monitor]; "
	    "the same\n"
	    "               command again resumes the run kept there\n"
	    "  --run-id ID  names a new run (1-24 of [A-Za-z0-9._-]) "
	    "[date-random]\n"
	    "  --as-of D    assessment date of lines without one [today]\n"
	    "  --batch N    households per VerifyBatch call [64]\n"
	    "  --inflight N calls at once [2]\n"
	    "  --rate N     at most N households a second [500]\n"
	    "  --give-up S  stop after S seconds without an answer [120]\n"
	    "  --progress S a progress line every S seconds when stderr is "
	    "not a\n"
	    "               terminal [10]\n"
	    "  --consent-days N  households citing a consent that expires "
	    "within N\n"
	    "               days go to the alerts too; 0: not looked for "
	    "[30]\n"
	    "Exit status: 0 every household done, 2 bad usage or roster, 3 "
	    "the service\nrefused the batches, 4 service unreachable, 130 "
	    "interrupted, 1 a local failure.\n");
	return rc;
}

static bool monitor_count(const char *text, unsigned lo, unsigned hi,
    const char *what, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(text, &end, 10);
	if (*text < '0' || *text > '9' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "hedui: monitor: %s must be %u to %u\n", what,
		    lo, hi);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

int cmd_monitor(cli_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"run-id", required_argument, NULL, 'r'},
	    {"as-of", required_argument, NULL, 'a'},
	    {"batch", required_argument, NULL, 'b'},
	    {"inflight", required_argument, NULL, 'i'},
	    {"rate", required_argument, NULL, 'R'},
	    {"give-up", required_argument, NULL, 'g'},
	    {"progress", required_argument, NULL, 'p'},
	    {"consent-days", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	mon_opts o = {.batch = 64,
	    .inflight = 2,
	    .rate = 500,
	    .give_up_s = 120,
	    .progress_s = 10,
	    .consent_days = 30};
	char dir[4096] = "";
	int c;
	/* 0, not 1: glibc then forgets the "+" (stop at the first
	 * argument) of the global options' parse, and permutes. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(ctx->argc, ctx->argv, "h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			snprintf(dir, sizeof dir, "%s", optarg);
			break;
		case 'r':
			if (!mon_run_id_ok(optarg)) {
				fprintf(stderr,
				    "hedui: monitor: --run-id must be 1 to "
				    "%d characters of [A-Za-z0-9._-]\n",
				    MON_RUN_ID_MAX);
				return CLI_EXIT_USAGE;
			}
			snprintf(o.run_id, sizeof o.run_id, "%s", optarg);
			break;
		case 'a':
			if (!idnum_date_parse(optarg, &o.as_of)) {
				fprintf(stderr, "hedui: monitor: --as-of must "
				                "be a date YYYY-MM-DD\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'b':
			if (!monitor_count(
			        optarg, 1, 256, "--batch", &o.batch))
				return CLI_EXIT_USAGE;
			break;
		case 'i':
			if (!monitor_count(
			        optarg, 1, 64, "--inflight", &o.inflight))
				return CLI_EXIT_USAGE;
			break;
		case 'R':
			if (!monitor_count(
			        optarg, 1, 1000000, "--rate", &o.rate))
				return CLI_EXIT_USAGE;
			break;
		case 'g':
			if (!monitor_count(
			        optarg, 1, 86400, "--give-up", &o.give_up_s))
				return CLI_EXIT_USAGE;
			break;
		case 'p':
			if (!monitor_count(
			        optarg, 1, 86400, "--progress", &o.progress_s))
				return CLI_EXIT_USAGE;
			break;
		case 'c':
			if (!monitor_count(optarg, 0, 3660, "--consent-days",
			        &o.consent_days))
				return CLI_EXIT_USAGE;
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			return monitor_usage(stdout, CLI_EXIT_OK);
		default:
			return monitor_usage(stderr, CLI_EXIT_USAGE);
		}
	}
	if (optind + 1 != ctx->argc)
		return monitor_usage(stderr, CLI_EXIT_USAGE);
	o.roster = ctx->argv[optind];
	if (dir[0] == '\0')
		snprintf(dir, sizeof dir, "%s.monitor", o.roster);
	o.dir = dir;
	/* A batch's answers are larger than one verdict's 1 MiB limit. */
	ctx->recv_max_bytes = 64 * 1024 * 1024;
	return mon_run(ctx, &o);
}
