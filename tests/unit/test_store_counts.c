/* SPDX-License-Identifier: MIT */
/*
 * The store's statistics and retention below the RPC: counts kept at
 * commit match counts computed here from the reports put, over periods
 * within a month, across months (whole months read from the monthly
 * counts, the edges from the daily ones) and by region prefix; a purge
 * empties exactly the reports due, keeps their hash and conclusion,
 * chains its audit record, and leaves none of their bytes in the files
 * (SQLite) or readable through SQL (PostgreSQL). Each test runs on both
 * backends (sqlite/..., pg/... on a server of tpg.h); replicas on one
 * PostgreSQL database count exactly and purge each report once.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <sqlite3.h>

#include "audit_verify.h"
#include "consent_form.h"
#include "store.h"
#include "store_backend.h"
#include "hedui/v1/verifier.pb-c.h"
#include "stats_backfill.h"
#include "stats_summary.h"
#include "store_counts.h"
#include "tpg.h"
#include "tsupport.h"

static const uint8_t key[32] = "k0123456789abcdef0123456789abcd";

/* Every test of both backends runs on each: its state says which. */
enum { ON_SQLITE, ON_PG };
static int on_sqlite = ON_SQLITE, on_pg = ON_PG;

static bool is_pg(void **state)
{
	return *(int *)*state == ON_PG;
}

/* A fresh store for the test: a file, or a new database of the test's
 * PostgreSQL server. */
static const char *store_at(void **state, const char *name)
{
	if (is_pg(state)) {
		const char *url = tpg_db(name);
		assert_non_null(url);
		return url;
	}
	char file[96];
	snprintf(file, sizeof file, "%s.db", name);
	return ttmp(file);
}

static store *open_at(const char *path)
{
	char err[256];
	store_opts o = {.path = path,
	    .audit_key = key,
	    .audit_key_len = sizeof key,
	    .probe_ms = 100};
	store *s = store_open(&o, err, sizeof err);
	if (s == NULL)
		fprintf(stderr, "store_open: %s\n", err);
	return s;
}

/* What the test put, to count independently. */
typedef struct put {
	char region[8];
	int day; /* YYYYMMDD, China time */
	store_summary sum;
} put;

#define NPUT 400
static put made[NPUT];

static const char *const regions[] = {"330106", "330108", "330201", "110105"};
static const char *const programs[] = {"dibao", "marginal", "tekun"};
static const char *const conclusions[] = {
    "meets", "does_not_meet", "needs_review"};
static const char *const categories[] = {"dibao", "marginal", "none"};
static const char *const reasons[] = {"INCOME_ABOVE_STANDARD",
    "ASSETS_ABOVE_LIMIT", "SOURCE_INCOMPLETE", "VEHICLE_OWNED"};
static const char *const failures[] = {"bank:failed", "tax:partial"};

/* Unix ms of noon (China time) of day d after 2026-01-20. */
static int64_t ms_of_day(int d)
{
	return 1768881600000LL + (int64_t)d * 86400000LL;
}

