/* SPDX-License-Identifier: MIT */
/*
 * monitor_alerts: the alerts (预警) of a finished run, from its results
 * file: only the households that need an officer, grouped by county
 * (region code, ascending; within a county, in roster order whatever
 * order they were checked in), as
 *
 *   alerts.csv    UTF-8 with a byte-order mark, CRLF, RFC 4180 quoting,
 *                 Chinese headers with English in parentheses: Excel and
 *                 WPS open it as it is;
 *   alerts.jsonl  the results file's records of those households.
 *
 * Streaming: one pass over the results spools each county's alerts into
 * a file of its own, then the counties are joined in order, each sorted
 * by roster line in bounded memory (monitor_sort.h). Memory is a row of
 * counts per county and the sort's budget, whatever the roster's length.
 */
#ifndef HEDUI_MONITOR_ALERTS_H
#define HEDUI_MONITOR_ALERTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hd_err.h"
#include "monitor_class.h"
#include "monitor_record.h"

typedef struct mon_county {
	char code[7]; /* "" for a household whose region code is invalid */
	uint64_t counts[MON_CLASS_COUNT];
} mon_county;

/* Counts per class, per county and in all. */
typedef struct mon_tally {
	mon_county *counties; /* sorted by code, "" last */
	size_t n, cap;
	uint64_t total[MON_CLASS_COUNT];
	uint64_t households;
	/* Households with a consent expiring soon (consent_expires). */
	uint64_t consent_expiring;
} mon_tally;

hd_err mon_tally_add(mon_tally *t, const char *county, mon_class c);
void mon_tally_free(mon_tally *t);

/* Memory for sorting a county's alerts (MON_SORT_BUDGET; tests make it
 * small to exercise the merge). */
extern size_t mon_alerts_sort_budget;

/* Reads the results file, fills *tally, writes DIR/alerts.csv and
 * DIR/alerts.jsonl (each through a temporary file and a rename). */
hd_err mon_alerts_write(const char *results_path, const char *dir,
    mon_tally *tally, char *err, size_t errlen);

/* Only the counts, from the results file (a run that did not finish). */
hd_err mon_tally_read(
    const char *results_path, mon_tally *tally, char *err, size_t errlen);

/* Whether a record goes to the alerts: its class needs an officer, or a
 * member's consent expires soon. */
bool mon_record_alert(const mon_record *r);

/* One CSV row for a record, CRLF-terminated (also used by the tests). */
void mon_alerts_csv_header(FILE *f);
void mon_alerts_csv_row(FILE *f, const mon_record *r);

#endif
