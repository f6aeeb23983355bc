/* SPDX-License-Identifier: MIT */
/* A LookupRequest answered from a store: found, not found, a household of
 * 20, the fixture faults, bad requests; and the source-wide chaos knobs. */
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
#include "source_chaos.h"
#include "source_lookup.h"

typedef struct stores {
	srcdb *db[SRCDB_KIND_COUNT];
} stores;

static int stores_setup(void **state)
{
	stores *s = calloc(1, sizeof *s);
	char path[512], err[256];
	const char *src = getenv("HEDUI_SRC");
	snprintf(path, sizeof path, "%s/tests/fixtures/households.json",
	    src != NULL ? src : ".");
	for (int k = 0; k < SRCDB_KIND_COUNT; k++)
		if (fixtures_open_memory(path, (srcdb_kind)k, &s->db[k], NULL,
		        err, sizeof err) != HD_OK)
			return -1;
	*state = s;
	return 0;
}

static int stores_teardown(void **state)
{
	stores *s = *state;
	for (int k = 0; k < SRCDB_KIND_COUNT; k++)
		srcdb_close(s->db[k]);
	free(s);
	return 0;
}

static void ask(srcdb *db, const char **ids, size_t n, const char *as_of,
    source_answer *ans)
{
	Hedui__V1__LookupRequest req = HEDUI__V1__LOOKUP_REQUEST__INIT;
	req.id_numbers = (char **)ids;
	req.n_id_numbers = n;
	if (as_of != NULL)
		req.as_of = (char *)as_of;
	source_lookup(db, &req, ans);
}

/* The response goes through the wire format and back. */
static ProtobufCMessage *roundtrip(srcdb_kind k, const source_answer *ans)
{
	size_t len = protobuf_c_message_get_packed_size(ans->response);
	uint8_t *buf = malloc(len + 1);
	protobuf_c_message_pack(ans->response, buf);
	ProtobufCMessage *m = protobuf_c_message_unpack(
	    source_response_descriptor(k), NULL, len, buf);
	free(buf);
	assert_non_null(m);
	return m;
}