static void make_put(int i, store_report *r, uint8_t *body, size_t len)
{
	put *p = &made[i];
	unsigned x = (unsigned)i * 2654435761u;
	memset(r, 0, sizeof *r);
	snprintf(r->report_id, sizeof r->report_id, "HD-%06d", i);
	snprintf(r->agency, sizeof r->agency, "CN=agency-test");
	snprintf(p->region, sizeof p->region, "%s", regions[x % 4]);
	snprintf(r->region, sizeof r->region, "%s", p->region);
	snprintf(r->request_id, sizeof r->request_id, "req-%d", i);
	memset(r->household_hash, i & 0xff, sizeof r->household_hash);
	snprintf((char *)body, len, "verdict %d balance 4242%04d fen", i, i);
	r->report = body;
	r->report_len = strlen((char *)body);
	r->sig_len = 64;
	/* Days 0 to 79: January 20 to April 9, three month edges. */
	r->created_ms = ms_of_day((int)((x >> 8) % 80));
	p->day = consent_date_of_ms(r->created_ms);
	store_summary *s = &p->sum;
	memset(s, 0, sizeof *s);
	snprintf(s->program, sizeof s->program, "%s", programs[(x >> 4) % 3]);
	snprintf(s->conclusion, sizeof s->conclusion, "%s",
	    conclusions[(x >> 12) % 3]);
	snprintf(
	    s->category, sizeof s->category, "%s", categories[(x >> 14) % 3]);
	if ((x >> 16) % 2)
		snprintf(s->reasons, sizeof s->reasons, "%s,%s",
		    reasons[(x >> 17) % 2], reasons[2 + (x >> 18) % 2]);
	if ((x >> 20) % 3 == 0)
		snprintf(s->source_failures, sizeof s->source_failures, "%s",
		    failures[(x >> 21) % 2]);
	r->summary = *s;
}

static void on_put(hd_err err, store_report *stored, void *arg)
{
	(void)stored;
	int *left = arg;
	assert_int_equal(err, HD_OK);
	__atomic_sub_fetch(left, 1, __ATOMIC_SEQ_CST);
}

/* Half one by one, half queued behind a hold (one group: the backend
 * adds up a group's counts before writing them). */
static void put_all(store *s)
{
	uint8_t body[64];
	store_report r;
	for (int i = 0; i < NPUT / 2; i++) {
		make_put(i, &r, body, sizeof body);
		store_audit a = {.agency = "CN=agency-test",
		    .method = "m",
		    .report_id = r.report_id};
		assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);
	}
	int left = NPUT - NPUT / 2;
	store_hold(s, true);
	for (int i = NPUT / 2; i < NPUT; i++) {
		make_put(i, &r, body, sizeof body);
		store_audit a = {.agency = "CN=agency-test",
		    .method = "m",
		    .report_id = r.report_id};
		store_put_report_async(s, &r, &a, on_put, &left);
	}
	store_hold(s, false);
	for (int i = 0; i < 500 && __atomic_load_n(&left, __ATOMIC_SEQ_CST);
	     i++)
		usleep(10000);
	assert_int_equal(left, 0);
}

/* The count the store gives for (region, program, dim, key). */
typedef struct got_row {
	char region[8], program[16], key[48];
	int dim;
	int64_t n;
} got_row;

typedef struct got {
	got_row rows[2000];
	int n;
} got;

static hd_err collect(const store_count_row *row, void *arg)
{
	got *g = arg;
	assert_true(g->n < 2000);
	got_row *x = &g->rows[g->n++];
	snprintf(x->region, sizeof x->region, "%s", row->region);
	snprintf(x->program, sizeof x->program, "%s", row->program);
	snprintf(x->key, sizeof x->key, "%s", row->key);
	x->dim = (int)row->dim;
	x->n = row->n;
	return HD_OK;
}

