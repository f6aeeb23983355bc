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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_verify.h"
#include "store.h"
#include "tsupport.h"

static const uint8_t key[32] = "k0123456789abcdef0123456789abcd";

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
	(void)state;
	const char *path = ttmp("store-putget.db");
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
	(void)state;
	const char *path = ttmp("store-idem.db");
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
static int group_done;
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
	__atomic_add_fetch(&group_done, 1, __ATOMIC_SEQ_CST);
}

static void wait_group(int n)
{
	for (int i = 0;
	     i < 1000 && __atomic_load_n(&group_done, __ATOMIC_SEQ_CST) < n;
	     i++)
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
	(void)state;
	const char *path = ttmp("store-seal.db");
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
	(void)state;
	const char *path = ttmp("store-seal-fail.db");
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
	(void)state;
	const char *path = ttmp("store-group.db");
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

static int done_count;
static hd_err done_errs[64];
static void on_done(hd_err err, store_report *existing, void *arg)
{
	(void)existing;
	done_errs[(intptr_t)arg] = err;
	__atomic_add_fetch(&done_count, 1, __ATOMIC_SEQ_CST);
}

/* Whatever the speed of the disk: what queues while the writer is busy
 * goes into its next transaction, all of it. */
static void queued_items_share_one_commit(void **state)
{
	(void)state;
	const char *path = ttmp("store-batch.db");
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
	assert_int_equal(__atomic_load_n(&done_count, __ATOMIC_SEQ_CST), 0);
	store_hold(s, false);
	for (int i = 0;
	     i < 1000 && __atomic_load_n(&done_count, __ATOMIC_SEQ_CST) < 50;
	     i++)
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

static int health_changes;
static bool last_health = true;
static void on_health(bool healthy, void *arg)
{
	(void)arg;
	__atomic_store_n(&last_health, healthy, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&health_changes, 1, __ATOMIC_SEQ_CST);
}

/* The callback runs just after the state changes: wait for it too. */
static bool wait_changes(int n)
{
	for (int i = 0; i < 500; i++) {
		if (__atomic_load_n(&health_changes, __ATOMIC_SEQ_CST) >= n)
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
	(void)state;
	const char *path = ttmp("store-fail.db");
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
	assert_true(__atomic_load_n(&last_health, __ATOMIC_SEQ_CST));
	store_report got;
	assert_int_equal(store_get_report(s, "HD-F1", &got), HD_ENOTFOUND);
	assert_int_equal(store_put_report(s, &r, &a, NULL), HD_OK);

	/* Real: every write beyond the first byte of a file fails. Nothing
	 * is asserted (or printed) until the limit is lifted again: our own
	 * output goes to a file too. */
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 1;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	make_report(&r, "HD-F2", "agency-330106", "330106", "f2", body, 1);
	hd_err e_full = store_put_report(s, &r, &a, NULL);
	bool healthy_full = store_healthy(s);
	/* While unhealthy, work is refused at once. */
	make_report(&r, "HD-F3", "agency-330106", "330106", "f3", body, 1);
	hd_err e_next = store_put_report(s, &r, &a, NULL);
	usleep(200000);
	bool healthy_later = store_healthy(s);
	int restored = setrlimit(RLIMIT_FSIZE, &old);
	assert_int_equal(restored, 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(put_get_and_reopen),
	    cmocka_unit_test(same_key_gives_existing),
	    cmocka_unit_test(schema_1_store_is_migrated),
	    cmocka_unit_test(seal_sees_new_reports_only),
	    cmocka_unit_test(failed_seal_fails_the_group),
	    cmocka_unit_test(schema_2_store_is_migrated),
	    cmocka_unit_test(group_commit_under_many_writers),
	    cmocka_unit_test(queued_items_share_one_commit),
	    cmocka_unit_test(failed_commit_refuses_until_probe),
	    cmocka_unit_test(audit_key_is_made_private),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
