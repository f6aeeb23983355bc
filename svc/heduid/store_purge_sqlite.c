/* SPDX-License-Identifier: MIT */
/*
 * Retention in the SQLite backend. A purge empties a report's bytes and
 * keeps what shows it existed (store.h store_purge); with secure_delete
 * (set at open, store_counts_sqlite.c) SQLite overwrites the freed cell
 * and overflow pages with zeros. The write-ahead log still holds the old
 * pages until a checkpoint resets it, and a reset log is overwritten,
 * not shortened: sq_scrub's TRUNCATE checkpoint empties the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "log.h"
#include "store_counts_sqlite.h"
#include "store_purge_sqlite.h"

enum { SP_SELECT, SP_UPDATE, SP_DUE, SP_COUNT };

static const char *const sp_sql[SP_COUNT] = {
    /* The partial index report_unpurged: oldest first, purged ones
     * are no longer in it. */
    [SP_SELECT] = "SELECT report_id, report FROM report"
                  " WHERE purged_ms IS NULL AND created_ms < ?1"
                  " ORDER BY created_ms LIMIT ?2",
    [SP_UPDATE] = "UPDATE report SET report = X'', purged_ms = ?2,"
                  " report_sha256 = ?3, conclusion = ?4"
                  " WHERE report_id = ?1",
    /* Parenthesised: clang takes a split literal here for a missing
     * comma. */
    [SP_DUE] = ("SELECT 1 FROM report WHERE purged_ms IS NULL"
                " AND created_ms < ?1 LIMIT 1"),
};

struct sq_purge {
	sqlite3 *db;
	char path[512];
	sqlite3_stmt *st[SP_COUNT];
};

/* A report to empty, read before any is written. */
typedef struct sp_victim {
	char report_id[48];
	uint8_t sha256[SHA256_DIGEST_LENGTH];
	char conclusion[32];
} sp_victim;

void sq_purge_close(sq_purge *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < SP_COUNT; i++)
		sqlite3_finalize(p->st[i]);
	free(p);
}

sq_purge *sq_purge_open(
    sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sq_purge *p = calloc(1, sizeof *p);
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->db = db;
	snprintf(p->path, sizeof p->path, "%s", path);
	for (int i = 0; i < SP_COUNT; i++) {
		if (sqlite3_prepare_v3(db, sp_sql[i], -1,
		        SQLITE_PREPARE_PERSISTENT, &p->st[i],
		        NULL) != SQLITE_OK) {
			snprintf(
			    err, errlen, "%s: %s", path, sqlite3_errmsg(db));
			sq_purge_close(p);
			return NULL;
		}
	}
	return p;
}

static hd_err sp_fail(sq_purge *p, const char *what, int rc)
{
	log_error("store.sqlite", "op=%s path=\"%s\" rc=%d error=\"%s\"", what,
	    p->path, rc, sqlite3_errmsg(p->db));
	return HD_EDB;
}

/* Up to limit reports to purge, with what is kept of each. */
static hd_err sp_select(sq_purge *p, int64_t before_ms, int limit,
    store_conclude_fn conclude, sp_victim *v, int *n)
{
	sqlite3_stmt *st = p->st[SP_SELECT];
	int rc = SQLITE_DONE;
	*n = 0;
	sqlite3_bind_int64(st, 1, before_ms);
	sqlite3_bind_int(st, 2, limit);
	while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		sp_victim *x = &v[(*n)++];
		const unsigned char *id = sqlite3_column_text(st, 0);
		const uint8_t *bytes = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		snprintf(x->report_id, sizeof x->report_id, "%s",
		    id != NULL ? (const char *)id : "");
		SHA256(bytes != NULL ? bytes : (const uint8_t *)"", len,
		    x->sha256);
		x->conclusion[0] = '\0';
		if (conclude != NULL && bytes != NULL)
			conclude(
			    bytes, len, x->conclusion, sizeof x->conclusion);
	}
	if (*n < limit && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return sp_fail(p, "purge_select", rc);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return HD_OK;
}

hd_err sq_purge_reports(void *h, int64_t before_ms, int64_t now_ms, int limit,
    store_conclude_fn conclude, int *purged)
{
	sq_purge *p = sq_purge_of(h);
	sp_victim *v = NULL;
	int n = 0;
	hd_err e = HD_OK;
	*purged = 0;
	if (limit <= 0)
		return HD_OK;
	if ((v = malloc((size_t)limit * sizeof *v)) == NULL)
		return HD_ENOMEM;
	if ((e = sp_select(p, before_ms, limit, conclude, v, &n)) != HD_OK)
		goto out;
	sqlite3_stmt *st = p->st[SP_UPDATE];
	for (int i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, v[i].report_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now_ms);
		sqlite3_bind_blob(
		    st, 3, v[i].sha256, sizeof v[i].sha256, SQLITE_STATIC);
		if (v[i].conclusion[0] != '\0')
			sqlite3_bind_text(
			    st, 4, v[i].conclusion, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 4);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (rc != SQLITE_DONE) {
			e = sp_fail(p, "purge_update", rc);
			goto out;
		}
	}
	*purged = n;
out:
	free(v);
	return e;
}

hd_err sq_purge_due(void *h, int64_t before_ms)
{
	sq_purge *p = sq_purge_of(h);
	sqlite3_stmt *st = p->st[SP_DUE];
	sqlite3_bind_int64(st, 1, before_ms);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return HD_OK;
	return rc == SQLITE_DONE ? HD_ENOTFOUND : sp_fail(p, "purge_due", rc);
}

hd_err sq_scrub(void *h)
{
	sq_purge *p = sq_purge_of(h);
	int log_frames = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(
	    p->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &done);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return HD_EBUSY;
	return rc == SQLITE_OK ? HD_OK : sp_fail(p, "scrub", rc);
}