static bool in_list(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; (p = strstr(p, item)) != NULL; p++)
		if ((p == list || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

/* The same count, from the puts. */
static int64_t expect(
    const got_row *x, idnum_date from, idnum_date to, const char *prefix)
{
	int64_t n = 0;
	for (int i = 0; i < NPUT; i++) {
		const put *p = &made[i];
		if (p->day < from || p->day > to ||
		    strncmp(p->region, prefix, strlen(prefix)) != 0 ||
		    strcmp(p->region, x->region) != 0 ||
		    strcmp(p->sum.program, x->program) != 0)
			continue;
		switch (x->dim) {
		case STORE_COUNT_CHECKS:
			n++;
			break;
		case STORE_COUNT_CONCLUSION:
			n += strcmp(p->sum.conclusion, x->key) == 0;
			break;
		case STORE_COUNT_CATEGORY:
			n += strcmp(p->sum.category, x->key) == 0;
			break;
		case STORE_COUNT_REASON:
			n += in_list(p->sum.reasons, x->key);
			break;
		case STORE_COUNT_SOURCE:
			n += in_list(p->sum.source_failures, x->key);
			break;
		}
	}
	return n;
}

/* Every row the store gives is right, and the checks rows add up to
 * every report of the period and prefix (none missing). */
static void check_period(
    store *s, idnum_date from, idnum_date to, const char *prefix)
{
	static got g;
	g.n = 0;
	store_count_query q = {
	    .from = from, .to = to, .region_prefix = prefix};
	assert_int_equal(store_count_reports(s, &q, collect, &g), HD_OK);
	int64_t checks = 0, want = 0;
	for (int i = 0; i < g.n; i++) {
		assert_int_equal(
		    g.rows[i].n, expect(&g.rows[i], from, to, prefix));
		assert_true(g.rows[i].n > 0);
		if (g.rows[i].dim == STORE_COUNT_CHECKS)
			checks += g.rows[i].n;
	}
	for (int i = 0; i < NPUT; i++)
		want += made[i].day >= from && made[i].day <= to &&
		        strncmp(made[i].region, prefix, strlen(prefix)) == 0;
	assert_int_equal(checks, want);
}

static void counts_match_the_reports(void **state)
{
	const char *path = store_at(state, "counts");
	store *s = open_at(path);
	assert_non_null(s);
	put_all(s);
	check_period(s, 20260120, 20260409, "33");     /* everything of 33 */
	check_period(s, 20260201, 20260228, "3301");   /* a whole month */
	check_period(s, 20260125, 20260317, "33");     /* edges and a month */
	check_period(s, 20260203, 20260211, "330106"); /* within a month */
	check_period(s, 20260115, 20260430, "11");     /* wider than data */
	check_period(s, 20260131, 20260301, "330108"); /* one day each side */
	check_period(s, 20250101, 20251231, "33");     /* nothing */
	/* The statistics survive a reopen (they are in the store). */
	store_close(s);
	s = open_at(path);
	assert_non_null(s);
	check_period(s, 20260125, 20260317, "33");
	store_close(s);
}

/* A long read that waits until told, to hold the long reads' turn. */
typedef struct holder {
	store *s;
	volatile int inside, release;
} holder;

static hd_err hold_fn(void *db, const struct store_backend_ops *ops, void *arg)
{
	(void)db;
	(void)ops;
	holder *h = arg;
	__atomic_store_n(&h->inside, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&h->release, __ATOMIC_SEQ_CST))
		usleep(1000);
	return HD_OK;
}

static void *hold_thread(void *arg)
{
	holder *h = arg;
	assert_int_equal(store_read_long(h->s, hold_fn, h), HD_OK);
	return NULL;
}

/* One statistics query at a time: a second is refused at once (EBUSY),
 * never queued; reports are still read and written meanwhile. */
static void counts_one_at_a_time(void **state)
{
	store *s = open_at(store_at(state, "busy"));
	assert_non_null(s);
	holder h = {.s = s};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, hold_thread, &h), 0);
	while (!__atomic_load_n(&h.inside, __ATOMIC_SEQ_CST))
		usleep(1000);
	static got g;
	g.n = 0;
	store_count_query q = {
	    .from = 20260101, .to = 20261231, .region_prefix = "33"};
	assert_int_equal(store_count_reports(s, &q, collect, &g), HD_EBUSY);
	uint8_t body[64];
	store_report r, back;
	make_put(0, &r, body, sizeof body);
	store_audit a = {.agency = "CN=agency-test",
	    .method = "m",
	    .report_id = r.report_id};
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);
	assert_int_equal(store_get_report(s, r.report_id, &back), HD_OK);
	store_report_clear(&back);
	__atomic_store_n(&h.release, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	assert_int_equal(store_count_reports(s, &q, collect, &g), HD_OK);
	store_close(s);
}

/* --- the counts of reports of before ------------------------------------ */

