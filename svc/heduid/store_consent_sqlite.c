/* SPDX-License-Identifier: MIT */
#include "store_consent_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum {
	SC_INSERT,
	SC_INSERT_MEMBER,
	SC_REVOKE,
	SC_GET,
	SC_MEMBERS,
	SC_BY_PERSON,
	SC_BY_NUMBER,
	SC_EXPIRING,
	SC_COUNT
};

#define SC_COLS                                                               \
	"c.region, c.number, c.signed_on, c.valid_from, c.valid_until,"       \
	" c.programs, c.sources, c.form_sha256, c.content_mac, c.agency,"     \
	" c.agency_prefix, c.registered_ms, c.revoked_ms, c.revoked_by,"      \
	" c.revoke_reason"
/* ?2 region prefix, (?3, ?4) the page's last (region, number), ?5 limit. */
#define SC_PAGE                                                               \
	" AND substr(c.region, 1, length(?2)) = ?2"                           \
	" AND (c.region > ?3 OR (c.region = ?3 AND c.number > ?4))"           \
	" ORDER BY c.region, c.number LIMIT ?5"

static const char *const sc_sql[SC_COUNT] = {
    [SC_INSERT] =
        "INSERT INTO consent(region, number, signed_on, valid_from,"
        " valid_until, programs, sources, form_sha256, content_mac, agency,"
        " agency_prefix, registered_ms)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [SC_INSERT_MEMBER] =
        "INSERT INTO consent_member(region, number, seq, person, id_masked,"
        " guardian, guardian_masked, relation, basis, adult_on)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [SC_REVOKE] = "UPDATE consent SET revoked_ms = ?3, revoked_by = ?4,"
                  " revoke_reason = ?5"
                  " WHERE region = ?1 AND number = ?2 AND revoked_ms = 0",
    [SC_GET] = "SELECT " SC_COLS " FROM consent c"
               " WHERE c.region = ?1 AND c.number = ?2",
    [SC_MEMBERS] = "SELECT person, id_masked, guardian, guardian_masked,"
                   " relation, basis, adult_on FROM consent_member"
                   " WHERE region = ?1 AND number = ?2 ORDER BY seq",
    [SC_BY_PERSON] = "SELECT " SC_COLS " FROM consent_member m JOIN consent c"
                     " ON c.region = m.region AND c.number = m.number"
                     " WHERE m.person = ?1" SC_PAGE,
    [SC_BY_NUMBER] =
        "SELECT " SC_COLS " FROM consent c WHERE c.number = ?1" SC_PAGE,
    [SC_EXPIRING] = "SELECT " SC_COLS " FROM consent c"
                    " WHERE c.revoked_ms = 0 AND c.valid_until < ?1"
                    " AND c.valid_until >= ?6" SC_PAGE,
};

/* Registry schema 1. Its own meta key: the store's schema number moves
 * with other work, and either may come first. */
static const char sc_tables[] =
    "CREATE TABLE IF NOT EXISTS consent("
    " region TEXT NOT NULL, number TEXT NOT NULL,"
    " signed_on INTEGER NOT NULL, valid_from INTEGER NOT NULL,"
    " valid_until INTEGER NOT NULL, programs INTEGER NOT NULL,"
    " sources INTEGER NOT NULL, form_sha256 BLOB NOT NULL,"
    " content_mac BLOB NOT NULL, agency TEXT NOT NULL,"
    " agency_prefix TEXT NOT NULL, registered_ms INTEGER NOT NULL,"
    " revoked_ms INTEGER NOT NULL DEFAULT 0,"
    " revoked_by TEXT NOT NULL DEFAULT '',"
    " revoke_reason TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY(region, number)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS consent_by_number ON consent(number);"
    "CREATE INDEX IF NOT EXISTS consent_by_until ON consent(valid_until);"
    "CREATE TABLE IF NOT EXISTS consent_member("
    " region TEXT NOT NULL, number TEXT NOT NULL, seq INTEGER NOT NULL,"
    " person TEXT NOT NULL, id_masked TEXT NOT NULL,"
    " guardian TEXT NOT NULL, guardian_masked TEXT NOT NULL,"
    " relation TEXT NOT NULL, basis TEXT NOT NULL,"
    " adult_on INTEGER NOT NULL,"
    " PRIMARY KEY(region, number, seq)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS consent_member_by_person"
    " ON consent_member(person);";

struct sq_consent {
	sqlite3 *db;
	sqlite3_stmt *st[SC_COUNT];
	char path[512];
};

