/* SPDX-License-Identifier: MIT */
/*
 * monitor_run: `hedui monitor ROSTER --out DIR`, the nightly re-check of
 * the enrolled (docs/MONITORING.md).
 *
 * Two passes over the roster, streaming: the first counts and checks
 * every line and hashes the file (nothing is sent when a line is
 * malformed); the second sends the households not yet done in VerifyBatch
 * calls, several in flight within a rate, and appends each outcome to
 * DIR/results.jsonl as it arrives. When every household is done it writes
 * the alerts and the summary.
 */
#ifndef HEDUI_MONITOR_RUN_H
#define HEDUI_MONITOR_RUN_H

#include <stdbool.h>

#include "cli.h"
#include "idnum.h"
#include "monitor_ids.h"

typedef struct mon_opts {
	const char *roster;
	const char *dir;
	char run_id[MON_RUN_ID_MAX + 1]; /* "": the file's, or a new one */
	idnum_date as_of;                /* 0: the file's, or today */
	unsigned batch;                  /* households per call */
	unsigned inflight;               /* calls at once */
	unsigned rate;                   /* households a second */
	unsigned give_up_s;  /* without any answer: stop, resume later */
	unsigned progress_s; /* plain progress lines, when not a terminal */
	/* Households whose consents expire within this many days go to the
	 * alerts (0: none are looked for). */
	unsigned consent_days;
} mon_opts;

/* Exit status of an interrupted run (128 + SIGINT, as shells report). */
#define MON_EXIT_INTERRUPTED 130

/* The exit status (CLI_EXIT_* or MON_EXIT_INTERRUPTED). */
int mon_run(cli_ctx *ctx, const mon_opts *o);

#endif