/* Report i of made[] as a real serialized verdict (i == n: bytes that
 * do not decode); its length. */
static size_t old_verdict(int i, int n, uint8_t buf[1024])
{
	size_t len;
	if (i == n) {
		/* Does not decode: not counted. */
		memcpy(buf, "\xff\xff\xff", 3);
		len = 3;
	} else {
		const store_summary *s = &made[i].sum;
		Hedui__V1__Verdict v = HEDUI__V1__VERDICT__INIT;
		Hedui__V1__Reason rs[2], *rp[2];
		Hedui__V1__SourceSummary src, *sp = &src;
		char codes[256], fail[96];
		v.program = (char *)s->program;
		v.conclusion = (char *)s->conclusion;
		v.category = (char *)s->category;
		snprintf(codes, sizeof codes, "%s", s->reasons);
		char *comma = strchr(codes, ',');
		for (int k = 0; k < 2 && codes[0] != '\0'; k++) {
			hedui__v1__reason__init(&rs[k]);
			rs[k].code = k == 0 ? codes : comma + 1;
			rs[k].detail = "F=4242 fen";
			rp[k] = &rs[k];
			v.n_reasons++;
		}
		if (comma != NULL)
			*comma = '\0';
		v.reasons = rp;
		if (s->source_failures[0] != '\0') {
			snprintf(fail, sizeof fail, "%s", s->source_failures);
			*strchr(fail, ':') = '\0';
			hedui__v1__source_summary__init(&src);
			src.source = fail;
			src.status = fail + strlen(fail) + 1;
			v.sources = &sp;
			v.n_sources = 1;
		}
		len = hedui__v1__verdict__pack(&v, buf);
	}
	return len;
}

/* A store as heduid wrote it before it kept counts (schema 3), with n
 * reports of made[]'s summaries as real serialized verdicts, and one
 * report that does not decode. */
static void make_old_store(const char *path, int n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	        "PRAGMA journal_mode=WAL;"
	        "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL,"
	        " value TEXT NOT NULL) WITHOUT ROWID;"
	        "CREATE TABLE report(report_id TEXT PRIMARY KEY NOT NULL,"
	        " agency TEXT NOT NULL, region TEXT NOT NULL,"
	        " request_id TEXT NOT NULL, household_hash BLOB NOT NULL,"
	        " report BLOB NOT NULL, signature BLOB NOT NULL,"
	        " created_ms INTEGER NOT NULL, persons TEXT NOT NULL,"
	        " proof BLOB, UNIQUE(agency, region, request_id));"
	        "CREATE TABLE audit(seq INTEGER PRIMARY KEY NOT NULL,"
	        " time_ms INTEGER NOT NULL, agency TEXT NOT NULL,"
	        " operator_id TEXT NOT NULL, case_id TEXT NOT NULL,"
	        " method TEXT NOT NULL, report_id TEXT NOT NULL,"
	        " persons TEXT NOT NULL, outcome INTEGER NOT NULL,"
	        " prev_hash BLOB NOT NULL, hash BLOB NOT NULL,"
	        " count INTEGER NOT NULL DEFAULT 1,"
	        " peer TEXT NOT NULL DEFAULT '',"
	        " reason TEXT NOT NULL DEFAULT '');"
	        "INSERT INTO meta VALUES('schema', '3');",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "INSERT INTO report VALUES(?1, 'CN=old', ?2,"
	                     " ?1, zeroblob(32), ?3, zeroblob(70), ?4, '',"
	                     " NULL)",
	                     -1, &st, NULL),
	    SQLITE_OK);
	for (int i = 0; i <= n; i++) {
		uint8_t body[64], buf[1024];
		store_report r;
		size_t len;
		char id[32];
		make_put(i, &r, body, sizeof body);
		snprintf(id, sizeof id, "OLD-%06d", i);
		len = old_verdict(i, n, buf);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, r.region, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 3, buf, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, r.created_ms);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* Only the old reports are in made[] now. */
	memset(&made[n], 0, (NPUT - (size_t)n) * sizeof made[0]);
}

