/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend of the store, through libpq. Every session sets
 * synchronous_commit = on, so a COMMIT that returns is flushed (and, with
 * synchronous_standby_names on the server, on the standby too): a verdict
 * is still answered only once its report and audit record are durable.
 *
 * Several heduid replicas may share the database. The idempotency key
 * (agency, region, request_id) is a unique constraint; the audit trail
 * stays one chain, appended by one writer at a time (audit_head_locked:
 * an advisory lock held until the transaction ends, then the head read
 * inside it); the replay cache of agency signatures is a table with a
 * unique key and an expiry (replay_record).
 *
 * A lost connection is made again: at the next statement run outside a
 * transaction (a read, BEGIN, the health probe). Inside a transaction the
 * loss fails the group, and store.c's probe brings the store back.
 */
#include "store_pg.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store_backend.h"
#include "store_url.h"

/* Advisory locks are two int4: 1751475317 (0x68656475, "hedu"), then 1
 * for the audit chain, 2 for schema changes. */

/* Expired replay entries are deleted every so many records. */
#define PG_REPLAY_PURGE_EVERY 256

typedef struct pg_stmt {
	const char *name;
	const char *sql;
} pg_stmt;

static const pg_stmt pg_stmts[] = {
    {"put_report",
        "INSERT INTO report(report_id, agency, region, request_id,"
        " household_hash, report, signature, created_ms, persons, proof)"
        " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT(agency, region, request_id) DO NOTHING"},
    {"put_audit",
        "INSERT INTO audit(seq, time_ms, agency, operator_id, case_id,"
        " method, report_id, persons, outcome, prev_hash, hash, count,"
        " peer, reason, consents)"
        " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
        " $14, $15)"},
    {"get_report",
        "SELECT report_id, agency, region, request_id, household_hash,"
        " report, signature, created_ms, persons, proof, purged_ms"
        " FROM report WHERE report_id = $1"},
    {"find_report",
        "SELECT report_id, agency, region, request_id, household_hash,"
        " report, signature, created_ms, persons, proof, purged_ms"
        " FROM report WHERE agency = $1 AND region = $2"
        " AND request_id = $3"},
    {"audit_head", "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"},
    {"chain_lock", "SELECT pg_advisory_xact_lock(1751475317, 1)"},
    {"probe", "INSERT INTO probe(id, at_ms) VALUES(1, $1)"
              " ON CONFLICT(id) DO UPDATE SET at_ms = EXCLUDED.at_ms"},
    /* A key seen before but expired is taken again. */
    {"replay",
        "INSERT INTO replay(key, expires_ms) VALUES($1, $2)"
        " ON CONFLICT(key) DO UPDATE SET expires_ms = EXCLUDED.expires_ms"
        " WHERE replay.expires_ms <= $3"},
    {"replay_purge", "DELETE FROM replay WHERE expires_ms <= $1"},
};
#define PG_NSTMTS (sizeof pg_stmts / sizeof pg_stmts[0])

/* The store's schema, by steps: step i takes version i to i + 1. A new
 * version is a new step at the end (never an edit of an old one). */
