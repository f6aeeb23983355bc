/* SPDX-License-Identifier: MIT */
/*
 * The store: reports in and out, idempotency keys, group commit under many
 * writer threads (the mean batch size is printed), the audit chain it
 * writes, and the failure path (injected, and a real one: a file size
 * limit that makes every write fail) with recovery by the probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_verify.h"
#include "store.h"
#include "store_consent.h"
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

/* A fresh store for the test: a file, or a database of the test's
 * PostgreSQL server. */
static const char *store_at(void **state, const char *name)
{
	if (is_pg(state)) {
		const char *url = tpg_db(name);
		assert_non_null(url);
		return url;
	}
	char file[96];
	snprintf(file, sizeof file, "store-%s.db", name);
	return ttmp(file);
}

static store *open_at(const char *path, uint32_t probe_ms)
{
	char err[256];
	store_opts o = {
	    .path = path,
	    .audit_key = key,
	    .audit_key_len = sizeof key,
	    .probe_ms = probe_ms,
	};
	store *s = store_open(&o, err, sizeof err);
	if (s == NULL)
		fprintf(stderr, "store_open: %s\n", err);
	return s;
}

static void make_report(store_report *r, const char *id, const char *agency,
    const char *region, const char *request_id, uint8_t *body, size_t len)
{
	memset(r, 0, sizeof *r);
	snprintf(r->report_id, sizeof r->report_id, "%s", id);
	snprintf(r->agency, sizeof r->agency, "%s", agency);
	snprintf(r->region, sizeof r->region, "%s", region);
	snprintf(r->request_id, sizeof r->request_id, "%s", request_id);
	memset(r->household_hash, body[0], sizeof r->household_hash);
	r->report = body;
	r->report_len = len;
	memset(r->sig, 0xab, 70);
	r->sig_len = 70;
	r->created_ms = 1700000000000LL;
}

static store_audit audit_for(const char *report_id)
{
	store_audit a = {
	    .time_ms = 1700000000000LL,
	    .agency = "agency-330106",
	    .operator_id = "op-1",
	    .case_id = "case-1",
	    .method = "hedui.v1.Verifier/VerifyHousehold",
	    .report_id = report_id,
	    .persons = "ab,cd",
	    .outcome = 0,
	};
	return a;
}

static void check_chain(const char *path, int64_t expect)
{
	char why[256];
	int64_t n = 0;
	assert_int_equal(
	    audit_verify_store(path, key, sizeof key, &n, why, sizeof why),
	    HD_OK);
	assert_int_equal(n, expect);
}

static void put_get_and_reopen(void **state)
{
	const char *path = store_at(state, "putget");
	store *s = open_at(path, 100);
	assert_non_null(s);
	uint8_t body[] = "signed verdict bytes\0with a NUL";
	store_report r, got;
	make_report(
	    &r, "HD-1", "agency-330106", "330106", "req-1", body, sizeof body);
	store_audit a = audit_for("HD-1");
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);
	assert_int_equal(store_get_report(s, "HD-1", &got), HD_OK);
	assert_int_equal(got.report_len, sizeof body);
	assert_memory_equal(got.report, body, sizeof body);
	assert_int_equal(got.sig_len, 70);
	assert_string_equal(got.region, "330106");
	store_report_clear(&got);
	assert_int_equal(store_get_report(s, "HD-2", &got), HD_ENOTFOUND);
	assert_int_equal(
	    store_find_by_request(s, "agency-330106", "330106", "req-1", &got),
	    HD_OK);
	assert_string_equal(got.report_id, "HD-1");
	store_report_clear(&got);
	assert_int_equal(
	    store_find_by_request(s, "agency-1101", "330106", "req-1", &got),
	    HD_ENOTFOUND);
	assert_int_equal(store_append_audit(s, &a), HD_OK);
	store_close(s);

	/* Everything survives a reopen, and the chain goes on. */
	s = open_at(path, 100);
	assert_non_null(s);
	assert_int_equal(store_get_report(s, "HD-1", &got), HD_OK);
	assert_memory_equal(got.report, body, sizeof body);
	store_report_clear(&got);
	assert_int_equal(store_append_audit(s, &a), HD_OK);
	store_close(s);
	check_chain(path, 3);
}

/* A store written before refusal summaries (schema 1: no count, peer or
 * reason columns) is migrated when heduid opens it; its chain, and what
 * follows, verify. */
