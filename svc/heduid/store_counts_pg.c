/* SPDX-License-Identifier: MIT */
/*
 * Statistics and retention in the PostgreSQL backend (store schema step
 * 2, pg_store_steps in store_pg.c): the same count tables and report
 * columns as SQLite's schema 4 (store_counts_sqlite.c,
 * store_purge_sqlite.c), the same queries.
 *
 * Several replicas write to one database. Each write transaction takes
 * the audit chain's advisory lock first (pg_audit_head_locked), so the
 * writers of all replicas already take turns; on top of that:
 * - counts are added by INSERT ... ON CONFLICT DO UPDATE SET n = n +
 *   EXCLUDED.n, atomic per row whatever else runs;
 * - a purge or a backfill batch picks its rows FOR UPDATE SKIP LOCKED
 *   and changes only rows still due (purged_ms IS NULL, a backfill row
 *   deleted once), so that two replicas never purge or count a report
 *   twice even if one day a write ran without the chain's lock.
 *
 * A group's counts go in one statement (arrays, unnest), not one per key:
 * each statement is a round trip made while the chain's lock is held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "consent_form.h"
#include "store_backend.h"
#include "store_counts.h"
#include "store_pg.h"

static const struct {
	const char *name, *sql;
} pc_stmts[] = {
    /* $1..$5: one element per (report, key); added up per day and per
     * month here (a group's reports of one day and county make one row
     * each, and a row must not be changed twice by one command). */
    {"pc_add",
        "WITH t(day, region, program, dim, key) AS (SELECT * FROM"
        " unnest($1::integer[], $2::text[], $3::text[], $4::integer[],"
        " $5::text[])),"
        " d AS (INSERT INTO count_day AS c(day, region, program, dim, key,"
        " n) SELECT day, region, program, dim, key, count(*) FROM t"
        " GROUP BY day, region, program, dim, key"
        " ON CONFLICT(day, region, program, dim, key)"
        " DO UPDATE SET n = c.n + EXCLUDED.n)"
        " INSERT INTO count_month AS c(month, region, program, dim, key, n)"
        " SELECT day / 100, region, program, dim, key, count(*) FROM t"
        " GROUP BY day / 100, region, program, dim, key"
        " ON CONFLICT(month, region, program, dim, key)"
        " DO UPDATE SET n = c.n + EXCLUDED.n"},
    /* As SQLite's (store_counts_sqlite.c): whole months from
     * count_month, the edge days from count_day. region is COLLATE "C":
     * ':' follows '9', so the range is exactly the codes that start with
     * the prefix, whatever the database's locale. */
    {"pc_query", "SELECT region, program, dim, key, sum(n)::bigint FROM ("
                 " SELECT region, program, dim, key, n FROM count_month"
                 "  WHERE month BETWEEN $1::integer AND $2::integer"
                 "  AND region >= $7::text AND region < $8::text"
                 " UNION ALL"
                 " SELECT region, program, dim, key, n FROM count_day"
                 "  WHERE (day BETWEEN $3::integer AND $4::integer"
                 "  OR day BETWEEN $5::integer AND $6::integer)"
                 "  AND region >= $7::text AND region < $8::text) x"
                 " GROUP BY region, program, dim, key"
                 " ORDER BY region, program, dim, key"},
    /* The partial index report_unpurged: oldest first. SKIP LOCKED: a
     * row another transaction is purging is its, not ours. */
    {"pc_purge_select",
        "SELECT report_id, report FROM report"
        " WHERE purged_ms IS NULL AND created_ms < $1::bigint"
        " ORDER BY created_ms LIMIT $2::integer FOR UPDATE SKIP LOCKED"},
    /* Only rows still whole: a row purged meanwhile is not counted. */
    {"pc_purge_update",
        "UPDATE report r SET report = ''::bytea, purged_ms = $1::bigint,"
        " report_sha256 = decode(v.h, 'hex'), conclusion = NULLIF(v.c, '')"
        " FROM unnest($2::text[], $3::text[], $4::text[]) AS v(id, h, c)"
        " WHERE r.report_id = v.id AND r.purged_ms IS NULL"},
    {"pc_purge_due", "SELECT 1 FROM report WHERE purged_ms IS NULL"
                     " AND created_ms < $1::bigint LIMIT 1"},
    {"pc_backfill_due", "SELECT 1 FROM count_backfill LIMIT 1"},
    /* LEFT JOIN: a row whose report is gone is still taken off. */
    {"pc_backfill_select",
        "SELECT b.report_id, r.region, r.created_ms, r.report"
        " FROM count_backfill b LEFT JOIN report r"
        " ON r.report_id = b.report_id ORDER BY b.report_id"
        " LIMIT $1::integer FOR UPDATE OF b SKIP LOCKED"},
    {"pc_backfill_done",
        "DELETE FROM count_backfill WHERE report_id = ANY($1::text[])"},
};

