/* SPDX-License-Identifier: MIT */
/* The audit chain: a clean chain verifies; an edited, a deleted and a
 * swapped record are each found, at the right sequence number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "audit_chain.h"

#define N 8

static const uint8_t key[] = "0123456789abcdef0123456789abcdef";
static audit_record recs[N];
static char persons[N][AUDIT_PERSON_HEX];

static void build(void)
{
	uint8_t prev[AUDIT_HASH_LEN] = {0};
	for (int i = 0; i < N; i++) {
		char id[32];
		snprintf(id, sizeof id, "33010619800101%03d", i);
		audit_person_hash(key, sizeof key - 1, id, persons[i]);
		audit_record *r = &recs[i];
		memset(r, 0, sizeof *r);
		r->seq = i + 1;
		r->time_ms = 1700000000000LL + i;
		r->agency = "agency-330106";
		r->operator_id = "op-7";
		r->case_id = "case-1";
		r->method = "hedui.v1.Verifier/VerifyHousehold";
		r->report_id = i % 2 ? "HD-1" : "";
		r->persons = persons[i];
		r->outcome = 0;
		memcpy(r->prev, prev, sizeof prev);
		audit_chain_hash(key, sizeof key - 1, r, r->hash);
		memcpy(prev, r->hash, sizeof prev);
	}
}

/* Walks recs[order[0..n)]; returns the failing position's seq or 0. */
static int64_t walk(const int *order, int n, char *why, size_t len)
{
	audit_walk w;
	audit_walk_init(&w, key, sizeof key - 1);
	why[0] = '\0';
	for (int i = 0; i < n; i++)
		if (!audit_walk_next(&w, &recs[order[i]], why, len))
			return recs[order[i]].seq;
	return 0;
}

static const int in_order[N] = {0, 1, 2, 3, 4, 5, 6, 7};

static void clean_chain_verifies(void **state)
{
	(void)state;
	char why[256];
	build();
	assert_int_equal(walk(in_order, N, why, sizeof why), 0);
	/* Deterministic, and the person hash is not the ID. */
	assert_int_equal(strlen(persons[0]), 64);
	assert_null(strstr(persons[0], "330106"));
}

static void edited_record_is_named(void **state)
{
	(void)state;
	char why[256];
	build();
	recs[4].outcome = 7; /* PERMISSION_DENIED made to look like OK */
	assert_int_equal(walk(in_order, N, why, sizeof why), 5);
	assert_non_null(strstr(why, "record 5"));
	assert_non_null(strstr(why, "altered"));
	build();
	recs[2].time_ms++;
	assert_int_equal(walk(in_order, N, why, sizeof why), 3);
}

static void deleted_record_is_named(void **state)
{
	(void)state;
	char why[256];
	build();
	const int order[] = {0, 1, 2, 4, 5, 6, 7}; /* seq 4 gone */
	assert_int_equal(walk(order, 7, why, sizeof why), 5);
	assert_non_null(strstr(why, "record 4 is missing"));
	/* Renumbering to hide the gap breaks the link instead. */
	recs[4].seq = 4;
	assert_int_equal(walk(order, 7, why, sizeof why), 4);
	assert_non_null(strstr(why, "does not follow"));
}

static void swapped_records_are_named(void **state)
{
	(void)state;
	char why[256];
	build();
	/* Whole rows swapped, seq and all. */
	const int order[] = {0, 1, 3, 2, 4, 5, 6, 7};
	assert_int_equal(walk(order, N, why, sizeof why), 4);
	assert_non_null(strstr(why, "record 4"));
	/* Contents swapped but the sequence numbers left in place. */
	audit_record t = recs[2];
	recs[2] = recs[3];
	recs[3] = t;
	recs[2].seq = 3;
	recs[3].seq = 4;
	assert_int_equal(walk(in_order, N, why, sizeof why), 3);
	assert_non_null(strstr(why, "record 3"));
}

static void wrong_key_fails(void **state)
{
	(void)state;
	char why[256];
	build();
	audit_walk w;
	audit_walk_init(&w, (const uint8_t *)"other", 5);
	assert_false(audit_walk_next(&w, &recs[0], why, sizeof why));
	assert_non_null(strstr(why, "record 1"));
}