static void schema_1_store_is_migrated(void **state)
{
	(void)state;
	const char *path = ttmp("store-schema1.db");
	store *s = open_at(path, 100);
	assert_non_null(s);
	store_audit a = audit_for("");
	assert_int_equal(store_append_audit(s, &a), HD_OK);
	store_close(s);
	/* Back to what schema 1 looked like. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	        "ALTER TABLE audit DROP COLUMN count;"
	        "ALTER TABLE audit DROP COLUMN peer;"
	        "ALTER TABLE audit DROP COLUMN reason;"
	        "UPDATE meta SET value = '1' WHERE key = 'schema';",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	check_chain(path, 1); /* the CLI reads schema 1 too */

	s = open_at(path, 100);
	assert_non_null(s);
	a.count = 12;
	a.peer = "CN=agency-1101,OU=region:1101,O=hedui dev agencies,C=CN";
	a.reason = "unsigned";
	a.outcome = 16;
	assert_int_equal(store_append_audit(s, &a), HD_OK);
	store_close(s);
	check_chain(path, 2);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT count, peer, reason FROM audit ORDER BY "
	                     "seq",
	                     -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 12);
	assert_string_equal(
	    (const char *)sqlite3_column_text(st, 2), "unsigned");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void same_key_gives_existing(void **state)
{
	const char *path = store_at(state, "idem");
	store *s = open_at(path, 100);
	assert_non_null(s);
	uint8_t b1[] = "first", b2[] = "second";
	store_report r1, r2, ex;
	make_report(
	    &r1, "HD-A", "agency-330106", "330106", "req-9", b1, sizeof b1);
	make_report(
	    &r2, "HD-B", "agency-330106", "330106", "req-9", b2, sizeof b2);
	store_audit a = audit_for("HD-A");
	assert_int_equal(store_put_report(s, &r1, &a, NULL), HD_OK);
	memset(&ex, 0, sizeof ex);
	assert_int_equal(store_put_report(s, &r2, &a, &ex), HD_EEXIST);
	assert_string_equal(ex.report_id, "HD-A");
	assert_memory_equal(ex.report, b1, sizeof b1);
	store_report_clear(&ex);
	assert_int_equal(store_get_report(s, "HD-B", &ex), HD_ENOTFOUND);
	/* Another agency, or another region, is another key. */
	snprintf(r2.agency, sizeof r2.agency, "agency-1101");
	assert_int_equal(store_put_report(s, &r2, &a, NULL), HD_OK);
	store_close(s);
	check_chain(path, 3);
}

/* A seal that records what it was given and sets a proof naming the
 * report and its place: "proof:ID:i/n". */
static int seal_calls, seal_last_n;
static hd_err seal_result = HD_OK;
static hd_err test_seal(store_report *const *reports, size_t n, void *arg)
{
	(void)arg;
	seal_calls++;
	seal_last_n = (int)n;
	if (seal_result != HD_OK)
		return seal_result;
	for (size_t i = 0; i < n; i++) {
		char text[96];
		int len = snprintf(text, sizeof text, "proof:%s:%zu/%zu",
		    reports[i]->report_id, i, n);
		reports[i]->proof = malloc((size_t)len);
		memcpy(reports[i]->proof, text, (size_t)len);
		reports[i]->proof_len = (size_t)len;
		memset(reports[i]->sig, 0x5e, 64);
		reports[i]->sig_len = 64;
	}
	return HD_OK;
}

static store *open_sealed(const char *path)
{
	char err[256];
	store_opts o = {
	    .path = path,
	    .audit_key = key,
	    .audit_key_len = sizeof key,
	    .probe_ms = 100,
	    .seal = test_seal,
	};
	return store_open(&o, err, sizeof err);
}

static hd_err group_errs[8];
static store_report group_got[8];
static atomic_int group_done;
static void on_group_done(hd_err err, store_report *stored, void *arg)
{
	int i = (int)(intptr_t)arg;
	group_errs[i] = err;
	memset(&group_got[i], 0, sizeof group_got[i]);
	if (stored != NULL) {
		group_got[i] = *stored;
		stored->report = NULL;
		stored->proof = NULL;
	}
	atomic_fetch_add(&group_done, 1);
}

static void wait_group(int n)
{
	for (int i = 0; i < 1000 && atomic_load(&group_done) < n; i++)
		usleep(10000);
	assert_int_equal(group_done, n);
}

/* What is stored was sealed with the group's new reports only, in
 * order: not one whose key is stored already, not a second one with a key
 * new in the group (which gets the first one's sealed report); what the
 * seal set is stored and read back. A group without taken keys is sealed
 * once. */