hd_err pg_counts_prepare(PGconn *conn, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof pc_stmts / sizeof pc_stmts[0]; i++) {
		PGresult *r = PQprepare(
		    conn, pc_stmts[i].name, pc_stmts[i].sql, 0, NULL);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok) {
			const char *m =
			    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
			snprintf(err, errlen, "cannot prepare %s: %s",
			    pc_stmts[i].name, m != NULL ? m : "no answer");
		}
		PQclear(r);
		if (!ok)
			return HD_EDB;
	}
	return HD_OK;
}

/* --- array parameters ---------------------------------------------------- */

/* An array literal being built ("{...}"); oom once any growth failed. */
typedef struct pc_arr {
	char *p;
	size_t len, cap;
	bool oom;
} pc_arr;

static void pc_put(pc_arr *a, const char *s, size_t n)
{
	if (a->oom)
		return;
	if (a->len + n + 2 > a->cap) {
		size_t cap = a->cap > 0 ? a->cap : 256;
		while (a->len + n + 2 > cap)
			cap *= 2;
		char *p = realloc(a->p, cap);
		if (p == NULL) {
			a->oom = true;
			return;
		}
		a->p = p;
		a->cap = cap;
	}
	memcpy(a->p + a->len, s, n);
	a->len += n;
	a->p[a->len] = '\0';
}

/* One element, quoted: in an array literal '"' and '\' are escaped,
 * everything else (commas, braces, spaces) is literal inside quotes. */
static void pc_elem(pc_arr *a, const char *s, size_t n)
{
	pc_put(a, a->len == 0 ? "{\"" : ",\"", 2);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			pc_put(a, "\\", 1);
		pc_put(a, &s[i], 1);
	}
	pc_put(a, "\"", 1);
}

static void pc_elem_int(pc_arr *a, int64_t x)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%lld", (long long)x);
	pc_put(a, a->len == 0 ? "{" : ",", 1);
	pc_put(a, num, (size_t)n);
}

/* Closes the literal ("{}" when empty); false when out of memory. */
static bool pc_end(pc_arr *a)
{
	pc_put(a, a->len == 0 ? "{}" : "}", a->len == 0 ? 2 : 1);
	return !a->oom;
}

static void pc_free(pc_arr *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i].p);
}

/* --- counts -------------------------------------------------------------- */

enum { PC_DAY, PC_REGION, PC_PROGRAM, PC_DIM, PC_KEY, PC_NARR };

typedef struct pc_adding {
	pc_arr *arr;
	const store_report *r;
	int day;
} pc_adding;

static void pc_add(store_count_dim dim, const char *key, size_t len, void *arg)
{
	pc_adding *a = arg;
	/* Keys as SQLite keeps them (47 bytes at most), so that both
	 * backends count alike. */
	if (len > 47)
		len = 47;
	pc_elem_int(&a->arr[PC_DAY], a->day);
	pc_elem(&a->arr[PC_REGION], a->r->region, strlen(a->r->region));
	pc_elem(&a->arr[PC_PROGRAM], a->r->summary.program,
	    strlen(a->r->summary.program));
	pc_elem_int(&a->arr[PC_DIM], dim);
	pc_elem(&a->arr[PC_KEY], key, len);
}