static const char *const pg_store_steps[] = {
    "CREATE TABLE report("
    " report_id text PRIMARY KEY,"
    " agency text NOT NULL, region text NOT NULL, request_id text NOT NULL,"
    " household_hash bytea NOT NULL, report bytea NOT NULL,"
    " signature bytea NOT NULL, created_ms bigint NOT NULL,"
    " persons text NOT NULL, proof bytea,"
    " UNIQUE(agency, region, request_id));"
    "CREATE TABLE audit("
    " seq bigint PRIMARY KEY, time_ms bigint NOT NULL,"
    " agency text NOT NULL, operator_id text NOT NULL,"
    " case_id text NOT NULL, method text NOT NULL,"
    " report_id text NOT NULL, persons text NOT NULL,"
    " outcome integer NOT NULL, prev_hash bytea NOT NULL,"
    " hash bytea NOT NULL, count bigint NOT NULL DEFAULT 1,"
    " peer text NOT NULL DEFAULT '', reason text NOT NULL DEFAULT '',"
    " consents text NOT NULL DEFAULT '');"
    "CREATE TABLE probe(id integer PRIMARY KEY, at_ms bigint NOT NULL);"
    "CREATE TABLE replay(key bytea PRIMARY KEY, expires_ms bigint NOT NULL);"
    "CREATE INDEX replay_by_expiry ON replay(expires_ms);",
    /* 2: statistics and retention (store_counts_pg.c), as SQLite's
     * schema 4. purged_ms: when retention emptied the report (NULL:
     * whole); report_sha256 and conclusion: what it keeps of the
     * content; the partial index finds the reports still to purge.
     * Count keys compare byte by byte (COLLATE "C"), as in SQLite.
     * count_backfill: the reports made before this step, to be counted
     * in the background (store_backfill_counts). */
    "ALTER TABLE report ADD COLUMN purged_ms bigint,"
    " ADD COLUMN report_sha256 bytea, ADD COLUMN conclusion text;"
    "CREATE INDEX report_unpurged ON report(created_ms)"
    " WHERE purged_ms IS NULL;"
    "CREATE TABLE count_day(day integer NOT NULL,"
    " region text COLLATE \"C\" NOT NULL,"
    " program text COLLATE \"C\" NOT NULL, dim integer NOT NULL,"
    " key text COLLATE \"C\" NOT NULL, n bigint NOT NULL,"
    " PRIMARY KEY(day, region, program, dim, key));"
    "CREATE TABLE count_month(month integer NOT NULL,"
    " region text COLLATE \"C\" NOT NULL,"
    " program text COLLATE \"C\" NOT NULL, dim integer NOT NULL,"
    " key text COLLATE \"C\" NOT NULL, n bigint NOT NULL,"
    " PRIMARY KEY(month, region, program, dim, key));"
    "CREATE TABLE count_backfill(report_id text COLLATE \"C\" PRIMARY KEY);"
    "INSERT INTO count_backfill SELECT report_id FROM report;",
};

struct pg_db {
	PGconn *conn;
	char *url;
	char shown[256]; /* the URL without its password, for logs */
	bool in_tx;
	bool replay_async; /* this session's commits no longer wait */
	unsigned replays;
};

static void pg_quiet(void *arg, const char *message)
{
	/* NOTICEs (an IF NOT EXISTS) are not for heduid's log. */
	(void)arg;
	(void)message;
}

/* The server's own words for a failure, without DETAIL lines: those may
 * quote a row's values (a request_id, a person hash). */
static void pg_log_error(pg_db *d, const char *what, PGresult *r)
{
	const char *state =
	    r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
	    r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char conn_msg[200];
	if (msg == NULL) {
		/* libpq's own (lost connection): the first line. */
		snprintf(conn_msg, sizeof conn_msg, "%s",
		    d->conn != NULL ? PQerrorMessage(d->conn)
		                    : "no connection");
		conn_msg[strcspn(conn_msg, "\n")] = '\0';
		store_url_redact(d->url, conn_msg, sizeof conn_msg);
		msg = conn_msg;
	}
	log_error("store.postgresql",
	    "op=%s db=\"%s\" sqlstate=%s error=\"%s\"", what, d->shown,
	    state != NULL ? state : "-", msg);
}