static void seal_sees_new_reports_only(void **state)
{
	const char *path = store_at(state, "seal");
	seal_calls = 0;
	store *s = open_sealed(path);
	assert_non_null(s);
	uint8_t b0[] = "old", b1[] = "new-a", b2[] = "new-b1", b3[] = "new-b2";
	store_report r;
	make_report(&r, "HD-OLD", "agency-330106", "330106", "k-old", b0, 4);
	store_audit a = audit_for("HD-OLD");
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);
	assert_int_equal(seal_calls, 1);
	assert_int_equal(seal_last_n, 1);
	/* A repeated key in one group is found without a second seal. */
	group_done = 0;
	store_hold(s, true);
	uint8_t c1[] = "c1", c2[] = "c2";
	make_report(&r, "HD-C1", "agency-330106", "330106", "k-c", c1, 3);
	store_put_report_async(s, &r, &a, on_group_done, (void *)0);
	make_report(&r, "HD-C2", "agency-330106", "330106", "k-c", c2, 3);
	store_put_report_async(s, &r, &a, on_group_done, (void *)1);
	store_hold(s, false);
	wait_group(2);
	assert_int_equal(seal_calls, 2);
	assert_int_equal(seal_last_n, 1);
	assert_int_equal(group_errs[0], HD_OK);
	assert_int_equal(group_errs[1], HD_EEXIST);
	assert_string_equal(group_got[1].report_id, "HD-C1");
	store_report_clear(&group_got[0]);
	store_report_clear(&group_got[1]);
	seal_calls = 1;

	group_done = 0;
	store_hold(s, true);
	make_report(&r, "HD-A", "agency-330106", "330106", "k-a", b1, 6);
	store_put_report_async(s, &r, &a, on_group_done, (void *)0);
	make_report(&r, "HD-OLD2", "agency-330106", "330106", "k-old", b0, 4);
	store_put_report_async(s, &r, &a, on_group_done, (void *)1);
	make_report(&r, "HD-B1", "agency-330106", "330106", "k-b", b2, 7);
	store_put_report_async(s, &r, &a, on_group_done, (void *)2);
	store_append_audit_async(s, &a, on_group_done, (void *)3);
	make_report(&r, "HD-B2", "agency-330106", "330106", "k-b", b3, 7);
	store_put_report_async(s, &r, &a, on_group_done, (void *)4);
	store_hold(s, false);
	wait_group(5);
	/* Sealed first as if every key were new (HD-A, HD-OLD2, HD-B1); the
	 * taken key found at its insert, the group is written again, looking
	 * every key up, and sealed without it. */
	assert_int_equal(seal_calls, 3);
	assert_int_equal(seal_last_n, 2); /* HD-A and HD-B1 */
	assert_int_equal(group_errs[0], HD_OK);
	assert_string_equal(group_got[0].report_id, "HD-A");
	assert_int_equal(group_got[0].proof_len, strlen("proof:HD-A:0/2"));
	assert_memory_equal(group_got[0].proof, "proof:HD-A:0/2", 14);
	assert_int_equal(group_errs[1], HD_EEXIST);
	assert_string_equal(group_got[1].report_id, "HD-OLD");
	assert_memory_equal(group_got[1].proof, "proof:HD-OLD:0/1", 16);
	assert_int_equal(group_errs[2], HD_OK);
	assert_memory_equal(group_got[2].proof, "proof:HD-B1:1/2", 15);
	assert_int_equal(group_errs[3], HD_OK);
	assert_int_equal(group_errs[4], HD_EEXIST);
	assert_string_equal(group_got[4].report_id, "HD-B1");
	assert_memory_equal(group_got[4].report, b2, 7);
	assert_memory_equal(group_got[4].proof, "proof:HD-B1:1/2", 15);
	for (int i = 0; i < 5; i++)
		store_report_clear(&group_got[i]);
	store_report got;
	assert_int_equal(store_get_report(s, "HD-B1", &got), HD_OK);
	assert_int_equal(got.proof_len, 15);
	assert_memory_equal(got.proof, "proof:HD-B1:1/2", 15);
	assert_int_equal(got.sig_len, 64);
	store_report_clear(&got);
	assert_int_equal(store_get_report(s, "HD-B2", &got), HD_ENOTFOUND);
	store_close(s);
	check_chain(path, 8);
}

/* A seal that fails fails its group (nothing of it stored), not the
 * store: the next group is sealed and stored. */
static void failed_seal_fails_the_group(void **state)
{
	const char *path = store_at(state, "seal_fail");
	store *s = open_sealed(path);
	assert_non_null(s);
	uint8_t b[] = "body";
	store_report r;
	make_report(&r, "HD-F", "agency-330106", "330106", "k-f", b, 4);
	store_audit a = audit_for("HD-F");
	seal_result = HD_ECRYPTO;
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_ECRYPTO);
	seal_result = HD_OK;
	assert_true(store_healthy(s));
	store_report got;
	assert_int_equal(store_get_report(s, "HD-F", &got), HD_ENOTFOUND);
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);
	assert_int_equal(store_get_report(s, "HD-F", &got), HD_OK);
	assert_non_null(got.proof);
	store_report_clear(&got);
	store_close(s);
	check_chain(path, 1);
}

/* A store of schema 2 (reports signed alone, no proof column) is
 * migrated; its reports read back without a proof, new ones with. */