static hd_err sc_fail(sq_consent *c, const char *what, int rc)
{
	log_error("store.sqlite", "op=%s path=\"%s\" rc=%d error=\"%s\"", what,
	    c->path, rc, sqlite3_errmsg(c->db));
	return HD_EDB;
}

static bool sc_has(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	bool found = false;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
		found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static bool sc_audit_has_consents(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	bool found = false;
	if (sqlite3_prepare_v2(
	        db, "PRAGMA table_info(audit)", -1, &st, NULL) != SQLITE_OK)
		return false;
	while (!found && sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *n = sqlite3_column_text(st, 1);
		found = n != NULL && strcmp((const char *)n, "consents") == 0;
	}
	sqlite3_finalize(st);
	return found;
}

/* Migrates in one transaction, checking again inside it: the writer's and
 * the readers' connections both open the file. */
static int sc_migrate(sqlite3 *db, const char *path, char **msg)
{
	static const char mark[] =
	    "SELECT 1 FROM meta WHERE key = 'consent_schema'";
	if (sc_has(db, mark))
		return SQLITE_OK;
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, msg);
	if (rc != SQLITE_OK || sc_has(db, mark))
		goto done;
	log_info("store.migrate", "path=\"%s\" consent_schema=1", path);
	rc = sqlite3_exec(db, sc_tables, NULL, NULL, msg);
	if (rc == SQLITE_OK && !sc_audit_has_consents(db))
		rc = sqlite3_exec(db,
		    "ALTER TABLE audit ADD COLUMN consents TEXT NOT NULL "
		    "DEFAULT ''",
		    NULL, NULL, msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
		    "INSERT INTO meta(key, value) VALUES('consent_schema', "
		    "'1')",
		    NULL, NULL, msg);
done:
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, msg);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

sq_consent *sq_consent_open(
    sqlite3 *db, const char *path, char *err, size_t errlen)
{
	char *msg = NULL;
	sq_consent *c = calloc(1, sizeof *c);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->db = db;
	snprintf(c->path, sizeof c->path, "%s", path);
	int rc = sc_migrate(db, path, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen,
		    "cannot set up the consent registry in "
		    "%s: %s",
		    path, msg != NULL ? msg : sqlite3_errstr(rc));
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
	return c;
fail:
	sq_consent_close(c);
	return NULL;
}

void sq_consent_close(sq_consent *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < SC_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	free(c);
}

static void sc_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

hd_err sq_consent_insert(void *h, const store_consent *c)
{
	sq_consent *d = sq_consent_of(h);
	sqlite3_stmt *st = d->st[SC_INSERT];
	sqlite3_bind_text(st, 1, c->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->number, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, c->signed_on);
	sqlite3_bind_int(st, 4, c->valid_from);
	sqlite3_bind_int(st, 5, c->valid_until);
	sqlite3_bind_int(st, 6, (int)c->programs);
	sqlite3_bind_int(st, 7, (int)c->sources);
	sqlite3_bind_blob(st, 8, c->form_sha256, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, c->content_mac, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, c->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, c->agency_prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, c->registered_ms);
	int rc = sqlite3_step(st);
	sc_reset(st);
	/* Only this statement is undone: the batch goes on. */
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return HD_EEXIST;
	if (rc != SQLITE_DONE)
		return sc_fail(d, "consent_insert", rc);
	st = d->st[SC_INSERT_MEMBER];
	for (size_t i = 0; i < c->n_members; i++) {
		const store_consent_member *m = &c->members[i];
		sqlite3_bind_text(st, 1, c->region, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->number, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, (int)i);
		sqlite3_bind_text(st, 4, m->person, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, m->id_masked, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, m->guardian, -1, SQLITE_STATIC);
		sqlite3_bind_text(
		    st, 7, m->guardian_masked, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, m->relation, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, m->basis, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 10, m->adult_on);
		rc = sqlite3_step(st);
		sc_reset(st);
		if (rc != SQLITE_DONE)
			return sc_fail(d, "consent_insert_member", rc);
	}
	return HD_OK;
}

hd_err sq_consent_revoke(void *h, const char *region, const char *number,
    int64_t at_ms, const char *by, const char *reason)
{
	sq_consent *d = sq_consent_of(h);
	sqlite3_stmt *st = d->st[SC_REVOKE];
	sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, number, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, at_ms);
	sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sc_reset(st);
	if (rc != SQLITE_DONE)
		return sc_fail(d, "consent_revoke", rc);
	return sqlite3_changes(d->db) == 1 ? HD_OK : HD_ENOTFOUND;
}

