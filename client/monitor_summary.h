/* SPDX-License-Identifier: MIT */
/*
 * monitor_summary: the end of a run: counts per class and per county,
 * time taken and rate, as a table (stdout) or JSON (--json), and
 * DIR/summary.json.
 */
#ifndef HEDUI_MONITOR_SUMMARY_H
#define HEDUI_MONITOR_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "monitor_alerts.h"

typedef struct mon_summary {
	const char *run_id;
	const char *state; /* complete | interrupted | unreachable | failed */
	const char *dir;
	uint64_t households;  /* in the roster */
	uint64_t done_before; /* by earlier runs of the same command */
	uint64_t done_this_run;
	double seconds;         /* this run's */
	const mon_tally *tally; /* from the results file */
	int exit_status;
} mon_summary;

void mon_summary_print(FILE *f, const mon_summary *s);
void mon_summary_json(FILE *f, const mon_summary *s);

#endif