static void schema_2_store_is_migrated(void **state)
{
	(void)state;
	const char *path = ttmp("store-schema2.db");
	store *s = open_at(path, 100);
	assert_non_null(s);
	uint8_t b[] = "signed alone";
	store_report r, got;
	make_report(&r, "HD-S2", "agency-330106", "330106", "k-s2", b, 12);
	store_audit a = audit_for("HD-S2");
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);
	store_close(s);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                     "ALTER TABLE report DROP COLUMN proof;"
	                     "UPDATE meta SET value = '2' WHERE key = "
	                     "'schema';",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	check_chain(path, 1);
	s = open_sealed(path);
	assert_non_null(s);
	assert_int_equal(store_get_report(s, "HD-S2", &got), HD_OK);
	assert_null(got.proof);
	assert_int_equal(got.proof_len, 0);
	assert_int_equal(got.sig_len, 70);
	assert_memory_equal(got.report, b, 12);
	store_report_clear(&got);
	make_report(&r, "HD-S3", "agency-330106", "330106", "k-s3", b, 12);
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);
	assert_int_equal(store_get_report(s, "HD-S3", &got), HD_OK);
	assert_non_null(got.proof);
	store_report_clear(&got);
	store_close(s);
	check_chain(path, 2);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(
	    sqlite3_prepare_v2(db,
	        "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "3");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

#define THREADS 16
#define PER_THREAD 40

static store *shared;

static void *writer_thread(void *arg)
{
	int t = (int)(intptr_t)arg;
	for (int i = 0; i < PER_THREAD; i++) {
		char id[48], req[32];
		uint8_t body[64];
		snprintf(id, sizeof id, "HD-%d-%d", t, i);
		snprintf(req, sizeof req, "req-%d-%d", t, i);
		memset(body, t + i, sizeof body);
		store_report r;
		make_report(
		    &r, id, "agency-330106", "330106", req, body, sizeof body);
		store_audit a = audit_for(id);
		if (store_put_report(shared, &r, &a, NULL) != HD_OK)
			return (void *)1;
	}
	return NULL;
}

static void group_commit_under_many_writers(void **state)
{
	const char *path = store_at(state, "group");
	shared = open_at(path, 100);
	assert_non_null(shared);
	/* The baseline: one writer, one fsync per item. */
	uint64_t t0 = tnow_ms();
	assert_null(writer_thread((void *)(intptr_t)THREADS));
	uint64_t ms1 = tnow_ms() - t0;
	printf("one writer: %d items in %llu ms (%.0f commits/s)\n",
	    PER_THREAD, (unsigned long long)ms1,
	    ms1 > 0 ? 1000.0 * PER_THREAD / (double)ms1 : 0.0);
	store_stats st0;
	store_get_stats(shared, &st0);
	pthread_t th[THREADS];
	t0 = tnow_ms();
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, writer_thread,
		                     (void *)(intptr_t)t),
		    0);
	int bad = 0;
	for (int t = 0; t < THREADS; t++) {
		void *rv;
		pthread_join(th[t], &rv);
		bad += rv != NULL;
	}
	uint64_t ms = tnow_ms() - t0;
	assert_int_equal(bad, 0);
	store_stats st;
	store_get_stats(shared, &st);
	st.items -= st0.items;
	st.batches -= st0.batches;
	assert_int_equal(st.items, THREADS * PER_THREAD);
	double mean = (double)st.items / (double)st.batches;
	printf("group commit: %d writers, %llu items in %llu transactions "
	       "(mean batch %.1f, max %llu), %.0f commits/s over %llu ms\n",
	    THREADS, (unsigned long long)st.items,
	    (unsigned long long)st.batches, mean,
	    (unsigned long long)st.max_batch,
	    ms > 0 ? 1000.0 * (double)st.items / (double)ms : 0.0,
	    (unsigned long long)ms);
	store_report got;
	assert_int_equal(store_get_report(shared, "HD-7-39", &got), HD_OK);
	store_report_clear(&got);
	store_close(shared);
	check_chain(path, (THREADS + 1) * PER_THREAD);
}

static atomic_int done_count;
static hd_err done_errs[64];
static void on_done(hd_err err, store_report *existing, void *arg)
{
	(void)existing;
	done_errs[(intptr_t)arg] = err;
	atomic_fetch_add(&done_count, 1);
}

/* Whatever the speed of the disk: what queues while the writer is busy
 * goes into its next transaction, all of it. */
static void queued_items_share_one_commit(void **state)
{
	const char *path = store_at(state, "batch");
	done_count = 0;
	store *s = open_at(path, 100);
	assert_non_null(s);
	store_hold(s, true);
	for (int i = 0; i < 50; i++) {
		char id[48], req[32];
		uint8_t body[8] = {(uint8_t)i};
		snprintf(id, sizeof id, "HD-B%d", i);
		snprintf(req, sizeof req, "b-%d", i);
		store_report r;
		make_report(&r, id, "agency-330106", "330106", req, body, 8);
		store_audit a = audit_for(id);
		if (i % 5 == 4)
			store_append_audit_async(
			    s, &a, on_done, (void *)(intptr_t)i);
		else
			store_put_report_async(
			    s, &r, &a, on_done, (void *)(intptr_t)i);
	}
	assert_int_equal(atomic_load(&done_count), 0);
	store_hold(s, false);
	for (int i = 0; i < 1000 && atomic_load(&done_count) < 50; i++)
		usleep(10000);
	assert_int_equal(done_count, 50);
	store_stats st;
	store_get_stats(s, &st);
	assert_int_equal(st.batches, 1);
	assert_int_equal(st.items, 50);
	for (int i = 0; i < 50; i++)
		assert_int_equal(done_errs[i], HD_OK);
	store_report got;
	assert_int_equal(store_get_report(s, "HD-B48", &got), HD_OK);
	store_report_clear(&got);
	store_close(s);
	check_chain(path, 50);
}