/* The same on PostgreSQL: a database at store schema step 1 (as heduid
 * made it before it kept counts; step 1 of pg_store_steps, copied). */
static void make_old_pg_store(const char *url, int n)
{
	assert_true(tpg_exec(url,
	    "CREATE TABLE hedui_schema(component text PRIMARY KEY,"
	    " version integer NOT NULL);"
	    "INSERT INTO hedui_schema VALUES('store', 1);"
	    "CREATE TABLE report("
	    " report_id text PRIMARY KEY,"
	    " agency text NOT NULL, region text NOT NULL,"
	    " request_id text NOT NULL,"
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
	    "CREATE TABLE probe(id integer PRIMARY KEY, at_ms bigint NOT "
	    "NULL);"
	    "CREATE TABLE replay(key bytea PRIMARY KEY,"
	    " expires_ms bigint NOT NULL);"
	    "CREATE INDEX replay_by_expiry ON replay(expires_ms);"));
	for (int i = 0; i <= n; i++) {
		uint8_t body[64], buf[1024];
		char sql[4096], hex[2100];
		store_report r;
		make_put(i, &r, body, sizeof body);
		size_t len = old_verdict(i, n, buf);
		for (size_t k = 0; k < len; k++)
			snprintf(&hex[2 * k], 3, "%02x", buf[k]);
		hex[2 * len] = '\0';
		snprintf(sql, sizeof sql,
		    "INSERT INTO report VALUES('OLD-%06d', 'CN=old', '%s',"
		    " 'OLD-%06d', '\\x%064d'::bytea, '\\x%s'::bytea,"
		    " '\\x00'::bytea, %lld, '', NULL)",
		    i, r.region, i, 0, hex, (long long)r.created_ms);
		assert_true(tpg_exec(url, sql));
	}
	memset(&made[n], 0, (NPUT - (size_t)n) * sizeof made[0]);
}

/* An older store of the test's backend with n reports of before. */
static const char *make_old(void **state, const char *name, int n)
{
	const char *path = store_at(state, name);
	if (is_pg(state))
		make_old_pg_store(path, n);
	else
		make_old_store(path, n);
	return path;
}

static void old_reports_are_counted_after_migration(void **state)
{
	const char *path = make_old(state, "old", 60);
	store *s = open_at(path);
	assert_non_null(s);
	/* Migrated: nothing counted yet, something to count. */
	static got g;
	g.n = 0;
	store_count_query q = {
	    .from = 20260101, .to = 20261231, .region_prefix = "33"};
	assert_int_equal(store_count_reports(s, &q, collect, &g), HD_OK);
	assert_int_equal(g.n, 0);
	assert_int_equal(store_backfill_due(s), HD_OK);
	int n = 0, total = 0;
	while (store_backfill_due(s) == HD_OK) {
		assert_int_equal(
		    store_backfill_counts(s, 7, stats_summarize, &n), HD_OK);
		assert_true(n > 0 && n <= 7);
		total += n;
	}
	assert_int_equal(total, 61); /* the undecodable one read, skipped */
	check_period(s, 20260120, 20260409, "33");
	check_period(s, 20260125, 20260317, "3301");
	/* Once only: a reopen has nothing left, and counts stay. */
	store_close(s);
	s = open_at(path);
	assert_non_null(s);
	assert_int_equal(store_backfill_due(s), HD_ENOTFOUND);
	assert_int_equal(
	    store_backfill_counts(s, 7, stats_summarize, &n), HD_OK);
	assert_int_equal(n, 0);
	assert_null(stats_backfill_start(s)); /* no thread for nothing */
	check_period(s, 20260120, 20260409, "33");
	store_close(s);
	char why[256];
	int64_t records = 0;
	assert_int_equal(audit_verify_store(
	                     path, key, sizeof key, &records, why, sizeof why),
	    HD_OK);
	assert_int_equal(records, 9); /* one record per batch of 7 */
}