void pg_p_text(pg_params *p, const char *s)
{
	p->v[p->n] = s != NULL ? s : "";
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

void pg_p_bytes(pg_params *p, const void *b, size_t n)
{
	/* A NULL of bytea (no proof) is a NULL value. */
	p->v[p->n] = b;
	p->len[p->n] = (int)n;
	p->fmt[p->n] = 1;
	p->n++;
}

void pg_p_int(pg_params *p, int64_t x)
{
	snprintf(p->num[p->n], sizeof p->num[p->n], "%lld", (long long)x);
	pg_p_text(p, p->num[p->n]);
}

int64_t pg_changed(PGresult *r)
{
	const char *t = PQcmdTuples(r);
	return t != NULL && t[0] != '\0' ? strtoll(t, NULL, 10) : 0;
}

void pg_get_text(PGresult *r, int row, int col, char *dst, size_t cap)
{
	int n = PQgetisnull(r, row, col) ? 0 : PQgetlength(r, row, col);
	if ((size_t)n >= cap)
		n = (int)cap - 1;
	memcpy(dst, PQgetvalue(r, row, col), (size_t)n);
	dst[n] = '\0';
}

int64_t pg_get_int(PGresult *r, int row, int col)
{
	const uint8_t *v = (const uint8_t *)PQgetvalue(r, row, col);
	int n = PQgetisnull(r, row, col) ? 0 : PQgetlength(r, row, col);
	uint64_t x = 0;
	for (int i = 0; i < n && i < 8; i++)
		x = x << 8 | v[i];
	if (n == 4)
		return (int32_t)(uint32_t)x;
	if (n == 2)
		return (int16_t)(uint16_t)x;
	return (int64_t)x;
}

size_t pg_get_bytes(PGresult *r, int row, int col, uint8_t *dst, size_t cap)
{
	if (PQgetisnull(r, row, col))
		return 0;
	size_t n = (size_t)PQgetlength(r, row, col);
	memcpy(dst, PQgetvalue(r, row, col), n < cap ? n : cap);
	return n;
}

/* One statement of the simple protocol (session settings, schema). */
static bool pg_simple(pg_db *d, const char *sql, const char *what)
{
	PGresult *r = PQexec(d->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		pg_log_error(d, what, r);
	PQclear(r);
	return ok;
}

/* A new connection, its session settings and statements. */
static bool pg_connect(pg_db *d, char *err, size_t errlen)
{
	/* Ours first: the URL's own values, when it has them, win. The
	 * timeouts bound how long a vanished server can hold the writer:
	 * a connection attempt, unanswered TCP, a transaction left open. */
	static const char *const keys[] = {"connect_timeout",
	    "keepalives_idle", "keepalives_interval", "keepalives_count",
	    "tcp_user_timeout", "application_name", "dbname", NULL};
	const char *vals[] = {
	    "5", "5", "2", "3", "10000", "heduid", d->url, NULL};
	if (d->conn != NULL)
		PQfinish(d->conn);
	d->in_tx = false;
	d->replay_async = false;
	d->conn = PQconnectdbParams(keys, vals, 1);
	if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK) {
		char msg[200];
		snprintf(msg, sizeof msg, "%s",
		    d->conn != NULL ? PQerrorMessage(d->conn)
		                    : "out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		store_url_redact(d->url, msg, sizeof msg);
		snprintf(
		    err, errlen, "cannot connect to %s: %s", d->shown, msg);
		return false;
	}
	PQsetNoticeProcessor(d->conn, pg_quiet, NULL);
	/* synchronous_commit is what the server may have turned off; the
	 * two timeouts free the chain's lock if this process stops in the
	 * middle of a transaction, or another one does. */
	if (!pg_simple(d,
	        "SET synchronous_commit = on;"
	        " SET idle_in_transaction_session_timeout = '30s';"
	        " SET lock_timeout = '30s'",
	        "session")) {
		snprintf(
		    err, errlen, "%s: cannot set up the session", d->shown);
		return false;
	}
	return true;
}

static bool pg_prepare(pg_db *d, char *err, size_t errlen)
{
	for (size_t i = 0; i < PG_NSTMTS; i++) {
		PGresult *r = PQprepare(
		    d->conn, pg_stmts[i].name, pg_stmts[i].sql, 0, NULL);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			pg_log_error(d, pg_stmts[i].name, r);
		PQclear(r);
		if (!ok) {
			snprintf(err, errlen, "%s: cannot prepare %s",
			    d->shown, pg_stmts[i].name);
			return false;
		}
	}
	return pg_consent_prepare(d->conn, err, errlen) == HD_OK &&
	       pg_counts_prepare(d->conn, err, errlen) == HD_OK;
}

static bool pg_reconnect(pg_db *d)
{
	char err[300];
	if (pg_connect(d, err, sizeof err) && pg_prepare(d, err, sizeof err)) {
		log_info("store.postgresql", "db=\"%s\" reconnected=true",
		    d->shown);
		return true;
	}
	log_error("store.postgresql", "db=\"%s\" error=\"%s\"", d->shown, err);
	return false;
}

PGresult *pg_run(
    pg_db *d, const char *name, const pg_params *p, const char *what)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (PQstatus(d->conn) != CONNECTION_OK &&
		    (d->in_tx || !pg_reconnect(d)))
			return NULL;
		PGresult *r = PQexecPrepared(d->conn, name,
		    p != NULL ? p->n : 0, p != NULL ? p->v : NULL,
		    p != NULL ? p->len : NULL, p != NULL ? p->fmt : NULL, 1);
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
			return r;
		/* Lost (a server restarted, a connection cut): once more on
		 * a new connection, unless a transaction went with it. */
		bool lost = PQstatus(d->conn) != CONNECTION_OK;
		if (!lost || d->in_tx || attempt > 0)
			pg_log_error(d, what, r);
		PQclear(r);
		if (!lost || d->in_tx)
			return NULL;
	}
	return NULL;
}

