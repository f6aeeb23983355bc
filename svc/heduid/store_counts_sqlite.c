/* SPDX-License-Identifier: MIT */
/*
 * Schema 4 of the SQLite store: count_day and count_month, the counts of
 * hedui stats per (day or month, region, program, dimension, key), added
 * to once per commit group; and the report columns retention fills.
 * Purges are in store_purge_sqlite.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent_form.h"
#include "log.h"
#include "store_counts_sqlite.h"
#include "store_purge_sqlite.h"

/* purged_ms: when retention emptied the report (NULL: whole);
 * report_sha256 and conclusion: what it keeps of the content. The
 * partial index finds the reports still to purge, oldest first, and
 * loses them as they are purged. */
static const char sc_migrate_4[] =
    "BEGIN IMMEDIATE;"
    "ALTER TABLE report ADD COLUMN purged_ms INTEGER;"
    "ALTER TABLE report ADD COLUMN report_sha256 BLOB;"
    "ALTER TABLE report ADD COLUMN conclusion TEXT;"
    "CREATE INDEX IF NOT EXISTS report_unpurged ON report(created_ms)"
    " WHERE purged_ms IS NULL;"
    "CREATE TABLE IF NOT EXISTS count_day(day INTEGER NOT NULL,"
    " region TEXT NOT NULL, program TEXT NOT NULL, dim INTEGER NOT NULL,"
    " key TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY(day, region, program, dim, key)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS count_month(month INTEGER NOT NULL,"
    " region TEXT NOT NULL, program TEXT NOT NULL, dim INTEGER NOT NULL,"
    " key TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY(month, region, program, dim, key)) WITHOUT ROWID;"
    /* The reports of before are counted afterwards, by heduid in the
     * background (store_backfill_counts): rowids up to this one. */
    "INSERT OR REPLACE INTO meta(key, value) VALUES('counts_backfill_to',"
    " (SELECT CAST(COALESCE(MAX(rowid), 0) AS TEXT) FROM report));"
    "INSERT OR REPLACE INTO meta(key, value)"
    " VALUES('counts_backfilled', '0');"
    "UPDATE meta SET value = '4' WHERE key = 'schema';"
    "COMMIT;";

enum {
	SC_DAY,
	SC_MONTH,
	SC_QUERY,
	SC_BF_STATE,
	SC_BF_SELECT,
	SC_BF_MARK,
	SC_COUNT
};

static const char *const sc_sql[SC_COUNT] = {
    [SC_DAY] = "INSERT INTO count_day(day, region, program, dim, key, n)"
               " VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
               " ON CONFLICT(day, region, program, dim, key)"
               " DO UPDATE SET n = n + excluded.n",
    [SC_MONTH] = "INSERT INTO count_month(month, region, program, dim, key,"
                 " n) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
                 " ON CONFLICT(month, region, program, dim, key)"
                 " DO UPDATE SET n = n + excluded.n",
    /* Whole months from count_month, the days before the first and
     * after the last from count_day; ':' follows '9', so the region
     * range is exactly the codes that start with the prefix. */
    [SC_QUERY] =
        "SELECT region, program, dim, key, SUM(n) FROM ("
        " SELECT region, program, dim, key, n FROM count_month"
        "  WHERE month BETWEEN ?1 AND ?2 AND region >= ?7 AND region < ?8"
        " UNION ALL"
        " SELECT region, program, dim, key, n FROM count_day"
        "  WHERE (day BETWEEN ?3 AND ?4 OR day BETWEEN ?5 AND ?6)"
        "  AND region >= ?7 AND region < ?8)"
        " GROUP BY region, program, dim, key"
        " ORDER BY region, program, dim, key",
    /* How far the counting of the reports of before has come. */
    [SC_BF_STATE] =
        "SELECT CAST((SELECT value FROM meta WHERE key = 'counts_backfilled')"
        " AS INTEGER), CAST((SELECT value FROM meta"
        " WHERE key = 'counts_backfill_to') AS INTEGER)",
    [SC_BF_SELECT] = "SELECT rowid, region, created_ms, report FROM report"
                     " WHERE rowid > ?1 AND rowid <= ?2 ORDER BY rowid"
                     " LIMIT ?3",
    /* Parenthesised: clang takes a split literal here for a missing
     * comma. */
    [SC_BF_MARK] = ("UPDATE meta SET value = CAST(?1 AS TEXT)"
                    " WHERE key = 'counts_backfilled'"),
};

/* One count to add: a report's (day, region, program, dim, key). */
typedef struct sc_tuple {
	int day;
	int dim;
	char region[8];
	char program[16];
	char key[48];
	int64_t n;
} sc_tuple;

struct sq_counts {
	sqlite3 *db;
	char path[512];
	sqlite3_stmt *st[SC_COUNT];
	sq_purge *purge;
	sc_tuple *tuples; /* kept from group to group */
	size_t cap;
};