/* heduid's background thread does the same by itself. */
static void backfill_thread_counts_by_itself(void **state)
{
	const char *path = make_old(state, "old-thread", 40);
	store *s = open_at(path);
	assert_non_null(s);
	stats_backfill *b = stats_backfill_start(s);
	assert_non_null(b);
	for (int i = 0; i < 500 && store_backfill_due(s) == HD_OK; i++)
		usleep(10000);
	stats_backfill_stop(b);
	assert_int_equal(store_backfill_due(s), HD_ENOTFOUND);
	check_period(s, 20260120, 20260409, "33");
	store_close(s);
}

/* A store made at schema 4 has nothing of before. */
static void new_store_has_nothing_to_backfill(void **state)
{
	store *s = open_at(store_at(state, "fresh"));
	assert_non_null(s);
	assert_int_equal(store_backfill_due(s), HD_ENOTFOUND);
	store_close(s);
}

/* --- retention --------------------------------------------------------- */

static bool file_has(const char *path, const void *needle, size_t len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
	size_t n = fread(buf, 1, (size_t)size, f);
	fclose(f);
	bool found = memmem(buf, n, needle, len) != NULL;
	free(buf);
	return found;
}

static bool store_has(const char *path, const char *text)
{
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", path);
	return file_has(path, text, strlen(text)) ||
	       file_has(wal, text, strlen(text));
}

static void conclude(const uint8_t *report, size_t len, char *out, size_t cap)
{
	(void)report;
	(void)len;
	snprintf(out, cap, "meets");
}

/* Reports made before February 1 (China time) are due. */
static int64_t purge_before(void)
{
	return ms_of_day(12) - 12 * 3600000LL;
}

static int purge_due_count(void)
{
	int due = 0;
	for (int i = 0; i < NPUT; i++)
		due += made[i].day < 20260201;
	return due;
}

/* Whether the store's content holds text: the SQLite files' bytes
 * (secure_delete and the scrub's checkpoint overwrite what a purge
 * freed), or on PostgreSQL what SQL can read of the report table (a
 * dead tuple's bytes are beyond SQL; docs/RETENTION.md says where they
 * may remain). */
static bool content_has(void **state, const char *path, const char *text)
{
	if (!is_pg(state))
		return store_has(path, text);
	char sql[256], v[32];
	snprintf(sql, sizeof sql,
	    "SELECT count(*) FROM report WHERE position(convert_to('%s',"
	    " 'UTF8') IN report) > 0",
	    text);
	assert_true(tpg_query1(path, sql, v, sizeof v));
	return atoi(v) > 0;
}

/* What remains of each purged report: the hash of its bytes and the
 * conclusion; and one audit record per purge write, counting what it
 * purged. */
static void check_purged_rows(void **state, const char *path, int due)
{
	if (is_pg(state)) {
		char v[32];
		/* Report i's bytes were "verdict i balance 4242%04d fen". */
		assert_true(tpg_query1(path,
		    "SELECT count(*) FROM report WHERE purged_ms IS NOT NULL"
		    " AND octet_length(report) = 0 AND conclusion = 'meets'"
		    " AND report_sha256 = sha256(convert_to('verdict '"
		    " || substr(report_id, 4)::int || ' balance 4242'"
		    " || lpad(substr(report_id, 4)::int::text, 4, '0')"
		    " || ' fen', 'UTF8'))",
		    v, sizeof v));
		assert_int_equal(atoi(v), due);
		assert_true(tpg_query1(path,
		    "SELECT count(*) FROM report WHERE purged_ms IS NOT NULL",
		    v, sizeof v));
		assert_int_equal(atoi(v), due);
		assert_true(tpg_query1(path,
		    "SELECT sum(count) FROM audit WHERE method = "
		    "'" STORE_PURGE_METHOD "' AND outcome = 0",
		    v, sizeof v));
		assert_int_equal(atoi(v), due);
		return;
	}
	/* What remains: the hash of the bytes and the conclusion. */
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT report_id, report_sha256, conclusion "
	                     "FROM report WHERE purged_ms IS NOT NULL",
	                     -1, &st, NULL),
	    SQLITE_OK);
	int rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int i = atoi((const char *)sqlite3_column_text(st, 0) + 3);
		char text[64];
		uint8_t md[32];
		snprintf(text, sizeof text, "verdict %d balance 4242%04d fen",
		    i, i);
		SHA256((const uint8_t *)text, strlen(text), md);
		assert_int_equal(sqlite3_column_bytes(st, 1), 32);
		assert_memory_equal(sqlite3_column_blob(st, 1), md, 32);
		assert_string_equal(sqlite3_column_text(st, 2), "meets");
		rows++;
	}
	sqlite3_finalize(st);
	/* One audit record per purge write, counting what it purged. */
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT sum(count) FROM audit WHERE method = "
	                     "'" STORE_PURGE_METHOD "'",
	                     -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), due);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(rows, due);
}