/* A summary of refusals (count, peer, reason) is chained like any record:
 * each of its three fields is covered, and a plain record hashes exactly
 * as before they existed, so chains written earlier still verify. */
static void summary_fields_are_covered(void **state)
{
	(void)state;
	build();
	uint8_t plain[AUDIT_HASH_LEN], h[AUDIT_HASH_LEN], base[AUDIT_HASH_LEN];
	audit_record r = recs[0];
	memcpy(plain, r.hash, sizeof plain);
	r.count = 1;
	r.peer = "";
	r.reason = NULL;
	audit_chain_hash(key, sizeof key - 1, &r, h);
	assert_memory_equal(h, plain, AUDIT_HASH_LEN);

	r.count = 40;
	r.peer = "CN=agency-1101,OU=region:1101,O=hedui dev agencies,C=CN";
	r.reason = "unsigned";
	audit_chain_hash(key, sizeof key - 1, &r, base);
	assert_memory_not_equal(base, plain, AUDIT_HASH_LEN);
	r.count = 41;
	audit_chain_hash(key, sizeof key - 1, &r, h);
	assert_memory_not_equal(h, base, AUDIT_HASH_LEN);
	r.count = 40;
	r.peer = "CN=agency-330106,OU=region:330106,O=hedui dev agencies,C=CN";
	audit_chain_hash(key, sizeof key - 1, &r, h);
	assert_memory_not_equal(h, base, AUDIT_HASH_LEN);
	r.peer = "CN=agency-1101,OU=region:1101,O=hedui dev agencies,C=CN";
	r.reason = "replay";
	audit_chain_hash(key, sizeof key - 1, &r, h);
	assert_memory_not_equal(h, base, AUDIT_HASH_LEN);
}

/* The key prepared once gives the same hashes as the key given each time
 * (what heduid writes, what `hedui audit verify` checks): record hashes
 * with every kind of number (0, negative, the int64 extremes), and person
 * hashes, which are fixed by an independent computation. */
static void prepared_key_hashes_alike(void **state)
{
	(void)state;
	build();
	audit_key *k = audit_key_new(key, sizeof key - 1);
	assert_non_null(k);
	static const int64_t nums[] = {
	    0, 1, -1, 9, 10, -10, 1700000000000LL, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		audit_record r = recs[1];
		uint8_t a[AUDIT_HASH_LEN], b[AUDIT_HASH_LEN];
		r.seq = nums[i];
		r.time_ms = nums[(i + 3) % 9];
		r.outcome = (int)(nums[i] % 17);
		r.count = nums[(i + 5) % 9];
		audit_chain_hash(key, sizeof key - 1, &r, a);
		audit_chain_hash_k(k, &r, b);
		assert_memory_equal(a, b, AUDIT_HASH_LEN);
	}
	char p1[AUDIT_PERSON_HEX], p2[AUDIT_PERSON_HEX];
	audit_person_hash(key, sizeof key - 1, "330106197803150013", p1);
	audit_person_hash_k(k, "330106197803150013", p2);
	assert_string_equal(p1, p2);
	/* HMAC-SHA256(key, ID number), as openssl dgst -hmac computes it. */
	audit_key *k2 = audit_key_new((const uint8_t *)"key", 3);
	audit_person_hash_k(
	    k2, "The quick brown fox jumps over the lazy dog", p2);
	assert_string_equal(p2, "f7bc83f430538424b13298e6aa6fb143ef4d59a149461"
	                        "75997479dbc2d1a3cd8");
	audit_key_free(k2);
	audit_key_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(clean_chain_verifies),
	    cmocka_unit_test(edited_record_is_named),
	    cmocka_unit_test(deleted_record_is_named),
	    cmocka_unit_test(swapped_records_are_named),
	    cmocka_unit_test(wrong_key_fails),
	    cmocka_unit_test(summary_fields_are_covered),
	    cmocka_unit_test(prepared_key_hashes_alike),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