hd_err pg_command(pg_db *d, const char *sql, const char *what)
{
	if (PQstatus(d->conn) != CONNECTION_OK &&
	    (d->in_tx || !pg_reconnect(d)))
		return HD_EDB;
	PGresult *r = PQexec(d->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	hd_err e = HD_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		/* 55P03 lock_not_available (lock_timeout), 57014
		 * query_canceled: another session held it, try later. */
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		e = state != NULL && (strcmp(state, "55P03") == 0 ||
		                         strcmp(state, "57014") == 0)
		        ? HD_EBUSY
		        : HD_EDB;
		pg_log_error(d, what, r);
	}
	PQclear(r);
	return e;
}

/* Runs the schema steps of one component past its recorded version, in
 * the caller's transaction. */
static bool pg_migrate_component(pg_db *d, const char *component,
    const char *const *steps, int nsteps, char *err, size_t errlen)
{
	const char *pv[1] = {component};
	PGresult *r = PQexecParams(d->conn,
	    "SELECT version FROM hedui_schema WHERE component = $1", 1, NULL,
	    pv, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_log_error(d, "schema_version", r);
		PQclear(r);
		snprintf(err, errlen, "%s: cannot read the schema version",
		    d->shown);
		return false;
	}
	int version = PQntuples(r) > 0 ? atoi(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	if (version > nsteps) {
		/* A newer heduid migrated it: what this one would write may
		 * no longer be what that one reads. */
		snprintf(err, errlen,
		    "%s: %s schema version %d is newer than this heduid's "
		    "(%d)",
		    d->shown, component, version, nsteps);
		return false;
	}
	for (int v = version; v < nsteps; v++) {
		log_info("store.migrate", "db=\"%s\" %s_schema=%d", d->shown,
		    component, v + 1);
		if (!pg_simple(d, steps[v], "migrate")) {
			snprintf(err, errlen, "%s: cannot migrate %s to %d",
			    d->shown, component, v + 1);
			return false;
		}
	}
	if (version == nsteps)
		return true;
	char ver[16];
	snprintf(ver, sizeof ver, "%d", nsteps);
	const char *uv[2] = {component, ver};
	r = PQexecParams(d->conn,
	    "INSERT INTO hedui_schema(component, version) VALUES($1, $2)"
	    " ON CONFLICT(component) DO UPDATE SET version = EXCLUDED.version",
	    2, NULL, uv, NULL, NULL, 0);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		pg_log_error(d, "schema_version", r);
	PQclear(r);
	return ok;
}

/* Creates or migrates the tables, one process at a time: replicas
 * started together must not both create them. */
static bool pg_migrate(pg_db *d, char *err, size_t errlen)
{
	bool ok = pg_simple(d, "SELECT pg_advisory_lock(1751475317, 2)",
	              "schema_lock") &&
	          pg_simple(d,
	              "BEGIN; CREATE TABLE IF NOT EXISTS hedui_schema("
	              " component text PRIMARY KEY,"
	              " version integer NOT NULL)",
	              "schema") &&
	          pg_migrate_component(d, "store", pg_store_steps,
	              (int)(sizeof pg_store_steps / sizeof *pg_store_steps),
	              err, errlen) &&
	          pg_migrate_component(d, "consent", pg_consent_steps,
	              pg_consent_nsteps, err, errlen) &&
	          pg_simple(d, "COMMIT", "schema");
	if (!ok) {
		pg_simple(d, "ROLLBACK", "schema");
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: cannot create the tables",
			    d->shown);
	}
	pg_simple(
	    d, "SELECT pg_advisory_unlock(1751475317, 2)", "schema_lock");
	return ok;
}