static void check_chain_after_purge(const char *path)
{
	char why[256];
	int64_t records = 0;
	assert_int_equal(audit_verify_store(
	                     path, key, sizeof key, &records, why, sizeof why),
	    HD_OK);
	assert_true(records > NPUT);
}

static void purge_empties_reports_due_only(void **state)
{
	const char *path = store_at(state, "purge");
	store *s = open_at(path);
	assert_non_null(s);
	put_all(s);
	int64_t before = purge_before();
	int due = purge_due_count();
	assert_true(due > 0 && due < NPUT);
	assert_true(content_has(state, path, "balance 42420000 fen") ||
	            made[0].day >= 20260201);
	int n = 0, total = 0;
	/* As heduid's retention does: while any is due, a batch. */
	while (store_purge_due(s, before) == HD_OK) {
		assert_int_equal(
		    store_purge(s, before, 7, conclude, &n), HD_OK);
		assert_true(n > 0 && n <= 7);
		total += n;
	}
	assert_int_equal(total, due);
	assert_int_equal(store_purge_due(s, before), HD_ENOTFOUND);
	assert_int_equal(store_scrub(s), HD_OK);
	for (int i = 0; i < NPUT; i++) {
		char id[48], text[64];
		store_report got;
		snprintf(id, sizeof id, "HD-%06d", i);
		snprintf(text, sizeof text, "verdict %d balance 4242%04d fen",
		    i, i);
		assert_int_equal(store_get_report(s, id, &got), HD_OK);
		if (made[i].day < 20260201) {
			assert_int_equal(got.report_len, 0);
			assert_true(got.purged_ms > 0);
			assert_false(content_has(state, path, text));
		} else {
			assert_int_equal(got.purged_ms, 0);
			assert_int_equal(got.report_len, strlen(text));
			assert_memory_equal(got.report, text, strlen(text));
		}
		store_report_clear(&got);
	}
	/* The statistics are the same after the purge. */
	check_period(s, 20260120, 20260409, "33");
	store_close(s);
	check_purged_rows(state, path, due);
	check_chain_after_purge(path);
}

/* --- replicas on one PostgreSQL database --------------------------------- */

typedef struct replica_put {
	store *s;
	int from, to;
} replica_put;

static void *replica_put_thread(void *arg)
{
	replica_put *rp = arg;
	uint8_t body[64];
	store_report r;
	for (int i = rp->from; i < rp->to; i++) {
		make_put(i, &r, body, sizeof body);
		store_audit a = {.agency = "CN=agency-test",
		    .method = "m",
		    .report_id = r.report_id};
		assert_int_equal(store_put_report(rp->s, &r, &a, NULL), HD_OK);
	}
	return NULL;
}

/* Two replicas (two stores on one database), each with two writers,
 * commit at once: the counts are exact, as upserts add atomically. */