static void test_found_and_not_found(void **state)
{
	stores *s = *state;
	const char *ids[2] = {"330106198003151231", "110105195001010047"};
	source_answer ans;
	ask(s->db[SRCDB_BANK], ids, 2, "2026-11-01", &ans);
	assert_int_equal(ans.code, RPC_OK);
	assert_false(ans.hold);
	assert_int_equal(ans.found, 1);
	Hedui__V1__BankLookupResponse *r =
	    (Hedui__V1__BankLookupResponse *)roundtrip(SRCDB_BANK, &ans);
	assert_int_equal(r->n_persons, 2);
	assert_string_equal(r->persons[0]->person->id_number, ids[0]);
	assert_true(r->persons[0]->person->found);
	assert_null(r->persons[0]->person->status);
	assert_int_equal(r->persons[0]->n_accounts, 2);
	assert_string_equal(r->persons[0]->accounts[0]->kind, "deposit");
	assert_int_equal(r->persons[0]->accounts[0]->balance_fen, 830000);
	assert_int_equal(r->persons[0]->accounts[1]->balance_fen, 200000);
	assert_string_equal(r->persons[1]->person->id_number, ids[1]);
	assert_false(r->persons[1]->person->found);
	assert_int_equal(r->persons[1]->n_accounts, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	source_answer_free(&ans);
	source_answer_free(NULL);
}

static void test_property_exact(void **state)
{
	stores *s = *state;
	const char *ids[1] = {"330106195501011318"};
	source_answer ans;
	ask(s->db[SRCDB_PROPERTY], ids, 1, NULL, &ans);
	assert_int_equal(ans.code, RPC_OK);
	Hedui__V1__PropertyLookupResponse *r =
	    (Hedui__V1__PropertyLookupResponse *)roundtrip(
	        SRCDB_PROPERTY, &ans);
	Hedui__V1__PropertyFacts *p = r->persons[0];
	assert_int_equal(p->n_real_estate, 3);
	assert_int_equal(p->real_estate[0]->area_centi_m2, 12000);
	assert_int_equal(p->real_estate[0]->share_bps, 10000);
	assert_int_equal(p->real_estate[1]->area_centi_m2, 6500);
	assert_string_equal(p->real_estate[2]->usage, "parking");
	assert_int_equal(p->n_vehicles, 1);
	assert_int_equal(p->vehicles[0]->value_fen, 18000000);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	source_answer_free(&ans);
}

static void test_household_of_20(void **state)
{
	stores *s = *state;
	/* 10 from the fixtures (no fault among them at the tax bureau but
	 * the unavailable one) and 10 strangers */
	static const char *known[10] = {"11010519491231002X",
	    "330106198003151231", "330106198207081247", "330106201009021256",
	    "330106195501011318", "440106197506061511", "510104198808081622",
	    "310101197001011710", "330102199206061921", "33010219930707203x"};
	char strangers[10][IDNUM_LEN + 1];
	const char *ids[20];
	for (int i = 0; i < 10; i++) {
		char tmp[40];
		snprintf(
		    tmp, sizeof tmp, "650102%08d%03d", 19900101 + i, 10 + i);
		tmp[17] = idnum_check_char(tmp);
		tmp[18] = '\0';
		memcpy(strangers[i], tmp, IDNUM_LEN + 1);
		ids[2 * i] = known[i];
		ids[2 * i + 1] = strangers[i];
	}
	source_answer ans;
	ask(s->db[SRCDB_TAX], ids, 20, NULL, &ans);
	assert_int_equal(ans.code, RPC_OK);
	assert_false(ans.hold);
	assert_int_equal(ans.unavailable, 1); /* 33010219930707203X */
	Hedui__V1__TaxLookupResponse *r =
	    (Hedui__V1__TaxLookupResponse *)roundtrip(SRCDB_TAX, &ans);
	assert_int_equal(r->n_persons, 20);
	for (int i = 0; i < 20; i++) {
		char norm[IDNUM_LEN + 1];
		idnum_check(ids[i], 0, norm);
		assert_string_equal(r->persons[i]->person->id_number, norm);
		bool stranger = i % 2 == 1;
		/* 510104... has "tax": {"found": false}; the last known one
		 * is unavailable */
		bool want = !stranger && i != 12 && i != 18;
		assert_int_equal(r->persons[i]->person->found, want);
	}
	assert_int_equal(r->persons[2]->wage_income_fen, 3600000);
	assert_int_equal(r->persons[18]->person->status->code,
	    HEDUI__V1__STATUS_CODE__UNAVAILABLE);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	source_answer_free(&ans);
}

static void test_fault_unavailable(void **state)
{
	stores *s = *state;
	const char *ids[2] = {"310101197001011710", "330106198003151231"};
	source_answer ans;
	ask(s->db[SRCDB_BANK], ids, 2, NULL, &ans);
	assert_int_equal(ans.code, RPC_OK);
	assert_int_equal(ans.unavailable, 1);
	Hedui__V1__BankLookupResponse *r =
	    (Hedui__V1__BankLookupResponse *)roundtrip(SRCDB_BANK, &ans);
	Hedui__V1__PersonHeader *h = r->persons[0]->person;
	assert_false(h->found);
	assert_non_null(h->status);
	assert_int_equal(h->status->code, HEDUI__V1__STATUS_CODE__UNAVAILABLE);
	assert_null(strstr(h->status->message, ids[0]));
	/* the record's accounts do not go out with the failure */
	assert_int_equal(r->persons[0]->n_accounts, 0);
	/* the other member answers normally */
	assert_true(r->persons[1]->person->found);
	assert_null(r->persons[1]->person->status);
	assert_int_equal(r->persons[1]->n_accounts, 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	source_answer_free(&ans);

	/* the same person is fine at the tax bureau */
	ask(s->db[SRCDB_TAX], ids, 1, NULL, &ans);
	assert_int_equal(ans.unavailable, 0);
	source_answer_free(&ans);
}

static void test_fault_timeout(void **state)
{
	stores *s = *state;
	const char *ids[2] = {"330106198003151231", "330102199005051815"};
	source_answer ans;
	ask(s->db[SRCDB_TAX], ids, 2, NULL, &ans);
	assert_int_equal(ans.code, RPC_OK);
	assert_true(ans.hold);
	assert_null(ans.response);
	source_answer_free(&ans);
	/* the timeout is the tax bureau's only */
	ask(s->db[SRCDB_BANK], ids, 2, NULL, &ans);
	assert_false(ans.hold);
	assert_non_null(ans.response);
	source_answer_free(&ans);
	/* property: the one with every fault */
	const char *x[1] = {"33010219930707203X"};
	ask(s->db[SRCDB_PROPERTY], x, 1, NULL, &ans);
	assert_true(ans.hold);
	source_answer_free(&ans);
}

static void test_fault_malformed(void **state)
{
	stores *s = *state;
	source_answer ans;
	/* property with real estate: a negative area */
	const char *a[1] = {"330102199206061921"};
	ask(s->db[SRCDB_PROPERTY], a, 1, NULL, &ans);
	assert_int_equal(ans.malformed, 1);
	Hedui__V1__PropertyLookupResponse *p =
	    (Hedui__V1__PropertyLookupResponse *)roundtrip(
	        SRCDB_PROPERTY, &ans);
	assert_true(p->persons[0]->person->found);
	assert_true(p->persons[0]->real_estate[0]->area_centi_m2 < 0);
	protobuf_c_message_free_unpacked(&p->base, NULL);
	source_answer_free(&ans);

	/* bank with no accounts at all: a negative balance appears */
	const char *b[1] = {"33010219930707203X"};
	ask(s->db[SRCDB_BANK], b, 1, NULL, &ans);
	Hedui__V1__BankLookupResponse *r =
	    (Hedui__V1__BankLookupResponse *)roundtrip(SRCDB_BANK, &ans);
	assert_true(r->persons[0]->person->found);
	assert_int_equal(r->persons[0]->n_accounts, 1);
	assert_int_equal(r->persons[0]->accounts[0]->balance_fen, -1);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	source_answer_free(&ans);
}

static void test_fault_malformed_other_shapes(void **state)
{
	(void)state;
	const char *doc =
	    "{\"persons\": ["
	    "{\"id_number\": \"11010519491231002X\", \"tax\": {"
	    "\"wage_income_fen\": 100}, \"property\": {\"vehicles\": [{"
	    "\"kind\": \"car\", \"value_fen\": 5}]}, \"faults\": {\"tax\": "
	    "\"malformed\", \"property\": \"malformed\"}},"
	    "{\"id_number\": \"330106198003151231\", \"faults\": {"
	    "\"property\": \"malformed\"}}]}";
	srcdb *tax = NULL, *prop = NULL;
	assert_int_equal(
	    srcdb_open(NULL, ":memory:", SRCDB_TAX, SRCDB_OPEN_CREATE, &tax),
	    HD_OK);
	assert_int_equal(srcdb_open(NULL, ":memory:", SRCDB_PROPERTY,
	                     SRCDB_OPEN_CREATE, &prop),
	    HD_OK);
	srcdb *st[SRCDB_KIND_COUNT] = {NULL};
	st[SRCDB_TAX] = tax;
	st[SRCDB_PROPERTY] = prop;
	assert_int_equal(fixtures_load_text(doc, st, NULL, NULL, 0), HD_OK);
	const char *ids[2] = {"11010519491231002X", "330106198003151231"};
	source_answer ans;
	ask(tax, ids, 1, NULL, &ans);
	Hedui__V1__TaxLookupResponse *t =
	    (Hedui__V1__TaxLookupResponse *)ans.response;
	assert_true(t->persons[0]->wage_income_fen < 0);
	source_answer_free(&ans);
	ask(prop, ids, 2, NULL, &ans);
	assert_int_equal(ans.malformed, 2);
	Hedui__V1__PropertyLookupResponse *p =
	    (Hedui__V1__PropertyLookupResponse *)ans.response;
	assert_true(p->persons[0]->vehicles[0]->value_fen < 0);
	assert_int_equal(p->persons[1]->n_vehicles, 1);
	assert_true(p->persons[1]->vehicles[0]->value_fen < 0);
	source_answer_free(&ans);
	srcdb_close(tax);
	srcdb_close(prop);
}

static void assert_invalid(source_answer *ans, const char *want)
{
	assert_int_equal(ans->code, RPC_INVALID_ARGUMENT);
	assert_string_equal(ans->message, want);
	assert_null(ans->response);
	/* never a run of digits that could be part of an ID number */
	int run = 0;
	for (const char *c = ans->message; *c; c++) {
		run = (*c >= '0' && *c <= '9') ? run + 1 : 0;
		assert_true(run < 6);
	}
	source_answer_free(ans);
}

static void test_bad_requests(void **state)
{
	stores *s = *state;
	source_answer ans;
	const char *ids[21];
	for (int i = 0; i < 21; i++)
		ids[i] = "330106198003151231";
	ask(s->db[SRCDB_BANK], ids, 0, NULL, &ans);
	assert_invalid(&ans, "id_numbers: at least one ID number is needed");
	ask(s->db[SRCDB_BANK], ids, 21, NULL, &ans);
	assert_invalid(&ans, "id_numbers: 21 given, at most 20 per request");
	/* 20 of the same is a (strange) household, not an error */
	ask(s->db[SRCDB_BANK], ids, 20, NULL, &ans);
	assert_int_equal(ans.code, RPC_OK);
	source_answer_free(&ans);

	const char *bad[3] = {
	    "330106198003151231", "11010519491231002x", "330106198003151232"};
	ask(s->db[SRCDB_BANK], bad, 3, NULL, &ans);
	assert_invalid(&ans, "id_numbers[2]: has a wrong check character "
	                     "(GB 11643-1999)");
	const char *short_id[1] = {"110105491231002"};
	ask(s->db[SRCDB_TAX], short_id, 1, NULL, &ans);
	assert_invalid(&ans, "id_numbers[0]: is a legacy 15-digit number; "
	                     "give the 18-digit form");
	const char *letters[1] = {"33010619800315123A"};
	ask(s->db[SRCDB_TAX], letters, 1, NULL, &ans);
	assert_invalid(&ans, "id_numbers[0]: must be 17 ASCII digits "
	                     "followed by a digit or X");
	const char *empty[1] = {""};
	ask(s->db[SRCDB_TAX], empty, 1, NULL, &ans);
	assert_invalid(&ans, "id_numbers[0]: is empty");
	/* born after as_of */
	const char *child[1] = {"330106201009021256"};
	ask(s->db[SRCDB_TAX], child, 1, "2009-01-01", &ans);
	assert_invalid(
	    &ans, "id_numbers[0]: has a birth date after the assessment date");
	ask(s->db[SRCDB_TAX], child, 1, "2026-02-30", &ans);
	assert_invalid(&ans, "as_of: not a calendar date YYYY-MM-DD");
	/* lower-case x is accepted and answered upper-case */
	const char *lower[1] = {"11010519491231002x"};
	ask(s->db[SRCDB_BANK], lower, 1, "", &ans);
	assert_int_equal(ans.code, RPC_OK);
	Hedui__V1__BankLookupResponse *r =
	    (Hedui__V1__BankLookupResponse *)ans.response;
	assert_string_equal(
	    r->persons[0]->person->id_number, "11010519491231002X");
	assert_true(r->persons[0]->person->found);
	source_answer_free(&ans);
}

static void test_chaos(void **state)
{
	(void)state;
	source_chaos c = {.latency_ms = 100, .jitter_ms = 50};
	source_chaos_plan p;
	for (uint64_t d = 0; d < 1000; d++) {
		source_chaos_plan_for(&c, source_chaos_draw(), &p);
		assert_true(p.delay_ms >= 100 && p.delay_ms <= 150);
		assert_false(p.fail);
		assert_false(p.hang);
	}
	source_chaos_plan_for(&c, 50, &p);
	assert_int_equal(p.delay_ms, 150);
	/* a failure rate of 25%: about a quarter of many draws */
	c = (source_chaos){.fail_bps = 2500};
	int fails = 0;
	for (int i = 0; i < 20000; i++) {
		source_chaos_plan_for(&c, source_chaos_draw(), &p);
		fails += p.fail;
	}
	assert_true(fails > 4500 && fails < 5500);
	c = (source_chaos){.fail_bps = 10000, .hang = true};
	source_chaos_plan_for(&c, 0, &p);
	assert_true(p.fail && p.hang);
	c.fail_bps = 0;
	source_chaos_plan_for(&c, UINT64_MAX, &p);
	assert_false(p.fail);

	int bps = -1;
	assert_true(source_chaos_parse_rate("250", &bps));
	assert_int_equal(bps, 250);
	assert_true(source_chaos_parse_rate("2.5%", &bps));
	assert_int_equal(bps, 250);
	assert_true(source_chaos_parse_rate("100%", &bps));
	assert_int_equal(bps, 10000);
	assert_true(source_chaos_parse_rate("0.01%", &bps));
	assert_int_equal(bps, 1);
	assert_true(source_chaos_parse_rate("0", &bps));
	assert_int_equal(bps, 0);
	assert_false(source_chaos_parse_rate("10001", &bps));
	assert_false(source_chaos_parse_rate("100.5%", &bps));
	assert_false(source_chaos_parse_rate("0.001%", &bps));
	assert_false(source_chaos_parse_rate("-1", &bps));
	assert_false(source_chaos_parse_rate("5.%", &bps));
	assert_false(source_chaos_parse_rate("5.5", &bps));
	assert_false(source_chaos_parse_rate("5%x", &bps));
	assert_false(source_chaos_parse_rate("", &bps));
	assert_false(source_chaos_parse_rate(NULL, &bps));
}

/* A store that counts how it is read, over the SQLite one. */
static int reads_one, reads_groups;
static size_t groups_read;
static hd_err counting_open(
    const char *target, srcdb_kind kind, int flags, void **state)
{
	return srcdb_sqlite_ops.open(target, kind, flags, state);
}
static hd_err counting_lookup(
    void *state, const char *const *ids, size_t n, srcdb_result *res)
{
	reads_one++;
	return srcdb_sqlite_ops.lookup(state, ids, n, res);
}
static hd_err counting_groups(void *state, const srcdb_group *groups,
    size_t ngroups, srcdb_result *results)
{
	reads_groups++;
	groups_read += ngroups;
	return srcdb_sqlite_ops.lookup_groups(state, groups, ngroups, results);
}

/* A batched request is read from the store in one go (one read
 * transaction), not household by household; each household's answer is
 * what a request of its own would get. */
static void test_batch_reads_once(void **state)
{
	(void)state;
	srcdb_ops ops = srcdb_sqlite_ops;
	ops.open = counting_open;
	ops.lookup = counting_lookup;
	ops.lookup_groups = counting_groups;
	srcdb *db = NULL;
	assert_int_equal(
	    srcdb_open(&ops, ":memory:", SRCDB_BANK, SRCDB_OPEN_CREATE, &db),
	    HD_OK);
	char path[512], err[256];
	const char *src = getenv("HEDUI_SRC");
	snprintf(path, sizeof path, "%s/tests/fixtures/households.json",
	    src != NULL ? src : ".");
	srcdb *stores[SRCDB_KIND_COUNT] = {[SRCDB_BANK] = db};
	assert_int_equal(
	    fixtures_load_file(path, stores, NULL, err, sizeof err), HD_OK);
	const char *a[2] = {"330106198003151231", "110105195001010047"};
	const char *b[1] = {"330106198003151231"};
	const char *c[1] = {"33010219930707203X"};
	const char *const *groups[3] = {a, b, c};
	size_t counts[3] = {2, 1, 1};
	Hedui__V1__LookupHousehold g[3], *gp[3];
	Hedui__V1__LookupRequest req = HEDUI__V1__LOOKUP_REQUEST__INIT;
	req.as_of = "2026-11-01";
	for (int i = 0; i < 3; i++) {
		hedui__v1__lookup_household__init(&g[i]);
		g[i].id_numbers = (char **)groups[i];
		g[i].n_id_numbers = counts[i];
		gp[i] = &g[i];
	}
	req.households = gp;
	req.n_households = 3;
	reads_one = reads_groups = 0;
	groups_read = 0;
	source_answer ans;
	source_lookup(db, &req, &ans);
	assert_int_equal(ans.code, RPC_OK);
	assert_int_equal(reads_groups, 1);
	assert_int_equal(groups_read, 3);
	assert_int_equal(reads_one, 0);
	assert_int_equal(ans.n_parts, 3);
	Hedui__V1__BankLookupResponse *r =
	    (Hedui__V1__BankLookupResponse *)roundtrip(SRCDB_BANK, &ans);
	assert_int_equal(r->n_persons, 4);
	/* The same answers as each household asked alone. */
	for (int i = 0; i < 3; i++) {
		source_answer one;
		ask(db, (const char **)groups[i], counts[i], "2026-11-01",
		    &one);
		assert_int_equal(one.code, RPC_OK);
		Hedui__V1__BankLookupResponse *o =
		    (Hedui__V1__BankLookupResponse *)roundtrip(
		        SRCDB_BANK, &one);
		size_t first = i == 0 ? 0 : i == 1 ? 2 : 3;
		for (size_t k = 0; k < o->n_persons; k++) {
			uint8_t x[2048], y[2048];
			size_t lx =
			    hedui__v1__bank_facts__pack(o->persons[k], x);
			size_t ly = hedui__v1__bank_facts__pack(
			    r->persons[first + k], y);
			assert_int_equal(lx, ly);
			assert_memory_equal(x, y, lx);
		}
		protobuf_c_message_free_unpacked(&o->base, NULL);
		source_answer_free(&one);
	}
	protobuf_c_message_free_unpacked(&r->base, NULL);
	source_answer_free(&ans);
	/* A group of none is refused before anything is read. */
	srcdb_group none = {.ids = a, .n = 0};
	srcdb_result res[1];
	reads_groups = 0;
	assert_int_equal(srcdb_lookup_groups(db, &none, 1, res), HD_EINVAL);
	assert_int_equal(reads_groups, 0);
	srcdb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_found_and_not_found),
	    cmocka_unit_test(test_property_exact),
	    cmocka_unit_test(test_household_of_20),
	    cmocka_unit_test(test_fault_unavailable),
	    cmocka_unit_test(test_fault_timeout),
	    cmocka_unit_test(test_fault_malformed),
	    cmocka_unit_test(test_fault_malformed_other_shapes),
	    cmocka_unit_test(test_bad_requests),
	    cmocka_unit_test(test_chaos),
	    cmocka_unit_test(test_batch_reads_once),
	};
	return cmocka_run_group_tests(tests, stores_setup, stores_teardown);
}