static atomic_int health_changes;
static atomic_bool last_health = true;
static void on_health(bool healthy, void *arg)
{
	(void)arg;
	atomic_store(&last_health, healthy);
	atomic_fetch_add(&health_changes, 1);
}

/* The callback runs just after the state changes: wait for it too. */
static bool wait_changes(int n)
{
	for (int i = 0; i < 500; i++) {
		if (atomic_load(&health_changes) >= n)
			return true;
		usleep(10000);
	}
	return false;
}

static bool wait_health(store *s, bool want)
{
	for (int i = 0; i < 500; i++) {
		if (store_healthy(s) == want)
			return true;
		usleep(10000);
	}
	return false;
}

static void failed_commit_refuses_until_probe(void **state)
{
	const char *path = store_at(state, "fail");
	health_changes = 0;
	char err[256];
	store_opts o = {.path = path,
	    .audit_key = key,
	    .audit_key_len = sizeof key,
	    .probe_ms = 50,
	    .health_cb = on_health};
	store *s = store_open(&o, err, sizeof err);
	assert_non_null(s);
	uint8_t body[] = "x";
	store_report r;
	store_audit a = audit_for("HD-F1");
	make_report(&r, "HD-F1", "agency-330106", "330106", "f1", body, 1);

	/* Injected: nothing kept, the store turns unhealthy, then the probe
	 * finds it writable again. */
	store_inject_failures(s, 1);
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_EDB);
	assert_true(wait_changes(2)); /* down, then up again */
	assert_true(wait_health(s, true));
	assert_true(atomic_load(&last_health));
	store_report got;
	assert_int_equal(store_get_report(s, "HD-F1", &got), HD_ENOTFOUND);
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);

	/* Real: SQLite, every write beyond the first byte of a file fails;
	 * PostgreSQL, the server stops (every connection cut, none made
	 * again until it is back). */
	hd_err e_full, e_next;
	bool healthy_full, healthy_later;
	if (is_pg(state)) {
		tpg_pause();
		make_report(
		    &r, "HD-F2", "agency-330106", "330106", "f2", body, 1);
		e_full = store_put_report(s, &r, &a, NULL);
		healthy_full = store_healthy(s);
		make_report(
		    &r, "HD-F3", "agency-330106", "330106", "f3", body, 1);
		e_next = store_put_report(s, &r, &a, NULL);
		usleep(200000);
		healthy_later = store_healthy(s);
		assert_true(tpg_resume());
	} else {
		/* Nothing is asserted (or printed) until the limit is
		 * lifted again: our own output goes to a file too. */
		struct rlimit old, lim;
		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = 1;
		signal(SIGXFSZ, SIG_IGN);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		make_report(
		    &r, "HD-F2", "agency-330106", "330106", "f2", body, 1);
		e_full = store_put_report(s, &r, &a, NULL);
		healthy_full = store_healthy(s);
		/* While unhealthy, work is refused at once. */
		make_report(
		    &r, "HD-F3", "agency-330106", "330106", "f3", body, 1);
		e_next = store_put_report(s, &r, &a, NULL);
		usleep(200000);
		healthy_later = store_healthy(s);
		int restored = setrlimit(RLIMIT_FSIZE, &old);
		assert_int_equal(restored, 0);
	}
	assert_int_equal(e_full, HD_EDB);
	assert_false(healthy_full);
	assert_true(e_next == HD_EUNAVAIL || e_next == HD_EDB);
	assert_false(healthy_later);
	assert_true(wait_health(s, true));
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);
	store_close(s);
	check_chain(path, 2);
}

static void audit_key_is_made_private(void **state)
{
	(void)state;
	const char *path = ttmp("store.audit-key");
	uint8_t k1[64], k2[64];
	size_t n1, n2;
	char err[256];
	assert_int_equal(
	    store_audit_key_load(path, k1, sizeof k1, &n1, err, sizeof err),
	    HD_OK);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(n1, 32);
	assert_int_equal(
	    store_audit_key_load(path, k2, sizeof k2, &n2, err, sizeof err),
	    HD_OK);
	assert_int_equal(n2, n1);
	assert_memory_equal(k1, k2, n1);
}

/* A consent written and read back through the store's writer and
 * readers: registered, found by number, member and expiry, refused under
 * a taken number with other content, revoked once. */
typedef struct consent_wait {
	atomic_int done;
	hd_err err;
	bool unchanged;
	store_consent rec;
} consent_wait;

static void on_consent(
    hd_err err, const store_consent *rec, bool unchanged, void *arg)
{
	consent_wait *w = arg;
	w->err = err;
	w->unchanged = unchanged;
	if (rec != NULL)
		w->rec = *rec;
	atomic_store(&w->done, 1);
}

static void consent_wait_done(consent_wait *w)
{
	for (int i = 0; i < 1000 && !atomic_load(&w->done); i++)
		usleep(10000);
	assert_true(w->done);
}

static hd_err count_consent(const store_consent *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return HD_OK;
}

