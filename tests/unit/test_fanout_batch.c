/* SPDX-License-Identifier: MIT */
/* Source batching, both ends: a LookupRequest with several households
 * answered by source_lookup (merged into one response, a held household
 * left out), that response through the wire format and split back per
 * household by verify_fanout_take; the batch limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "idnum.h"
#include "policy.h"
#include "source_lookup.h"
#include "verify_fanout.h"

/* In tests/fixtures/households.json: found at the tax bureau with a wage,
 * held there (timeout), unavailable there. */
#define FOUND "330106198003151231"
#define HELD "330102199005051815"
#define UNAVAIL "33010219930707203X"

static srcdb *tax;
static char stranger[IDNUM_LEN + 1];

static int setup(void **state)
{
	(void)state;
	char path[512], err[256];
	const char *src = getenv("HEDUI_SRC");
	snprintf(path, sizeof path, "%s/tests/fixtures/households.json",
	    src != NULL ? src : ".");
	if (fixtures_open_memory(
	        path, SRCDB_TAX, &tax, NULL, err, sizeof err) != HD_OK)
		return -1;
	snprintf(stranger, sizeof stranger, "65010219900101%03d", 10);
	stranger[17] = idnum_check_char(stranger);
	stranger[18] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	srcdb_close(tax);
	return 0;
}

typedef struct batch {
	Hedui__V1__LookupRequest req;
	Hedui__V1__LookupHousehold g[140], *gp[140];
	const char *ids[140][21];
} batch;

static void batch_init(batch *b)
{
	memset(b, 0, sizeof *b);
	hedui__v1__lookup_request__init(&b->req);
	b->req.as_of = "2026-11-01";
	b->req.households = b->gp;
}

static void batch_add(batch *b, const char *const *ids, size_t n)
{
	size_t k = b->req.n_households++;
	hedui__v1__lookup_household__init(&b->g[k]);
	for (size_t i = 0; i < n; i++)
		b->ids[k][i] = ids[i];
	b->g[k].id_numbers = (char **)b->ids[k];
	b->g[k].n_id_numbers = n;
	b->g[k].case_ref = "case";
	b->gp[k] = &b->g[k];
}

/* Three households with room for two members each. */
static void households_alloc(policy_household *h[3])
{
	for (int i = 0; i < 3; i++) {
		h[i] = policy_household_alloc(2);
		assert_non_null(h[i]);
	}
}

static void households_free(policy_household *h[3])
{
	for (int i = 0; i < 3; i++)
		policy_household_free(h[i]);
}

static void household(policy_household *h, const char *const *ids, size_t n)
{
	memset(h, 0, policy_household_size(n));
	h->n_members = n;
	for (size_t m = 0; m < n; m++)
		idnum_check(ids[m], 0, h->members[m].id_number);
}

static void test_merge_and_split(void **state)
{
	(void)state;
	const char *a[1] = {FOUND};
	const char *b[2] = {FOUND, HELD}; /* FOUND again: in two households */
	const char *c[2] = {UNAVAIL, stranger};
	batch bt;
	batch_init(&bt);
	batch_add(&bt, a, 1);
	batch_add(&bt, b, 2);
	batch_add(&bt, c, 2);
	source_answer ans;
	source_lookup(tax, &bt.req, &ans);
	assert_int_equal(ans.code, RPC_OK);
	assert_false(ans.hold);
	assert_int_equal(ans.held_households, 1);
	assert_int_equal(ans.unavailable, 1);
	assert_int_equal(ans.persons, 5);

	/* Over the wire: the held household's persons are not in it. */
	size_t len = protobuf_c_message_get_packed_size(ans.response);
	uint8_t *buf = malloc(len);
	protobuf_c_message_pack(ans.response, buf);
	ProtobufCMessage *resp = protobuf_c_message_unpack(
	    verify_fanout_response_desc(POLICY_SOURCE_TAX), NULL, len, buf);
	free(buf);
	source_answer_free(&ans);
	assert_non_null(resp);
	const Hedui__V1__TaxLookupResponse *r =
	    (const Hedui__V1__TaxLookupResponse *)resp;
	assert_int_equal(r->n_persons, 3);

	policy_household *h[3];
	households_alloc(h);
	/* Split as the fan-out does it: each household's persons where the
	 * previous one's ended, or (the held one's are missing) looked for
	 * in the whole answer; and, for comparison, household by household
	 * in the whole answer. Both give the same facts. */
	for (int pass = 0; pass < 2; pass++) {
		household(h[0], a, 1);
		household(h[1], b, 2);
		household(h[2], c, 2);
		size_t at = 0;
		for (int i = 0; i < 3; i++)
			if (pass == 0)
				at = verify_fanout_take_at(
				    h[i], POLICY_SOURCE_TAX, resp, at);
			else
				verify_fanout_take(
				    h[i], POLICY_SOURCE_TAX, resp);
		if (pass == 0)
			assert_int_equal(at, 3);
		if (pass == 1)
			break;
		assert_int_equal(h[0]->members[0].lookup[POLICY_SOURCE_TAX],
		    POLICY_LOOKUP_FOUND);
		assert_int_equal(h[1]->members[0].lookup[POLICY_SOURCE_TAX],
		    POLICY_LOOKUP_FOUND);
		assert_int_equal(h[1]->members[1].lookup[POLICY_SOURCE_TAX],
		    POLICY_LOOKUP_FAILED);
		assert_int_equal(h[2]->members[0].lookup[POLICY_SOURCE_TAX],
		    POLICY_LOOKUP_FAILED);
		assert_int_equal(h[2]->members[1].lookup[POLICY_SOURCE_TAX],
		    POLICY_LOOKUP_NOT_FOUND);
	}
	/* An answer in another order than asked (persons of the third
	 * household first): each still gets its own persons' facts. */
	Hedui__V1__TaxLookupResponse *w = (Hedui__V1__TaxLookupResponse *)resp;
	Hedui__V1__TaxFacts *first = w->persons[0];
	w->persons[0] = w->persons[2];
	w->persons[2] = first;
	policy_household *x[3];
	households_alloc(x);
	household(x[0], a, 1);
	household(x[2], c, 2);
	size_t at = verify_fanout_take_at(x[0], POLICY_SOURCE_TAX, resp, 0);
	at = verify_fanout_take_at(x[2], POLICY_SOURCE_TAX, resp, at);
	assert_int_equal(
	    x[0]->members[0].lookup[POLICY_SOURCE_TAX], POLICY_LOOKUP_FOUND);
	assert_int_equal(x[0]->members[0].tax.wage_income_fen, 3600000);
	assert_int_equal(
	    x[2]->members[0].lookup[POLICY_SOURCE_TAX], POLICY_LOOKUP_FAILED);
	assert_int_equal(x[2]->members[1].lookup[POLICY_SOURCE_TAX],
	    POLICY_LOOKUP_NOT_FOUND);
	/* A wrong type of answer fails every member. */
	assert_int_equal(
	    verify_fanout_take_at(x[0], POLICY_SOURCE_BANK, resp, 0), 0);
	assert_int_equal(
	    x[0]->members[0].lookup[POLICY_SOURCE_BANK], POLICY_LOOKUP_FAILED);
	households_free(x);
	protobuf_c_message_free_unpacked(resp, NULL);

	/* The first household has its facts... */
	assert_int_equal(
	    h[0]->members[0].lookup[POLICY_SOURCE_TAX], POLICY_LOOKUP_FOUND);
	assert_int_equal(h[0]->members[0].tax.wage_income_fen, 3600000);
	/* ...the held one's held member failed (its first member is the
	 * same person as the first household's, answered with the same
	 * as_of, so the answer is matched by ID number and is the same)... */
	assert_int_equal(
	    h[1]->members[1].lookup[POLICY_SOURCE_TAX], POLICY_LOOKUP_FAILED);
	assert_int_equal(
	    h[1]->members[0].lookup[POLICY_SOURCE_TAX], POLICY_LOOKUP_FOUND);
	/* ...and the third keeps its per-person outcome. */
	assert_int_equal(
	    h[2]->members[0].lookup[POLICY_SOURCE_TAX], POLICY_LOOKUP_FAILED);
	assert_int_equal(h[2]->members[1].lookup[POLICY_SOURCE_TAX],
	    POLICY_LOOKUP_NOT_FOUND);
	households_free(h);
}

