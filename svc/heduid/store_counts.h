/* SPDX-License-Identifier: MIT */
/*
 * store_counts: the statistics of hedui stats (hedui.v1.Stats/Query),
 * read from counts the store keeps at commit time, never from the
 * reports themselves: a count is added to in the transaction that
 * commits its report (store_report.summary), per day and per month
 * (China time), so that a query over a period reads a few rows per
 * county and month instead of every report, and stays the same after
 * retention purged the reports' content.
 */
#ifndef HEDUI_STORE_COUNTS_H
#define HEDUI_STORE_COUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "idnum.h"
#include "store.h"

/* What a count is of: the row's key means, in order. */
typedef enum store_count_dim {
	STORE_COUNT_CHECKS = 0,     /* key "": reports made */
	STORE_COUNT_CONCLUSION = 1, /* meets | does_not_meet | needs_review */
	STORE_COUNT_CATEGORY = 2,   /* dibao | marginal | ... | none */
	STORE_COUNT_REASON = 3,     /* a reason code */
	STORE_COUNT_SOURCE = 4,     /* "bank:failed", "tax:partial"... */
	STORE_COUNT_DIMS
} store_count_dim;

typedef struct store_count_query {
	idnum_date from, to;       /* days (China time), both included */
	const char *region_prefix; /* 2 to 6 digits */
} store_count_query;

/* One sum over the period: rows come ordered by region, program, dim
 * and key. The strings last until each returns. */
typedef struct store_count_row {
	const char *region;
	const char *program;
	store_count_dim dim;
	const char *key;
	int64_t n;
} store_count_row;

typedef hd_err (*store_count_fn)(const store_count_row *row, void *arg);

/* HD_OK, an error each returned (which stops the reading), HD_EDB,
 * HD_EBUSY while another count runs (store_read_long: one at a time, on
 * a connection of their own), or HD_ENOTSUP in a backend without
 * statistics. Never waits for the writer. */
hd_err store_count_reports(
    store *s, const store_count_query *q, store_count_fn each, void *arg);

/* The keys one report's summary adds 1 to, each given to fn with its
 * dimension (key not NUL-terminated: len bytes): checks (""),
 * conclusion, category, then each reason code and failed source, at
 * most STORE_COUNT_REASONS_MAX and STORE_COUNT_SOURCES_MAX of them (the
 * rules give a handful; more are not counted). Shared by the backends so
 * that both count a report alike. */
#define STORE_COUNT_REASONS_MAX 16
#define STORE_COUNT_SOURCES_MAX 8
#define STORE_COUNT_KEYS_MAX                                                  \
	(3 + STORE_COUNT_REASONS_MAX + STORE_COUNT_SOURCES_MAX)
typedef void (*store_count_key_fn)(
    store_count_dim dim, const char *key, size_t len, void *arg);
void store_summary_keys(
    const store_summary *s, store_count_key_fn fn, void *arg);

/*
 * How a backend reads a period: the whole months m1..m2 (YYYYMM) from the
 * monthly counts, and the days d1..d2 and d3..d4 (YYYYMMDD) around them
 * from the daily ones (m1 > m2 when the period holds no whole month: all
 * of it is days d1..d2). Regions from region_prefix up to hi (the prefix
 * and ':', which sorts after every digit). Shared so that both backends
 * cut a period alike.
 */
typedef struct store_count_span {
	int m1, m2, d1, d2, d3, d4;
	char hi[8];
} store_count_span;
void store_count_span_of(const store_count_query *q, store_count_span *out);

/* The dimension's name as the API shows it ("checks", "conclusion"...). */
const char *store_count_dim_name(store_count_dim d);

#endif