static void make_consent(store_consent *c, const char *number, uint8_t mac)
{
	memset(c, 0, sizeof *c);
	snprintf(c->region, sizeof c->region, "330106");
	snprintf(c->number, sizeof c->number, "%s", number);
	c->signed_on = 20260101;
	c->valid_from = 20260101;
	c->valid_until = 20261231;
	c->programs = 1;
	c->sources = 7;
	memset(c->form_sha256, 0x11, 32);
	memset(c->content_mac, mac, 32);
	snprintf(c->agency, sizeof c->agency, "CN=agency-330106");
	snprintf(c->agency_prefix, sizeof c->agency_prefix, "330106");
	c->registered_ms = 1700000000000LL;
	c->n_members = 2;
	for (int i = 0; i < 2; i++) {
		memset(c->members[i].person, 'a' + i, 64);
		snprintf(c->members[i].id_masked,
		    sizeof c->members[i].id_masked, "3301**********000%c",
		    (char)('0' + i));
		snprintf(c->members[i].relation, sizeof c->members[i].relation,
		    "self");
		snprintf(
		    c->members[i].basis, sizeof c->members[i].basis, "signed");
	}
}

static void consents_round_trip(void **state)
{
	const char *path = store_at(state, "consent");
	store *s = open_at(path, 100);
	assert_non_null(s);
	store_consent c, got;
	store_audit a = audit_for("");
	make_consent(&c, "SQ-2026-001", 0x21);
	consent_wait w = {0};
	store_consent_put_async(s, &c, &a, on_consent, &w);
	consent_wait_done(&w);
	assert_int_equal(w.err, HD_OK);
	assert_false(w.unchanged);
	/* The same again: unchanged. Other content, same number: taken. */
	memset(&w, 0, sizeof w);
	store_consent_put_async(s, &c, &a, on_consent, &w);
	consent_wait_done(&w);
	assert_int_equal(w.err, HD_OK);
	assert_true(w.unchanged);
	store_consent other;
	make_consent(&other, "SQ-2026-001", 0x22);
	memset(&w, 0, sizeof w);
	store_consent_put_async(s, &other, &a, on_consent, &w);
	consent_wait_done(&w);
	assert_int_equal(w.err, HD_EEXIST);
	assert_memory_equal(w.rec.content_mac, c.content_mac, 32);

	assert_int_equal(
	    store_consent_get(s, "330106", "SQ-2026-001", &got), HD_OK);
	assert_int_equal(got.n_members, 2);
	assert_string_equal(got.members[1].id_masked, "3301**********0001");
	assert_int_equal(got.valid_until, 20261231);
	assert_int_equal(got.registered_ms, 1700000000000LL);
	assert_int_equal(
	    store_consent_get(s, "330106", "SQ-none", &got), HD_ENOTFOUND);
	int n = 0;
	char person[AUDIT_PERSON_HEX];
	memset(person, 'b', 64);
	person[64] = '\0';
	store_consent_query q = {.person = person, .region_prefix = "33"};
	assert_int_equal(store_consent_list(s, &q, count_consent, &n), HD_OK);
	assert_int_equal(n, 1);
	n = 0;
	store_consent_query qn = {
	    .number = "SQ-2026-001", .region_prefix = "11"};
	assert_int_equal(store_consent_list(s, &qn, count_consent, &n), HD_OK);
	assert_int_equal(n, 0);
	n = 0;
	store_consent_query qe = {.expiring_before = 20270101,
	    .today = 20260601,
	    .region_prefix = ""};
	assert_int_equal(store_consent_list(s, &qe, count_consent, &n), HD_OK);
	assert_int_equal(n, 1);

	memset(&w, 0, sizeof w);
	store_consent_revoke_async(s, "330106", "SQ-2026-001", 1700000001000LL,
	    "CN=agency-330106", "withdrawn", &a, on_consent, &w);
	consent_wait_done(&w);
	assert_int_equal(w.err, HD_OK);
	assert_false(w.unchanged);
	assert_int_equal(w.rec.revoked_ms, 1700000001000LL);
	memset(&w, 0, sizeof w);
	store_consent_revoke_async(s, "330106", "SQ-none", 1700000001000LL,
	    "CN=agency-330106", "withdrawn", &a, on_consent, &w);
	consent_wait_done(&w);
	assert_int_equal(w.err, HD_ENOTFOUND);
	n = 0;
	assert_int_equal(store_consent_list(s, &qe, count_consent, &n), HD_OK);
	assert_int_equal(n, 0);
	store_close(s);
	check_chain(path, 5);
}

/* A path of an unknown scheme is no file name to create. */
static void unknown_store_kind_is_refused(void **state)
{
	(void)state;
	char err[256];
	store_opts o = {.path = "mysql://db.example/hedui",
	    .audit_key = key,
	    .audit_key_len = sizeof key};
	assert_null(store_open(&o, err, sizeof err));
	assert_non_null(strstr(err, "unknown kind of store"));
}

/* --- PostgreSQL alone ---------------------------------------------------- */

/* hedui_schema records each component's version; a database migrated
 * by a newer heduid is refused rather than written in an old way. A
 * failure to connect names the server, never the password. */