static void pg_replicas_count_exactly(void **state)
{
	const char *path = store_at(state, "replica-counts");
	store *s[2] = {open_at(path), open_at(path)};
	assert_non_null(s[0]);
	assert_non_null(s[1]);
	pthread_t t[4];
	replica_put rp[4];
	for (int k = 0; k < 4; k++) {
		rp[k] = (replica_put){.s = s[k % 2],
		    .from = k * NPUT / 4,
		    .to = (k + 1) * NPUT / 4};
		assert_int_equal(
		    pthread_create(&t[k], NULL, replica_put_thread, &rp[k]),
		    0);
	}
	for (int k = 0; k < 4; k++)
		pthread_join(t[k], NULL);
	check_period(s[0], 20260120, 20260409, "33");
	check_period(s[1], 20260125, 20260317, "3301");
	check_period(s[1], 20260115, 20260430, "11");
	store_close(s[0]);
	store_close(s[1]);
}

typedef struct purger {
	store *s;
	int64_t before;
	int total;
} purger;

static void *purger_thread(void *arg)
{
	purger *p = arg;
	int n = 0;
	while (store_purge_due(p->s, p->before) == HD_OK) {
		assert_int_equal(
		    store_purge(p->s, p->before, 5, conclude, &n), HD_OK);
		p->total += n;
	}
	return NULL;
}

/* Both replicas' retention threads at once: each report is purged once
 * (the audit records count each once) and the chain verifies. */
static void pg_two_purgers_purge_each_once(void **state)
{
	const char *path = store_at(state, "replica-purge");
	store *s[2] = {open_at(path), open_at(path)};
	assert_non_null(s[0]);
	assert_non_null(s[1]);
	put_all(s[0]);
	int due = purge_due_count();
	purger p[2] = {{.s = s[0], .before = purge_before()},
	    {.s = s[1], .before = purge_before()}};
	pthread_t t[2];
	for (int k = 0; k < 2; k++)
		assert_int_equal(
		    pthread_create(&t[k], NULL, purger_thread, &p[k]), 0);
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	assert_int_equal(p[0].total + p[1].total, due);
	/* Both scrub, one after the other or at once. */
	assert_int_equal(store_scrub(s[0]), HD_OK);
	assert_int_equal(store_scrub(s[1]), HD_OK);
	check_period(s[1], 20260120, 20260409, "33");
	store_close(s[0]);
	store_close(s[1]);
	check_purged_rows(state, path, due);
	check_chain_after_purge(path);
}

/* The PostgreSQL tests need the server; a test program that cannot
 * start one fails there, not quietly. */
static int pg_setup(void **state)
{
	(void)state;
	return tpg_start() != NULL ? 0 : -1;
}

#define ON_NAME(backend, f) #backend "/" #f
#define ON(backend, f, setup)                                                 \
	{                                                                     \
		ON_NAME(backend, f), f, setup, NULL, &on_##backend            \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    ON(sqlite, counts_match_the_reports, NULL),
	    ON(sqlite, counts_one_at_a_time, NULL),
	    ON(sqlite, old_reports_are_counted_after_migration, NULL),
	    ON(sqlite, backfill_thread_counts_by_itself, NULL),
	    ON(sqlite, new_store_has_nothing_to_backfill, NULL),
	    ON(sqlite, purge_empties_reports_due_only, NULL),
	    ON(pg, counts_match_the_reports, pg_setup),
	    ON(pg, counts_one_at_a_time, pg_setup),
	    ON(pg, old_reports_are_counted_after_migration, pg_setup),
	    ON(pg, backfill_thread_counts_by_itself, pg_setup),
	    ON(pg, new_store_has_nothing_to_backfill, pg_setup),
	    ON(pg, purge_empties_reports_due_only, pg_setup),
	    ON(pg, pg_replicas_count_exactly, pg_setup),
	    ON(pg, pg_two_purgers_purge_each_once, pg_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