hd_err pg_insert_summaries(
    void *h, const store_report *const *reports, size_t n)
{
	pc_arr arr[PC_NARR] = {{0}};
	hd_err e = HD_OK;
	if (n == 0)
		return HD_OK;
	for (size_t i = 0; i < n; i++) {
		pc_adding a = {.arr = arr,
		    .r = reports[i],
		    .day = consent_date_of_ms(reports[i]->created_ms)};
		store_summary_keys(&reports[i]->summary, pc_add, &a);
	}
	pg_params p = {0};
	for (int i = 0; i < PC_NARR; i++) {
		if (!pc_end(&arr[i])) {
			e = HD_ENOMEM;
			goto out;
		}
		pg_p_text(&p, arr[i].p);
	}
	PGresult *r = pg_run(h, "pc_add", &p, "insert_summaries");
	if (r == NULL) {
		e = HD_EDB;
		goto out;
	}
	PQclear(r);
out:
	pc_free(arr, PC_NARR);
	return e;
}

hd_err pg_count_reports(void *h, const store_count_query *q,
    hd_err (*each)(const store_count_row *row, void *arg), void *arg)
{
	store_count_span sp;
	store_count_span_of(q, &sp);
	pg_params p = {0};
	pg_p_int(&p, sp.m1);
	pg_p_int(&p, sp.m2);
	pg_p_int(&p, sp.d1);
	pg_p_int(&p, sp.d2);
	pg_p_int(&p, sp.d3);
	pg_p_int(&p, sp.d4);
	pg_p_text(&p, q->region_prefix);
	pg_p_text(&p, sp.hi);
	PGresult *r = pg_run(h, "pc_query", &p, "count_reports");
	if (r == NULL)
		return HD_EDB;
	hd_err e = HD_OK;
	for (int i = 0; i < PQntuples(r) && e == HD_OK; i++) {
		char region[8], program[16], key[48];
		pg_get_text(r, i, 0, region, sizeof region);
		pg_get_text(r, i, 1, program, sizeof program);
		pg_get_text(r, i, 3, key, sizeof key);
		store_count_row row = {
		    .region = region,
		    .program = program,
		    .dim = (store_count_dim)pg_get_int(r, i, 2),
		    .key = key,
		    .n = pg_get_int(r, i, 4),
		};
		e = each(&row, arg);
	}
	PQclear(r);
	return e;
}

/* --- retention ----------------------------------------------------------- */

enum { PP_ID, PP_HASH, PP_CONCLUSION, PP_NARR };

hd_err pg_purge_reports(void *h, int64_t before_ms, int64_t now_ms, int limit,
    store_conclude_fn conclude, int *purged)
{
	pc_arr arr[PP_NARR] = {{0}};
	hd_err e = HD_OK;
	*purged = 0;
	if (limit <= 0)
		return HD_OK;
	pg_params p = {0};
	pg_p_int(&p, before_ms);
	pg_p_int(&p, limit);
	PGresult *r = pg_run(h, "pc_purge_select", &p, "purge_select");
	if (r == NULL)
		return HD_EDB;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		const uint8_t *bytes = (const uint8_t *)PQgetvalue(r, i, 1);
		size_t len = (size_t)PQgetlength(r, i, 1);
		uint8_t md[SHA256_DIGEST_LENGTH];
		char hex[2 * SHA256_DIGEST_LENGTH + 1];
		char conclusion[32] = "";
		SHA256(bytes, len, md);
		for (size_t k = 0; k < sizeof md; k++)
			snprintf(&hex[2 * k], 3, "%02x", md[k]);
		if (conclude != NULL)
			conclude(bytes, len, conclusion, sizeof conclusion);
		pc_elem(&arr[PP_ID], PQgetvalue(r, i, 0),
		    (size_t)PQgetlength(r, i, 0));
		pc_elem(&arr[PP_HASH], hex, strlen(hex));
		pc_elem(&arr[PP_CONCLUSION], conclusion, strlen(conclusion));
	}
	PQclear(r);
	if (n == 0)
		goto out;
	p.n = 0;
	pg_p_int(&p, now_ms);
	for (int i = 0; i < PP_NARR; i++) {
		if (!pc_end(&arr[i])) {
			e = HD_ENOMEM;
			goto out;
		}
		pg_p_text(&p, arr[i].p);
	}
	if ((r = pg_run(h, "pc_purge_update", &p, "purge_update")) == NULL) {
		e = HD_EDB;
		goto out;
	}
	*purged = (int)pg_changed(r);
	PQclear(r);