static void pg_schema_is_versioned(void **state)
{
	(void)state;
	const char *path = store_at(state, "schema");
	store *s = open_at(path, 100);
	assert_non_null(s);
	store_close(s);
	char v[32];
	assert_true(tpg_query1(path,
	    "SELECT version FROM hedui_schema WHERE component = 'store'", v,
	    sizeof v));
	assert_string_equal(v, "2");
	assert_true(tpg_query1(path,
	    "SELECT version FROM hedui_schema WHERE component = 'consent'", v,
	    sizeof v));
	assert_string_equal(v, "1");
	assert_true(tpg_exec(path, "UPDATE hedui_schema SET version = 99"
	                           " WHERE component = 'store'"));
	char err[256];
	store_opts o = {
	    .path = path, .audit_key = key, .audit_key_len = sizeof key};
	assert_null(store_open(&o, err, sizeof err));
	assert_non_null(strstr(err, "newer"));
	assert_null(strstr(err, TPG_PASSWORD));
	assert_true(tpg_exec(path, "UPDATE hedui_schema SET version = 2"
	                           " WHERE component = 'store'"));
	s = open_at(path, 100);
	assert_non_null(s);
	store_close(s);

	char url[200];
	snprintf(url, sizeof url,
	    "postgresql://hedui:" TPG_PASSWORD "@127.0.0.1:%d/nothere",
	    tport_free());
	o.path = url;
	assert_null(store_open(&o, err, sizeof err));
	assert_non_null(strstr(err, "cannot connect"));
	assert_non_null(strstr(err, "hedui:***@127.0.0.1"));
	assert_null(strstr(err, TPG_PASSWORD));
	/* libpq's message quotes a bad percent-encoding: not the password. */
	o.path = "postgresql://hedui:bad%zzpw@127.0.0.1:1/x";
	assert_null(store_open(&o, err, sizeof err));
	assert_null(strstr(err, "zzpw"));
}

/* Connections cut by the server (an administrator, a restart, a
 * failover) are made again before the next write or read, which
 * succeeds: the store never turned unhealthy. */
static void pg_lost_connection_is_made_again(void **state)
{
	const char *path = store_at(state, "lost");
	store *s = open_at(path, 100);
	assert_non_null(s);
	uint8_t body[] = "b";
	store_report r, got;
	make_report(&r, "HD-L1", "agency-330106", "330106", "l1", body, 1);
	store_audit a = audit_for("HD-L1");
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);
	assert_true(tpg_exec(path,
	    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE application_name = 'heduid'"
	    " AND datname = current_database()"));
	make_report(&r, "HD-L2", "agency-330106", "330106", "l2", body, 1);
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);
	assert_true(store_healthy(s));
	assert_int_equal(store_get_report(s, "HD-L1", &got), HD_OK);
	store_report_clear(&got);
	store_close(s);
	check_chain(path, 2);
}

/* Two stores on one database, as two heduid replicas: their writes,
 * concurrent, make one chain that verifies; one idempotency key taken
 * by both gives one report. */
static store *replica[2];

static void *replica_writer(void *arg)
{
	int t = (int)(intptr_t)arg;
	for (int i = 0; i < 20; i++) {
		char id[48], req[32];
		uint8_t body[16];
		snprintf(id, sizeof id, "HD-R%d-%d", t, i);
		/* Threads 0 and 1, on two replicas, send the same keys. */
		snprintf(req, sizeof req, "r-%d-%d", t < 2 ? 0 : t, i);
		memset(body, t, sizeof body);
		store_report r;
		make_report(
		    &r, id, "agency-330106", "330106", req, body, sizeof body);
		store_audit a = audit_for(id);
		hd_err e = store_put_report(replica[t % 2], &r, &a, NULL);
		if (e != HD_OK && e != HD_EEXIST)
			return (void *)1;
	}
	return NULL;
}

static void pg_replicas_share_one_chain(void **state)
{
	const char *path = store_at(state, "replicas");
	replica[0] = open_at(path, 100);
	replica[1] = open_at(path, 100);
	assert_non_null(replica[0]);
	assert_non_null(replica[1]);
	assert_true(store_shared(replica[0]));
	pthread_t th[6];
	for (int t = 0; t < 6; t++)
		assert_int_equal(pthread_create(&th[t], NULL, replica_writer,
		                     (void *)(intptr_t)t),
		    0);
	int bad = 0;
	for (int t = 0; t < 6; t++) {
		void *rv;
		pthread_join(th[t], &rv);
		bad += rv != NULL;
	}
	assert_int_equal(bad, 0);
	store_close(replica[0]);
	store_close(replica[1]);
	/* Every put has its audit record; keys r-0-* once each. */
	check_chain(path, 6 * 20);
	char v[32];
	assert_true(
	    tpg_query1(path, "SELECT count(*) FROM report", v, sizeof v));
	assert_string_equal(v, "100");
}

/* The replay cache of replicas: a key recorded by one is seen by the
 * other until it expires. A SQLite store shares nothing. */