static void sc_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, cap, "%s", t != NULL ? (const char *)t : "");
}

static void sc_blob32(sqlite3_stmt *st, int col, uint8_t out[32])
{
	memset(out, 0, 32);
	if (sqlite3_column_bytes(st, col) == 32)
		memcpy(out, sqlite3_column_blob(st, col), 32);
}

/* The current row of an SC_COLS query, then its members. */
static hd_err sc_read(sq_consent *d, sqlite3_stmt *st, store_consent *c)
{
	memset(c, 0, offsetof(store_consent, members));
	sc_text(st, 0, c->region, sizeof c->region);
	sc_text(st, 1, c->number, sizeof c->number);
	c->signed_on = sqlite3_column_int(st, 2);
	c->valid_from = sqlite3_column_int(st, 3);
	c->valid_until = sqlite3_column_int(st, 4);
	c->programs = (unsigned)sqlite3_column_int(st, 5);
	c->sources = (unsigned)sqlite3_column_int(st, 6);
	sc_blob32(st, 7, c->form_sha256);
	sc_blob32(st, 8, c->content_mac);
	sc_text(st, 9, c->agency, sizeof c->agency);
	sc_text(st, 10, c->agency_prefix, sizeof c->agency_prefix);
	c->registered_ms = sqlite3_column_int64(st, 11);
	c->revoked_ms = sqlite3_column_int64(st, 12);
	sc_text(st, 13, c->revoked_by, sizeof c->revoked_by);
	sc_text(st, 14, c->revoke_reason, sizeof c->revoke_reason);

	sqlite3_stmt *ms = d->st[SC_MEMBERS];
	sqlite3_bind_text(ms, 1, c->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(ms, 2, c->number, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(ms)) == SQLITE_ROW &&
	       c->n_members < CONSENT_MAX_MEMBERS) {
		store_consent_member *m = &c->members[c->n_members++];
		sc_text(ms, 0, m->person, sizeof m->person);
		sc_text(ms, 1, m->id_masked, sizeof m->id_masked);
		sc_text(ms, 2, m->guardian, sizeof m->guardian);
		sc_text(ms, 3, m->guardian_masked, sizeof m->guardian_masked);
		sc_text(ms, 4, m->relation, sizeof m->relation);
		sc_text(ms, 5, m->basis, sizeof m->basis);
		m->adult_on = sqlite3_column_int(ms, 6);
	}
	sc_reset(ms);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sc_fail(d, "consent_members", rc);
	return HD_OK;
}

hd_err sq_consent_get(
    void *h, const char *region, const char *number, store_consent *out)
{
	sq_consent *d = sq_consent_of(h);
	sqlite3_stmt *st = d->st[SC_GET];
	sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, number, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	hd_err e = rc == SQLITE_ROW    ? sc_read(d, st, out)
	           : rc == SQLITE_DONE ? HD_ENOTFOUND
	                               : sc_fail(d, "consent_get", rc);
	sc_reset(st);
	return e;
}

hd_err sq_consent_list(void *h, const store_consent_query *q,
    hd_err (*each)(const store_consent *c, void *arg), void *arg)
{
	sq_consent *d = sq_consent_of(h);
	sqlite3_stmt *st;
	if (q->person != NULL) {
		st = d->st[SC_BY_PERSON];
		sqlite3_bind_text(st, 1, q->person, -1, SQLITE_STATIC);
	} else if (q->number != NULL) {
		st = d->st[SC_BY_NUMBER];
		sqlite3_bind_text(st, 1, q->number, -1, SQLITE_STATIC);
	} else {
		st = d->st[SC_EXPIRING];
		sqlite3_bind_int(st, 1, q->expiring_before);
		sqlite3_bind_int(st, 6, q->today);
	}
	sqlite3_bind_text(st, 2,
	    q->region_prefix != NULL ? q->region_prefix : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3,
	    q->after_region != NULL ? q->after_region : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4,
	    q->after_number != NULL ? q->after_number : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, q->limit > 0 ? q->limit : 100);
	store_consent *c = malloc(sizeof *c);
	hd_err e = c != NULL ? HD_OK : HD_ENOMEM;
	int rc = SQLITE_DONE;
	while (e == HD_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		e = sc_read(d, st, c);
		if (e == HD_OK)
			e = each(c, arg);
	}
	if (e == HD_OK && rc != SQLITE_DONE)
		e = sc_fail(d, "consent_list", rc);
	sc_reset(st);
	free(c);
	return e;
}
