/* SPDX-License-Identifier: MIT */
/*
 * Statistics and retention in the SQLite backend (schema 4): the count
 * tables (store_counts.h), the report columns a purge leaves behind and
 * the statements of both, on a connection store_sqlite.c opened.
 */
#ifndef HEDUI_STORE_COUNTS_SQLITE_H
#define HEDUI_STORE_COUNTS_SQLITE_H

#include <sqlite3.h>

#include "store_backend.h"
#include "store_counts.h"

typedef struct sq_counts sq_counts;

/* Migrates the store to schema 4 when it is older (in one transaction),
 * then prepares the statements; NULL with the reason in err. Before the
 * store's own statements are prepared: they read purged_ms. */
sq_counts *sq_counts_open(
    sqlite3 *db, const char *path, char *err, size_t errlen);
void sq_counts_close(sq_counts *c); /* accepts NULL */

/* The part of a backend handle (store_sqlite.c). */
sq_counts *sq_counts_of(void *h);

hd_err sq_insert_summaries(
    void *h, const store_report *const *reports, size_t n);
hd_err sq_count_reports(void *h, const store_count_query *q,
    hd_err (*each)(const store_count_row *row, void *arg), void *arg);
hd_err sq_backfill_due(void *h);
hd_err sq_backfill_counts(
    void *h, int limit, store_summarize_fn summarize, int *done);
hd_err sq_purge_reports(void *h, int64_t before_ms, int64_t now_ms, int limit,
    store_conclude_fn conclude, int *purged);
hd_err sq_purge_due(void *h, int64_t before_ms);
hd_err sq_scrub(void *h);

#endif
