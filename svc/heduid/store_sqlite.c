/* SPDX-License-Identifier: MIT */
/*
 * The SQLite backend of the store: WAL journal with synchronous=FULL, so a
 * COMMIT that returns is on disk (the WAL is fsynced at every commit).
 * A handle is one connection with its prepared statements; store.c gives
 * the writer thread one handle and the readers another.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "store_backend.h"
#include "store_consent_sqlite.h"
#include "store_counts_sqlite.h"

enum {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_PUT_REPORT,
	SQ_PUT_AUDIT,
	SQ_GET_REPORT,
	SQ_FIND_REPORT,
	SQ_AUDIT_HEAD,
	SQ_PROBE,
	SQ_COUNT
};

static const char *const sq_sql[SQ_COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_PUT_REPORT] =
        "INSERT INTO report(report_id, agency, region, request_id,"
        " household_hash, report, signature, created_ms, persons, proof)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT(agency, region, request_id) DO NOTHING",
    [SQ_PUT_AUDIT] =
        "INSERT INTO audit(seq, time_ms, agency, operator_id, case_id,"
        " method, report_id, persons, outcome, prev_hash, hash, count,"
        " peer, reason, consents)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
        " ?14, ?15)",
    [SQ_GET_REPORT] =
        "SELECT report_id, agency, region, request_id, household_hash,"
        " report, signature, created_ms, persons, proof, purged_ms"
        " FROM report WHERE report_id = ?1",
    [SQ_FIND_REPORT] =
        "SELECT report_id, agency, region, request_id, household_hash,"
        " report, signature, created_ms, persons, proof, purged_ms"
        " FROM report WHERE agency = ?1 AND region = ?2 AND request_id = ?3",
    [SQ_AUDIT_HEAD] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    /* Parenthesised: clang takes a split literal here for a missing comma. */
    [SQ_PROBE] = ("INSERT OR REPLACE INTO meta(key, value)"
                  " VALUES('probe', CAST(?1 AS TEXT))"),
};

static const char sq_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY NOT NULL,"
    " value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS report("
    " report_id TEXT PRIMARY KEY NOT NULL,"
    " agency TEXT NOT NULL, region TEXT NOT NULL, request_id TEXT NOT NULL,"
    " household_hash BLOB NOT NULL, report BLOB NOT NULL,"
    " signature BLOB NOT NULL, created_ms INTEGER NOT NULL,"
    " persons TEXT NOT NULL, proof BLOB,"
    " UNIQUE(agency, region, request_id));"
    "CREATE TABLE IF NOT EXISTS audit("
    " seq INTEGER PRIMARY KEY NOT NULL, time_ms INTEGER NOT NULL,"
    " agency TEXT NOT NULL, operator_id TEXT NOT NULL,"
    " case_id TEXT NOT NULL, method TEXT NOT NULL,"
    " report_id TEXT NOT NULL, persons TEXT NOT NULL,"
    " outcome INTEGER NOT NULL, prev_hash BLOB NOT NULL,"
    " hash BLOB NOT NULL, count INTEGER NOT NULL DEFAULT 1,"
    " peer TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '');"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '3');";

/* Schema 1 (before refusal summaries) to 2: three columns whose defaults
 * are what every old record means, in one transaction. */
static const char sq_migrate_2[] =
    "BEGIN IMMEDIATE;"
    "ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE audit ADD COLUMN peer TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE audit ADD COLUMN reason TEXT NOT NULL DEFAULT '';"
    "UPDATE meta SET value = '2' WHERE key = 'schema';"
    "COMMIT;";

/* Schema 2 to 3 (reports sealed in groups): each report's proof, a
 * serialized hedui.v1.ReportProof; NULL for the reports of before, which
 * keep their single signature over the report. */
static const char sq_migrate_3[] =
    "BEGIN IMMEDIATE;"
    "ALTER TABLE report ADD COLUMN proof BLOB;"
    "UPDATE meta SET value = '3' WHERE key = 'schema';"
    "COMMIT;";

/* Whether the table has the column (an older store may not). */
static bool sq_has_column(sqlite3 *db, const char *table, const char *col)
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

typedef struct sq_db {
	sqlite3 *db;
	sqlite3_stmt *st[SQ_COUNT];
	char path[512];
	sq_consent *consent; /* the consent registry's statements */
	sq_counts *counts;   /* statistics and retention (schema 4) */
} sq_db;

sq_consent *sq_consent_of(void *h)
{
	return ((sq_db *)h)->consent;
}

sq_counts *sq_counts_of(void *h)
{
	return ((sq_db *)h)->counts;
}