static void pg_replays_are_shared(void **state)
{
	const char *path = store_at(state, "replay");
	store *a = open_at(path, 100), *b = open_at(path, 100);
	assert_non_null(a);
	assert_non_null(b);
	uint8_t k[32];
	memset(k, 0x42, sizeof k);
	int64_t now = 1700000000000LL;
	assert_int_equal(store_replay_record(a, k, now, now + 1000), HD_OK);
	assert_int_equal(
	    store_replay_record(b, k, now + 10, now + 1010), HD_EEXIST);
	assert_int_equal(
	    store_replay_record(a, k, now + 20, now + 1020), HD_EEXIST);
	assert_int_equal(
	    store_replay_record(b, k, now + 2000, now + 3000), HD_OK);
	k[0] = 1;
	assert_int_equal(
	    store_replay_record(b, k, now + 2000, now + 3000), HD_OK);
	store_close(a);
	store_close(b);

	store *sq = open_at(ttmp("store-replay.db"), 100);
	assert_non_null(sq);
	assert_false(store_shared(sq));
	assert_int_equal(store_replay_record(sq, k, now, now + 1000), HD_OK);
	assert_int_equal(store_replay_record(sq, k, now, now + 1000), HD_OK);
	store_close(sq);
}

/* Every request asks the shared replay cache before anything is
 * written: when the database is away, that failure is what turns the
 * store unhealthy (a quiet writer would not notice), and the probe what
 * turns it healthy again. */
static void pg_failed_replay_check_turns_unhealthy(void **state)
{
	const char *path = store_at(state, "replay_down");
	store *s = open_at(path, 50);
	assert_non_null(s);
	uint8_t k[32];
	memset(k, 0x17, sizeof k);
	tpg_pause();
	hd_err e = store_replay_record(s, k, 1000, 2000);
	bool went_down = wait_health(s, false);
	assert_true(tpg_resume());
	assert_int_equal(e, HD_EDB);
	assert_true(went_down);
	assert_true(wait_health(s, true));
	assert_int_equal(store_replay_record(s, k, 1000, 2000), HD_OK);
	store_close(s);
}

/* audit_verify_store (hedui audit verify) on a PostgreSQL store finds
 * a record edited in the database, and one deleted. */
static void pg_audit_verify_finds_an_edit(void **state)
{
	const char *path = store_at(state, "tamper");
	store *s = open_at(path, 100);
	assert_non_null(s);
	store_audit a = audit_for("");
	for (int i = 0; i < 4; i++)
		assert_int_equal(store_append_audit(s, &a), HD_OK);
	store_close(s);
	check_chain(path, 4);
	char why[256];
	int64_t n = 0;
	assert_true(
	    tpg_exec(path, "UPDATE audit SET outcome = 7 WHERE seq = 3"));
	assert_int_equal(
	    audit_verify_store(path, key, sizeof key, &n, why, sizeof why),
	    HD_ECRYPTO);
	assert_int_equal(n, 2);
	assert_true(
	    tpg_exec(path, "UPDATE audit SET outcome = 0 WHERE seq = 3;"
	                   " DELETE FROM audit WHERE seq = 2"));
	n = 0;
	assert_int_equal(
	    audit_verify_store(path, key, sizeof key, &n, why, sizeof why),
	    HD_ECRYPTO);
	assert_int_equal(n, 1);
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
	    ON(sqlite, put_get_and_reopen, NULL),
	    ON(sqlite, same_key_gives_existing, NULL),
	    ON(sqlite, schema_1_store_is_migrated, NULL),
	    ON(sqlite, seal_sees_new_reports_only, NULL),
	    ON(sqlite, failed_seal_fails_the_group, NULL),
	    ON(sqlite, schema_2_store_is_migrated, NULL),
	    ON(sqlite, group_commit_under_many_writers, NULL),
	    ON(sqlite, queued_items_share_one_commit, NULL),
	    ON(sqlite, failed_commit_refuses_until_probe, NULL),
	    ON(sqlite, consents_round_trip, NULL),
	    ON(sqlite, audit_key_is_made_private, NULL),
	    ON(sqlite, unknown_store_kind_is_refused, NULL),
	    ON(pg, put_get_and_reopen, pg_setup),
	    ON(pg, same_key_gives_existing, pg_setup),
	    ON(pg, seal_sees_new_reports_only, pg_setup),
	    ON(pg, failed_seal_fails_the_group, pg_setup),
	    ON(pg, group_commit_under_many_writers, pg_setup),
	    ON(pg, queued_items_share_one_commit, pg_setup),
	    ON(pg, failed_commit_refuses_until_probe, pg_setup),
	    ON(pg, consents_round_trip, pg_setup),
	    ON(pg, pg_schema_is_versioned, pg_setup),
	    ON(pg, pg_lost_connection_is_made_again, pg_setup),
	    ON(pg, pg_replicas_share_one_chain, pg_setup),
	    ON(pg, pg_replays_are_shared, pg_setup),
	    ON(pg, pg_failed_replay_check_turns_unhealthy, pg_setup),
	    ON(pg, pg_audit_verify_finds_an_edit, pg_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