out:
	pc_free(arr, PP_NARR);
	return e;
}

hd_err pg_purge_due(void *h, int64_t before_ms)
{
	pg_params p = {0};
	pg_p_int(&p, before_ms);
	PGresult *r = pg_run(h, "pc_purge_due", &p, "purge_due");
	if (r == NULL)
		return HD_EDB;
	hd_err e = PQntuples(r) > 0 ? HD_OK : HD_ENOTFOUND;
	PQclear(r);
	return e;
}

/* After an UPDATE the old version of a row, content included, stays in
 * the table's pages (and a large report's in its TOAST table) as a dead
 * tuple: no query sees it once the purge committed, but its bytes are
 * in the data files until VACUUM frees the space and a later write
 * reuses it. VACUUM (not FULL: that locks the table against every read
 * and write while it copies it) frees it now rather than whenever
 * autovacuum comes; it cannot run inside a transaction, hence here, on
 * the long reads' connection (store_scrub) so that it holds up no
 * verification. docs/RETENTION.md says what remains beyond its reach. */
hd_err pg_scrub(void *h)
{
	return pg_command(h, "VACUUM report", "scrub");
}

/* --- counts of before ---------------------------------------------------- */

/* Reports made before step 2 are listed in count_backfill by the step
 * itself (a database created at step 2 or later lists none) and taken
 * off as they are counted. */
hd_err pg_backfill_due(void *h)
{
	PGresult *r = pg_run(h, "pc_backfill_due", NULL, "backfill_due");
	if (r == NULL)
		return HD_EDB;
	hd_err e = PQntuples(r) > 0 ? HD_OK : HD_ENOTFOUND;
	PQclear(r);
	return e;
}

hd_err pg_backfill_counts(
    void *h, int limit, store_summarize_fn summarize, int *done)
{
	store_report *reps = NULL;
	const store_report **ptrs = NULL;
	pc_arr ids = {0};
	size_t n = 0;
	hd_err e = HD_OK;
	*done = 0;
	if (limit <= 0)
		return HD_OK;
	pg_params p = {0};
	pg_p_int(&p, limit);
	PGresult *r = pg_run(h, "pc_backfill_select", &p, "backfill_select");
	if (r == NULL)
		return HD_EDB;
	int read = PQntuples(r);
	reps = calloc((size_t)read + 1, sizeof *reps);
	ptrs = calloc((size_t)read + 1, sizeof *ptrs);
	if (reps == NULL || ptrs == NULL) {
		e = HD_ENOMEM;
		goto out;
	}
	for (int i = 0; i < read; i++) {
		store_report *x = &reps[n];
		const uint8_t *bytes = (const uint8_t *)PQgetvalue(r, i, 3);
		size_t len = (size_t)PQgetlength(r, i, 3);
		pc_elem(
		    &ids, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
		pg_get_text(r, i, 1, x->region, sizeof x->region);
		x->created_ms = pg_get_int(r, i, 2);
		/* A report that does not decode, or was purged, is not
		 * counted, as in SQLite. */
		if (len > 0 && summarize(bytes, len, &x->summary) &&
		    x->summary.program[0] != '\0')
			ptrs[n++] = x;
	}
	if (read == 0)
		goto out;
	if (n > 0 && (e = pg_insert_summaries(h, ptrs, n)) != HD_OK)
		goto out;
	if (!pc_end(&ids)) {
		e = HD_ENOMEM;
		goto out;
	}
	p.n = 0;
	pg_p_text(&p, ids.p);
	PGresult *d = pg_run(h, "pc_backfill_done", &p, "backfill_done");
	if (d == NULL) {
		e = HD_EDB;
		goto out;
	}
	PQclear(d);
	*done = read;
out:
	PQclear(r);
	free(reps);
	free(ptrs);
	pc_free(&ids, 1);
	return e;
}