static void pg_close(void *h)
{
	pg_db *d = h;
	if (d == NULL)
		return;
	PQfinish(d->conn);
	free(d->url);
	free(d);
}

static void *pg_open(const char *path, char *err, size_t errlen)
{
	pg_db *d = calloc(1, sizeof *d);
	if (d == NULL || (d->url = strdup(path)) == NULL) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	store_url_mask(path, d->shown, sizeof d->shown);
	err[0] = '\0';
	if (!pg_connect(d, err, errlen) || !pg_migrate(d, err, errlen) ||
	    !pg_prepare(d, err, errlen)) {
		pg_close(d);
		return NULL;
	}
	return d;
}

static hd_err pg_begin(void *h)
{
	pg_db *d = h;
	/* Outside a transaction: a connection lost since the last group is
	 * made again here, before anything is written. */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (PQstatus(d->conn) != CONNECTION_OK && !pg_reconnect(d))
			return HD_EDB;
		PGresult *r = PQexec(d->conn, "BEGIN");
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (ok) {
			PQclear(r);
			d->in_tx = true;
			return HD_OK;
		}
		if (PQstatus(d->conn) == CONNECTION_OK || attempt > 0) {
			pg_log_error(d, "begin", r);
			PQclear(r);
			return HD_EDB;
		}
		PQclear(r);
	}
	return HD_EDB;
}

static hd_err pg_commit(void *h)
{
	pg_db *d = h;
	PGresult *r = PQexec(d->conn, "COMMIT");
	/* A transaction that failed ends by COMMIT answering ROLLBACK. */
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK &&
	          strcmp(PQcmdStatus(r), "COMMIT") == 0;
	if (!ok)
		pg_log_error(d, "commit", r);
	PQclear(r);
	d->in_tx = false;
	return ok ? HD_OK : HD_EDB;
}

static void pg_rollback(void *h)
{
	pg_db *d = h;
	d->in_tx = false;
	if (PQstatus(d->conn) != CONNECTION_OK ||
	    PQtransactionStatus(d->conn) == PQTRANS_IDLE)
		return;
	PQclear(PQexec(d->conn, "ROLLBACK"));
}

static hd_err pg_insert_report(void *h, const store_report *r)
{
	pg_db *d = h;
	pg_params p = {0};
	pg_p_text(&p, r->report_id);
	pg_p_text(&p, r->agency);
	pg_p_text(&p, r->region);
	pg_p_text(&p, r->request_id);
	pg_p_bytes(&p, r->household_hash, STORE_HASH_LEN);
	pg_p_bytes(&p, r->report, r->report_len);
	pg_p_bytes(&p, r->sig, r->sig_len);
	pg_p_int(&p, r->created_ms);
	pg_p_text(&p, r->persons);
	pg_p_bytes(&p, r->proof_len > 0 ? r->proof : NULL, r->proof_len);
	PGresult *res = pg_run(d, "put_report", &p, "insert_report");
	if (res == NULL)
		return HD_EDB;
	int64_t n = pg_changed(res);
	PQclear(res);
	/* ON CONFLICT DO NOTHING: the key was taken, nothing written (and,
	 * unlike an error, the transaction goes on). */
	return n == 1 ? HD_OK : HD_EEXIST;
}

