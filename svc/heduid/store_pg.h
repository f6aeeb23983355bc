/* SPDX-License-Identifier: MIT */
/*
 * What the PostgreSQL backend's two files share (store_pg.c: the store's
 * tables, connections and transactions; store_consent_pg.c: the consent
 * registry's): parameters and results of libpq calls. Values go as text
 * (numbers) or binary (bytea); results come back binary, so that bytea
 * needs no unescaping.
 */
#ifndef HEDUI_STORE_PG_H
#define HEDUI_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "hd_err.h"
#include "store.h"
#include "store_counts.h"

#define PG_PARAMS_MAX 16

typedef struct pg_params {
	int n;
	const char *v[PG_PARAMS_MAX];
	int len[PG_PARAMS_MAX];
	int fmt[PG_PARAMS_MAX];
	char num[PG_PARAMS_MAX][24];
} pg_params;

void pg_p_text(pg_params *p, const char *s);
void pg_p_bytes(pg_params *p, const void *b, size_t n);
void pg_p_int(pg_params *p, int64_t x);

typedef struct pg_db pg_db;

/* Runs the prepared statement name on the handle's connection. When not
 * inside a transaction, a connection found lost is made again and the
 * statement run once more. NULL after logging (op what) on failure;
 * otherwise the caller PQclear()s. */
PGresult *pg_run(
    pg_db *d, const char *name, const pg_params *p, const char *what);
/* One command of the simple protocol, outside any transaction (VACUUM
 * cannot run in one); a lost connection is made again first. HD_OK,
 * HD_EBUSY when a lock or statement timeout stopped it, else HD_EDB. */
hd_err pg_command(pg_db *d, const char *sql, const char *what);
/* Rows a command changed (INSERT, UPDATE). */
int64_t pg_changed(PGresult *r);

void pg_get_text(PGresult *r, int row, int col, char *dst, size_t cap);
int64_t pg_get_int(PGresult *r, int row, int col);
/* Copies up to cap bytes; returns the value's length (0 when NULL). */
size_t pg_get_bytes(PGresult *r, int row, int col, uint8_t *dst, size_t cap);

/* The consent registry's part (store_consent_pg.c): its schema steps
 * and statements, named "sc_*", prepared on every new connection. */
extern const char *const pg_consent_steps[];
extern const int pg_consent_nsteps;
hd_err pg_consent_prepare(PGconn *conn, char *err, size_t errlen);

struct store_consent;
struct store_consent_query;
hd_err pg_consent_insert(void *h, const struct store_consent *c);
hd_err pg_consent_revoke(void *h, const char *region, const char *number,
    int64_t at_ms, const char *by, const char *reason);
hd_err pg_consent_get(void *h, const char *region, const char *number,
    struct store_consent *out);
hd_err pg_consent_list(void *h, const struct store_consent_query *q,
    hd_err (*each)(const struct store_consent *c, void *arg), void *arg);

/* Statistics and retention (store_counts_pg.c): statements "pc_*",
 * prepared on every new connection, and the ops of store_backend.h. */
hd_err pg_counts_prepare(PGconn *conn, char *err, size_t errlen);
hd_err pg_insert_summaries(
    void *h, const store_report *const *reports, size_t n);
hd_err pg_count_reports(void *h, const store_count_query *q,
    hd_err (*each)(const store_count_row *row, void *arg), void *arg);
hd_err pg_purge_reports(void *h, int64_t before_ms, int64_t now_ms, int limit,
    store_conclude_fn conclude, int *purged);
hd_err pg_purge_due(void *h, int64_t before_ms);
hd_err pg_scrub(void *h);
hd_err pg_backfill_due(void *h);
hd_err pg_backfill_counts(
    void *h, int limit, store_summarize_fn summarize, int *done);

#endif