static bool sc_has_column(sqlite3 *db, const char *table, const char *col)
{
	char sql[128];
	sqlite3_stmt *st = NULL;
	bool found = false;
	snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	while (!found && sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *n = sqlite3_column_text(st, 1);
		found = n != NULL && strcmp((const char *)n, col) == 0;
	}
	sqlite3_finalize(st);
	return found;
}

void sq_counts_close(sq_counts *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < SC_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	sq_purge_close(c->purge);
	free(c->tuples);
	free(c);
}

sq_counts *sq_counts_open(
    sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sq_counts *c = calloc(1, sizeof *c);
	char *msg = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->db = db;
	snprintf(c->path, sizeof c->path, "%s", path);
	/* Freed pages and cells are overwritten with zeros: what retention
	 * purges must not stay readable in the file (docs/CONFIG.md). */
	int rc = sqlite3_exec(db, "PRAGMA secure_delete=ON", NULL, NULL, &msg);
	if (rc == SQLITE_OK && !sc_has_column(db, "report", "purged_ms")) {
		log_info("store.migrate", "path=\"%s\" schema=4", path);
		rc = sqlite3_exec(db, sc_migrate_4, NULL, NULL, &msg);
		if (rc != SQLITE_OK)
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up %s: %s", path,
		    msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		goto fail;
	}
	for (int i = 0; i < SC_COUNT; i++) {
		rc = sqlite3_prepare_v3(db, sc_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL);
		if (rc != SQLITE_OK) {
			snprintf(
			    err, errlen, "%s: %s", path, sqlite3_errmsg(db));
			goto fail;
		}
	}
	if ((c->purge = sq_purge_open(db, path, err, errlen)) == NULL)
		goto fail;
	return c;
fail:
	sq_counts_close(c);
	return NULL;
}

static hd_err sc_fail(sq_counts *c, const char *what, int rc)
{
	log_error("store.sqlite", "op=%s path=\"%s\" rc=%d error=\"%s\"", what,
	    c->path, rc, sqlite3_errmsg(c->db));
	return HD_EDB;
}