static hd_err sq_fail(sq_db *d, const char *what, int rc)
{
	log_error("store.sqlite", "op=%s path=\"%s\" rc=%d error=\"%s\"", what,
	    d->path, rc, sqlite3_errmsg(d->db));
	return HD_EDB;
}

static void sq_close(void *h)
{
	sq_db *d = h;
	if (d == NULL)
		return;
	for (int i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(d->st[i]);
	sq_consent_close(d->consent);
	sq_counts_close(d->counts);
	sqlite3_close(d->db);
	free(d);
}

static void *sq_open(const char *path, char *err, size_t errlen)
{
	sq_db *d = calloc(1, sizeof *d);
	char *msg = NULL;
	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(d->path, sizeof d->path, "%s", path);
	int rc = sqlite3_open_v2(path, &d->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    d->db != NULL ? sqlite3_errmsg(d->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(d->db, 5000);
	rc = sqlite3_exec(d->db,
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL,
	    &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(d->db, sq_schema, NULL, NULL, &msg);
	if (rc == SQLITE_OK && !sq_has_column(d->db, "audit", "count")) {
		log_info("store.migrate", "path=\"%s\" schema=2", path);
		rc = sqlite3_exec(d->db, sq_migrate_2, NULL, NULL, &msg);
		if (rc != SQLITE_OK)
			sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK && !sq_has_column(d->db, "report", "proof")) {
		log_info("store.migrate", "path=\"%s\" schema=3", path);
		rc = sqlite3_exec(d->db, sq_migrate_3, NULL, NULL, &msg);
		if (rc != SQLITE_OK)
			sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up %s: %s", path,
		    msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		goto fail;
	}
	if ((d->consent = sq_consent_open(d->db, path, err, errlen)) == NULL)
		goto fail;
	if ((d->counts = sq_counts_open(d->db, path, err, errlen)) == NULL)
		goto fail;
	for (int i = 0; i < SQ_COUNT; i++) {
		rc = sqlite3_prepare_v3(d->db, sq_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &d->st[i], NULL);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path,
			    sqlite3_errmsg(d->db));
			goto fail;
		}
	}
	return d;
fail:
	sq_close(d);
	return NULL;
}

static hd_err sq_step_done(sq_db *d, int id, const char *what)
{
	sqlite3_stmt *st = d->st[id];
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return sq_fail(d, what, rc);
	return HD_OK;
}

static hd_err sq_begin(void *h)
{
	return sq_step_done(h, SQ_BEGIN, "begin");
}

static hd_err sq_commit(void *h)
{
	return sq_step_done(h, SQ_COMMIT, "commit");
}

static void sq_rollback(void *h)
{
	sq_db *d = h;
	if (!sqlite3_get_autocommit(d->db))
		sq_step_done(d, SQ_ROLLBACK, "rollback");
}

static hd_err sq_insert_report(void *h, const store_report *r)
{
	sq_db *d = h;
	sqlite3_stmt *st = d->st[SQ_PUT_REPORT];
	sqlite3_bind_text(st, 1, r->report_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(
	    st, 5, r->household_hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, r->report, (int)r->report_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, r->sig, (int)r->sig_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, r->created_ms);
	sqlite3_bind_text(st, 9, r->persons, -1, SQLITE_STATIC);
	if (r->proof_len > 0)
		sqlite3_bind_blob(
		    st, 10, r->proof, (int)r->proof_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 10);
	hd_err e = sq_step_done(d, SQ_PUT_REPORT, "insert_report");
	if (e == HD_OK && sqlite3_changes(d->db) == 0)
		return HD_EEXIST; /* the key was taken: nothing written */
	return e;
}

static hd_err sq_insert_audit(void *h, const audit_record *a)
{
	sq_db *d = h;
	sqlite3_stmt *st = d->st[SQ_PUT_AUDIT];
	sqlite3_bind_int64(st, 1, a->seq);
	sqlite3_bind_int64(st, 2, a->time_ms);
	sqlite3_bind_text(st, 3, a->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->operator_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->case_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->method, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->report_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, a->persons, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, a->outcome);
	sqlite3_bind_blob(st, 10, a->prev, AUDIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, a->hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, a->count > 1 ? a->count : 1);
	sqlite3_bind_text(
	    st, 13, a->peer != NULL ? a->peer : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st, 14, a->reason != NULL ? a->reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st, 15, a->consents != NULL ? a->consents : "", -1, SQLITE_STATIC);
	return sq_step_done(d, SQ_PUT_AUDIT, "insert_audit");
}

static void sq_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, cap, "%s", t != NULL ? (const char *)t : "");
}

/* Reads the current row of a report query into out. */
static hd_err sq_read_report(sqlite3_stmt *st, store_report *out)
{
	memset(out, 0, sizeof *out);
	sq_text(st, 0, out->report_id, sizeof out->report_id);
	sq_text(st, 1, out->agency, sizeof out->agency);
	sq_text(st, 2, out->region, sizeof out->region);
	sq_text(st, 3, out->request_id, sizeof out->request_id);
	if (sqlite3_column_bytes(st, 4) == STORE_HASH_LEN)
		memcpy(out->household_hash, sqlite3_column_blob(st, 4),
		    STORE_HASH_LEN);
	int n = sqlite3_column_bytes(st, 5);
	out->report = malloc(n > 0 ? (size_t)n : 1);
	if (out->report == NULL)
		return HD_ENOMEM;
	if (n > 0)
		memcpy(out->report, sqlite3_column_blob(st, 5), (size_t)n);
	out->report_len = (size_t)n;
	n = sqlite3_column_bytes(st, 6);
	if (n > STORE_SIG_MAX)
		n = STORE_SIG_MAX;
	if (n > 0)
		memcpy(out->sig, sqlite3_column_blob(st, 6), (size_t)n);
	out->sig_len = (size_t)n;
	out->created_ms = sqlite3_column_int64(st, 7);
	sq_text(st, 8, out->persons, sizeof out->persons);
	n = sqlite3_column_bytes(st, 9);
	if (n > 0) {
		if ((out->proof = malloc((size_t)n)) == NULL) {
			store_report_clear(out);
			return HD_ENOMEM;
		}
		memcpy(out->proof, sqlite3_column_blob(st, 9), (size_t)n);
		out->proof_len = (size_t)n;
	}
	out->purged_ms = sqlite3_column_int64(st, 10); /* NULL: 0 */
	return HD_OK;
}

static hd_err sq_query_report(sq_db *d, int id, store_report *out)
{
	sqlite3_stmt *st = d->st[id];
	hd_err e;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = sq_read_report(st, out);
	else if (rc == SQLITE_DONE)
		e = HD_ENOTFOUND;
	else
		e = sq_fail(d, "get_report", rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return e;
}

static hd_err sq_get_report(void *h, const char *report_id, store_report *out)
{
	sq_db *d = h;
	sqlite3_bind_text(
	    d->st[SQ_GET_REPORT], 1, report_id, -1, SQLITE_STATIC);
	return sq_query_report(d, SQ_GET_REPORT, out);
}

static hd_err sq_find_by_request(void *h, const char *agency,
    const char *region, const char *request_id, store_report *out)
{
	sq_db *d = h;
	sqlite3_stmt *st = d->st[SQ_FIND_REPORT];
	sqlite3_bind_text(st, 1, agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, request_id, -1, SQLITE_STATIC);
	return sq_query_report(d, SQ_FIND_REPORT, out);
}

static hd_err sq_audit_head(void *h, int64_t *seq, uint8_t hash[32])
{
	sq_db *d = h;
	sqlite3_stmt *st = d->st[SQ_AUDIT_HEAD];
	hd_err e = HD_OK;
	*seq = 0;
	memset(hash, 0, 32);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(hash, sqlite3_column_blob(st, 1), 32);
	} else if (rc != SQLITE_DONE) {
		e = sq_fail(d, "audit_head", rc);
	}
	sqlite3_reset(st);
	return e;
}

static hd_err sq_probe(void *h)
{
	sq_db *d = h;
	hd_err e = sq_begin(d);
	if (e != HD_OK)
		return e;
	sqlite3_bind_int64(d->st[SQ_PROBE], 1, (sqlite3_int64)time(NULL));
	if ((e = sq_step_done(d, SQ_PROBE, "probe")) == HD_OK)
		e = sq_commit(d);
	if (e != HD_OK)
		sq_rollback(d);
	return e;
}

const store_backend_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .insert_report = sq_insert_report,
    .insert_audit = sq_insert_audit,
    .get_report = sq_get_report,
    .find_by_request = sq_find_by_request,
    .audit_head = sq_audit_head,
    .probe = sq_probe,
    .consent_insert = sq_consent_insert,
    .consent_revoke = sq_consent_revoke,
    .consent_get = sq_consent_get,
    .consent_list = sq_consent_list,
    .insert_summaries = sq_insert_summaries,
    .count_reports = sq_count_reports,
    .purge_reports = sq_purge_reports,
    .purge_due = sq_purge_due,
    .scrub = sq_scrub,
    .backfill_due = sq_backfill_due,
    .backfill_counts = sq_backfill_counts,
};