static void test_all_held_is_held(void **state)
{
	(void)state;
	const char *a[1] = {HELD};
	batch bt;
	batch_init(&bt);
	batch_add(&bt, a, 1);
	batch_add(&bt, a, 1);
	source_answer ans;
	source_lookup(tax, &bt.req, &ans);
	assert_int_equal(ans.code, RPC_OK);
	assert_true(ans.hold);
	assert_null(ans.response);
	source_answer_free(&ans);
}

static void expect_invalid(batch *bt, const char *want)
{
	source_answer ans;
	source_lookup(tax, &bt->req, &ans);
	assert_int_equal(ans.code, RPC_INVALID_ARGUMENT);
	assert_string_equal(ans.message, want);
	assert_null(ans.response);
	source_answer_free(&ans);
}

static void test_limits(void **state)
{
	(void)state;
	const char *twenty[21];
	for (int i = 0; i < 21; i++)
		twenty[i] = FOUND;
	batch *bt = malloc(sizeof *bt);

	/* 128 households, 1024 ID numbers in all: accepted */
	batch_init(bt);
	for (int k = 0; k < 128; k++)
		batch_add(bt, twenty, 8);
	source_answer ans;
	source_lookup(tax, &bt->req, &ans);
	assert_int_equal(ans.code, RPC_OK);
	assert_int_equal(ans.persons, 1024);
	assert_int_equal(
	    ((Hedui__V1__TaxLookupResponse *)ans.response)->n_persons, 1024);
	source_answer_free(&ans);

	batch_add(bt, twenty, 1);
	expect_invalid(bt, "households: 129 given, at most 128 per request");

	batch_init(bt);
	for (int k = 0; k < 52; k++)
		batch_add(bt, twenty, 20);
	expect_invalid(bt,
	    "households: 1040 ID numbers in all, at most 1024 per request");

	batch_init(bt);
	batch_add(bt, twenty, 1);
	batch_add(bt, twenty, 21);
	expect_invalid(bt, "households[1].id_numbers: 21 given, 1 to 20 per "
	                   "household");

	batch_init(bt);
	batch_add(bt, twenty, 1);
	batch_add(bt, twenty, 0);
	expect_invalid(bt, "households[1].id_numbers: 0 given, 1 to 20 per "
	                   "household");

	const char *bad[2] = {FOUND, "330106198003151232"};
	batch_init(bt);
	batch_add(bt, twenty, 1);
	batch_add(bt, bad, 2);
	source_lookup(tax, &bt->req, &ans);
	assert_int_equal(ans.code, RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(ans.message, "households[1].id_numbers[1]: "));
	assert_null(strstr(ans.message, "330106"));
	source_answer_free(&ans);

	batch_init(bt);
	batch_add(bt, twenty, 1);
	bt->req.id_numbers = (char **)twenty;
	bt->req.n_id_numbers = 1;
	expect_invalid(bt, "id_numbers: not allowed together with households");
	free(bt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge_and_split),
	    cmocka_unit_test(test_all_held_is_held),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