static int sc_tuple_cmp(const void *a, const void *b)
{
	const sc_tuple *x = a, *y = b;
	int d;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if ((d = strcmp(x->region, y->region)) != 0)
		return d;
	if ((d = strcmp(x->program, y->program)) != 0)
		return d;
	if (x->dim != y->dim)
		return x->dim < y->dim ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* The tuples of one report being added (store_summary_keys). */
typedef struct sc_adding {
	sq_counts *c;
	size_t *n;
	const store_report *r;
	int day;
} sc_adding;

static void sc_add(
    store_count_dim dim, const char *key, size_t keylen, void *arg)
{
	sc_adding *a = arg;
	const store_report *r = a->r;
	sc_tuple *t = &a->c->tuples[(*a->n)++];
	t->day = a->day;
	t->dim = dim;
	t->n = 1;
	snprintf(t->region, sizeof t->region, "%s", r->region);
	snprintf(t->program, sizeof t->program, "%s", r->summary.program);
	if (keylen >= sizeof t->key)
		keylen = sizeof t->key - 1;
	memcpy(t->key, key, keylen);
	t->key[keylen] = '\0';
}

static hd_err sc_upsert(sq_counts *c, int id, int when, const sc_tuple *t)
{
	sqlite3_stmt *st = c->st[id];
	sqlite3_bind_int(st, 1, when);
	sqlite3_bind_text(st, 2, t->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t->program, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, t->dim);
	sqlite3_bind_text(st, 5, t->key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, t->n);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? HD_OK : sc_fail(c, "insert_summaries", rc);
}

hd_err sq_insert_summaries(
    void *h, const store_report *const *reports, size_t n)
{
	sq_counts *c = sq_counts_of(h);
	size_t need = n * STORE_COUNT_KEYS_MAX, used = 0;
	if (need > c->cap) {
		sc_tuple *t = realloc(c->tuples, need * sizeof *t);
		if (t == NULL)
			return HD_ENOMEM;
		c->tuples = t;
		c->cap = need;
	}
	for (size_t i = 0; i < n; i++) {
		sc_adding a = {.c = c,
		    .n = &used,
		    .r = reports[i],
		    .day = consent_date_of_ms(reports[i]->created_ms)};
		store_summary_keys(&reports[i]->summary, sc_add, &a);
	}
	/* A group's reports are mostly of a few counties and one day: added
	 * up first, they are a few writes instead of one per key each. */
	qsort(c->tuples, used, sizeof *c->tuples, sc_tuple_cmp);
	size_t out = 0;
	for (size_t i = 0; i < used; i++) {
		if (out > 0 &&
		    sc_tuple_cmp(&c->tuples[out - 1], &c->tuples[i]) == 0)
			c->tuples[out - 1].n += c->tuples[i].n;
		else
			c->tuples[out++] = c->tuples[i];
	}
	for (size_t i = 0; i < out; i++) {
		const sc_tuple *t = &c->tuples[i];
		hd_err e = sc_upsert(c, SC_DAY, t->day, t);
		if (e == HD_OK)
			e = sc_upsert(c, SC_MONTH, t->day / 100, t);
		if (e != HD_OK)
			return e;
	}
	return HD_OK;
}

hd_err sq_count_reports(void *h, const store_count_query *q,
    hd_err (*each)(const store_count_row *row, void *arg), void *arg)
{
	sq_counts *c = sq_counts_of(h);
	sqlite3_stmt *st = c->st[SC_QUERY];
	store_count_span sp;
	store_count_span_of(q, &sp);
	sqlite3_bind_int(st, 1, sp.m1);
	sqlite3_bind_int(st, 2, sp.m2);
	sqlite3_bind_int(st, 3, sp.d1);
	sqlite3_bind_int(st, 4, sp.d2);
	sqlite3_bind_int(st, 5, sp.d3);
	sqlite3_bind_int(st, 6, sp.d4);
	sqlite3_bind_text(st, 7, q->region_prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, sp.hi, -1, SQLITE_STATIC);
	hd_err e = HD_OK;
	int rc = SQLITE_DONE;
	while (e == HD_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t[3] = {sqlite3_column_text(st, 0),
		    sqlite3_column_text(st, 1), sqlite3_column_text(st, 3)};
		store_count_row row = {
		    .region = t[0] != NULL ? (const char *)t[0] : "",
		    .program = t[1] != NULL ? (const char *)t[1] : "",
		    .dim = (store_count_dim)sqlite3_column_int(st, 2),
		    .key = t[2] != NULL ? (const char *)t[2] : "",
		    .n = sqlite3_column_int64(st, 4),
		};
		e = each(&row, arg);
	}
	if (e == HD_OK && rc != SQLITE_DONE)
		e = sc_fail(c, "count_reports", rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return e;
}

sq_purge *sq_purge_of(void *h)
{
	return sq_counts_of(h)->purge;
}

/* Where the counting of the reports of before stands: done up to rowid
 * *from, to be done up to *to (both 0 in a store made at schema 4). */
static hd_err sc_backfill_state(sq_counts *c, int64_t *from, int64_t *to)
{
	sqlite3_stmt *st = c->st[SC_BF_STATE];
	int rc = sqlite3_step(st);
	*from = *to = 0;
	if (rc == SQLITE_ROW) {
		*from = sqlite3_column_int64(st, 0);
		*to = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? HD_OK : sc_fail(c, "backfill_state", rc);
}

hd_err sq_backfill_due(void *h)
{
	int64_t from, to;
	hd_err e = sc_backfill_state(sq_counts_of(h), &from, &to);
	if (e != HD_OK)
		return e;
	return from < to ? HD_OK : HD_ENOTFOUND;
}

hd_err sq_backfill_counts(
    void *h, int limit, store_summarize_fn summarize, int *done)
{
	sq_counts *c = sq_counts_of(h);
	int64_t from, to, last = 0;
	store_report *reps = NULL;
	const store_report **ptrs = NULL;
	size_t n = 0;
	int read = 0, rc = SQLITE_DONE;
	*done = 0;
	hd_err e = sc_backfill_state(c, &from, &to);
	if (e != HD_OK || from >= to || limit <= 0)
		return e;
	reps = calloc((size_t)limit, sizeof *reps);
	ptrs = calloc((size_t)limit, sizeof *ptrs);
	if (reps == NULL || ptrs == NULL) {
		e = HD_ENOMEM;
		goto out;
	}
	sqlite3_stmt *st = c->st[SC_BF_SELECT];
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int(st, 3, limit);
	while (read < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_report *r = &reps[n];
		const unsigned char *region = sqlite3_column_text(st, 1);
		const uint8_t *bytes = sqlite3_column_blob(st, 3);
		size_t len = (size_t)sqlite3_column_bytes(st, 3);
		last = sqlite3_column_int64(st, 0);
		read++;
		snprintf(r->region, sizeof r->region, "%s",
		    region != NULL ? (const char *)region : "");
		r->created_ms = sqlite3_column_int64(st, 2);
		/* A report that does not decode is not counted, as it
		 * would not have been at its commit either. */
		if (bytes != NULL && summarize(bytes, len, &r->summary) &&
		    r->summary.program[0] != '\0')
			ptrs[n++] = r;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (read < limit && rc != SQLITE_DONE) {
		e = sc_fail(c, "backfill_select", rc);
		goto out;
	}
	if (n > 0 && (e = sq_insert_summaries(h, ptrs, n)) != HD_OK)
		goto out;
	/* Nothing left up to `to` (rows deleted since): the end. */
	st = c->st[SC_BF_MARK];
	sqlite3_bind_int64(st, 1, read > 0 ? last : to);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		e = sc_fail(c, "backfill_mark", rc);
		goto out;
	}
	*done = read;
out:
	free(reps);
	free(ptrs);
	return e;
}