static hd_err pg_insert_audit(void *h, const audit_record *a)
{
	pg_db *d = h;
	pg_params p = {0};
	pg_p_int(&p, a->seq);
	pg_p_int(&p, a->time_ms);
	pg_p_text(&p, a->agency);
	pg_p_text(&p, a->operator_id);
	pg_p_text(&p, a->case_id);
	pg_p_text(&p, a->method);
	pg_p_text(&p, a->report_id);
	pg_p_text(&p, a->persons);
	pg_p_int(&p, a->outcome);
	pg_p_bytes(&p, a->prev, AUDIT_HASH_LEN);
	pg_p_bytes(&p, a->hash, AUDIT_HASH_LEN);
	pg_p_int(&p, a->count > 1 ? a->count : 1);
	pg_p_text(&p, a->peer);
	pg_p_text(&p, a->reason);
	pg_p_text(&p, a->consents);
	PGresult *res = pg_run(d, "put_audit", &p, "insert_audit");
	if (res == NULL)
		return HD_EDB;
	PQclear(res);
	return HD_OK;
}

static hd_err pg_read_report(PGresult *r, store_report *out)
{
	memset(out, 0, sizeof *out);
	pg_get_text(r, 0, 0, out->report_id, sizeof out->report_id);
	pg_get_text(r, 0, 1, out->agency, sizeof out->agency);
	pg_get_text(r, 0, 2, out->region, sizeof out->region);
	pg_get_text(r, 0, 3, out->request_id, sizeof out->request_id);
	pg_get_bytes(r, 0, 4, out->household_hash, STORE_HASH_LEN);
	size_t n = (size_t)PQgetlength(r, 0, 5);
	if ((out->report = malloc(n > 0 ? n : 1)) == NULL)
		return HD_ENOMEM;
	out->report_len = pg_get_bytes(r, 0, 5, out->report, n);
	n = pg_get_bytes(r, 0, 6, out->sig, STORE_SIG_MAX);
	out->sig_len = n < STORE_SIG_MAX ? n : STORE_SIG_MAX;
	out->created_ms = pg_get_int(r, 0, 7);
	pg_get_text(r, 0, 8, out->persons, sizeof out->persons);
	out->purged_ms = pg_get_int(r, 0, 10); /* NULL: 0 */
	if (!PQgetisnull(r, 0, 9) && PQgetlength(r, 0, 9) > 0) {
		n = (size_t)PQgetlength(r, 0, 9);
		if ((out->proof = malloc(n)) == NULL) {
			store_report_clear(out);
			return HD_ENOMEM;
		}
		out->proof_len = pg_get_bytes(r, 0, 9, out->proof, n);
	}
	return HD_OK;
}

static hd_err pg_query_report(
    pg_db *d, const char *name, const pg_params *p, store_report *out)
{
	PGresult *r = pg_run(d, name, p, "get_report");
	if (r == NULL)
		return HD_EDB;
	hd_err e = PQntuples(r) > 0 ? pg_read_report(r, out) : HD_ENOTFOUND;
	PQclear(r);
	return e;
}

static hd_err pg_get_report(void *h, const char *report_id, store_report *out)
{
	pg_params p = {0};
	pg_p_text(&p, report_id);
	return pg_query_report(h, "get_report", &p, out);
}

static hd_err pg_find_by_request(void *h, const char *agency,
    const char *region, const char *request_id, store_report *out)
{
	pg_params p = {0};
	pg_p_text(&p, agency);
	pg_p_text(&p, region);
	pg_p_text(&p, request_id);
	return pg_query_report(h, "find_report", &p, out);
}

