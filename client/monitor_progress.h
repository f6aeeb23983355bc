/* SPDX-License-Identifier: MIT */
/*
 * monitor_progress: how far a run is, on stderr. On a terminal one line
 * that rewrites itself twice a second; otherwise (a log file, cron) a
 * plain line every interval. Counts only: never a person.
 */
#ifndef HEDUI_MONITOR_PROGRESS_H
#define HEDUI_MONITOR_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "monitor_class.h"

#define MON_PROGRESS_SAMPLES 20

typedef struct mon_progress {
	FILE *out;
	bool tty;
	uint64_t interval_ms; /* between lines */
	uint64_t last_ms;
	bool drawn; /* a terminal line waits for its end */
	/* Recent (time, done) samples: the rate over the last ~10 s. */
	uint64_t t[MON_PROGRESS_SAMPLES], d[MON_PROGRESS_SAMPLES];
	size_t n, head;
} mon_progress;

/* interval_s: for plain lines (a terminal is redrawn every 500 ms). */
void mon_progress_init(
    mon_progress *p, FILE *out, bool tty, unsigned interval_s);
/* Shows the state when it is time (always when force). */
void mon_progress_tick(mon_progress *p, uint64_t now_ms, uint64_t done,
    uint64_t total, const uint64_t classes[MON_CLASS_COUNT], bool force);
/* Ends a terminal line before other output. */
void mon_progress_end(mon_progress *p);

/* The text of one line: "1,234/10,000 12.3% 456/s ETA 0:19 | unchanged
 * ..." (rate < 0: not known yet). */
void mon_progress_format(char *buf, size_t cap, uint64_t done, uint64_t total,
    double rate, const uint64_t classes[MON_CLASS_COUNT]);
/* 1234567 as "1,234,567". */
void mon_thousands(uint64_t v, char *out, size_t cap);

#endif