static hd_err pg_audit_head(void *h, int64_t *seq, uint8_t hash[32])
{
	pg_db *d = h;
	*seq = 0;
	memset(hash, 0, 32);
	PGresult *r = pg_run(d, "audit_head", NULL, "audit_head");
	if (r == NULL)
		return HD_EDB;
	if (PQntuples(r) > 0) {
		*seq = pg_get_int(r, 0, 0);
		pg_get_bytes(r, 0, 1, hash, 32);
	}
	PQclear(r);
	return HD_OK;
}

/* One chain for every replica: whoever appends holds the chain's lock
 * until its transaction ends, and starts from the head it then reads, as
 * another replica may have appended since. */
static hd_err pg_audit_head_locked(void *h, int64_t *seq, uint8_t hash[32])
{
	pg_db *d = h;
	PGresult *r = pg_run(d, "chain_lock", NULL, "chain_lock");
	if (r == NULL)
		return HD_EDB;
	PQclear(r);
	return pg_audit_head(d, seq, hash);
}

static hd_err pg_probe(void *h)
{
	pg_db *d = h;
	hd_err e = pg_begin(d);
	if (e != HD_OK)
		return e;
	pg_params p = {0};
	pg_p_int(&p, (int64_t)time(NULL) * 1000);
	PGresult *r = pg_run(d, "probe", &p, "probe");
	if (r == NULL) {
		pg_rollback(d);
		return HD_EDB;
	}
	PQclear(r);
	return pg_commit(d);
}

static hd_err pg_replay_record(
    void *h, const uint8_t key[32], int64_t now_ms, int64_t expires_ms)
{
	pg_db *d = h;
	pg_params p = {0};
	/* Not at synchronous_commit on: each request records one, and on
	 * one connection under the readers' lock an fsync apiece would
	 * serialize every request of the replica on the disk. A record is
	 * visible to every replica once its commit returns, flushed or not;
	 * what a server crash may lose is the last instant's records, less
	 * than a restarted heduid loses of its memory cache. A replay let
	 * through then gets the report its request_id already has (reports
	 * are committed synchronously). Only the readers' handle records
	 * replays, so only that session changes. */
	if (!d->replay_async) {
		if (PQstatus(d->conn) != CONNECTION_OK && !pg_reconnect(d))
			return HD_EDB;
		if (!pg_simple(d, "SET synchronous_commit = off", "replay"))
			return HD_EDB;
		d->replay_async = true;
	}
	if (++d->replays % PG_REPLAY_PURGE_EVERY == 0) {
		pg_p_int(&p, now_ms);
		PGresult *r = pg_run(d, "replay_purge", &p, "replay_purge");
		PQclear(r); /* a failed purge is retried next time */
		p.n = 0;
	}
	pg_p_bytes(&p, key, 32);
	pg_p_int(&p, expires_ms);
	pg_p_int(&p, now_ms);
	PGresult *r = pg_run(d, "replay", &p, "replay_record");
	if (r == NULL)
		return HD_EDB;
	int64_t n = pg_changed(r);
	PQclear(r);
	return n == 1 ? HD_OK : HD_EEXIST;
}

const store_backend_ops store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .insert_report = pg_insert_report,
    .insert_audit = pg_insert_audit,
    .get_report = pg_get_report,
    .find_by_request = pg_find_by_request,
    .audit_head = pg_audit_head,
    .probe = pg_probe,
    .consent_insert = pg_consent_insert,
    .consent_revoke = pg_consent_revoke,
    .consent_get = pg_consent_get,
    .consent_list = pg_consent_list,
    .audit_head_locked = pg_audit_head_locked,
    .replay_record = pg_replay_record,
    .insert_summaries = pg_insert_summaries,
    .count_reports = pg_count_reports,
    .purge_reports = pg_purge_reports,
    .purge_due = pg_purge_due,
    .scrub = pg_scrub,
    .backfill_due = pg_backfill_due,
    .backfill_counts = pg_backfill_counts,
};
