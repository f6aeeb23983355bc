/* SPDX-License-Identifier: MIT */
/* The fixtures JSON: the example file loads into three stores with exact
 * values and faults; every kind of mistake is refused, naming the person
 * index and the field and never the ID number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "srcdb.h"

static void example_path(char *out, size_t len)
{
	const char *src = getenv("HEDUI_SRC");
	snprintf(out, len, "%s/tests/fixtures/households.json",
	    src != NULL ? src : ".");
}

typedef struct stores {
	srcdb *db[SRCDB_KIND_COUNT];
} stores;

static int stores_setup(void **state)
{
	stores *s = calloc(1, sizeof *s);
	for (int k = 0; k < SRCDB_KIND_COUNT; k++)
		if (srcdb_open(NULL, ":memory:", (srcdb_kind)k,
		        SRCDB_OPEN_CREATE, &s->db[k]) != HD_OK)
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

static srcdb_person *look(srcdb *db, const char *id, srcdb_result *res)
{
	const char *ids[1] = {id};
	assert_int_equal(srcdb_lookup(db, ids, 1, res), HD_OK);
	return &res->persons[0];
}

static void test_example_file(void **state)
{
	stores *s = *state;
	char path[512], err[256];
	size_t count = 0;
	example_path(path, sizeof path);
	assert_int_equal(
	    fixtures_load_file(path, s->db, &count, err, sizeof err), HD_OK);
	assert_int_equal(count, 11);

	srcdb_result res;
	srcdb_person *p = look(s->db[SRCDB_BANK], "330106198003151231", &res);
	assert_true(p->found);
	assert_int_equal(p->facts.bank->n_accounts, 2);
	assert_string_equal(p->facts.bank->accounts[1]->kind, "insurance");
	assert_int_equal(p->facts.bank->accounts[0]->balance_fen, 830000);
	srcdb_result_free(&res);

	p = look(s->db[SRCDB_TAX], "330106198003151231", &res);
	assert_int_equal(p->facts.tax->wage_income_fen, 3600000);
	assert_int_equal(p->facts.tax->excluded_income_fen, 120000);
	assert_int_equal(p->facts.tax->n_businesses, 1);
	assert_int_equal(
	    p->facts.tax->businesses[0]->registered_capital_fen, 5000000);
	assert_string_equal(p->facts.tax->businesses[0]->status, "closed");
	srcdb_result_free(&res);

	/* a business status defaults to active, a share to 10000 */
	p = look(s->db[SRCDB_TAX], "440106197506061511", &res);
	assert_string_equal(p->facts.tax->businesses[1]->status, "active");
	srcdb_result_free(&res);
	p = look(s->db[SRCDB_PROPERTY], "330106195501011318", &res);
	assert_int_equal(p->facts.property->n_real_estate, 3);
	assert_string_equal(
	    p->facts.property->real_estate[2]->usage, "parking");
	assert_int_equal(p->facts.property->real_estate[2]->share_bps, 10000);
	assert_int_equal(
	    p->facts.property->real_estate[2]->area_centi_m2, 1250);
	assert_int_equal(p->facts.property->vehicles[0]->value_fen, 18000000);
	srcdb_result_free(&res);

	/* the child: found by the tax bureau with nothing, unknown to the
	 * bank ("found": false) */
	p = look(s->db[SRCDB_TAX], "330106201009021256", &res);
	assert_true(p->found);
	assert_int_equal(p->facts.tax->wage_income_fen, 0);
	srcdb_result_free(&res);
	p = look(s->db[SRCDB_BANK], "330106201009021256", &res);
	assert_false(p->found);
	srcdb_result_free(&res);

	/* not in the file: not found anywhere */
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		p = look(s->db[k], "110105195001010047", &res);
		assert_false(p->found);
		assert_int_equal(p->fault, SRCDB_FAULT_NONE);
		srcdb_result_free(&res);
	}

	/* faults, each at its own source only */
	p = look(s->db[SRCDB_BANK], "310101197001011710", &res);
	assert_int_equal(p->fault, SRCDB_FAULT_UNAVAILABLE);
	srcdb_result_free(&res);
	p = look(s->db[SRCDB_TAX], "310101197001011710", &res);
	assert_int_equal(p->fault, SRCDB_FAULT_NONE);
	srcdb_result_free(&res);
	p = look(s->db[SRCDB_TAX], "330102199005051815", &res);
	assert_int_equal(p->fault, SRCDB_FAULT_TIMEOUT);
	srcdb_result_free(&res);
	p = look(s->db[SRCDB_PROPERTY], "330102199206061921", &res);
	assert_int_equal(p->fault, SRCDB_FAULT_MALFORMED);
	srcdb_result_free(&res);
	/* a lower-case x in the file is stored upper-case */
	p = look(s->db[SRCDB_BANK], "33010219930707203X", &res);
	assert_int_equal(p->fault, SRCDB_FAULT_MALFORMED);
	srcdb_result_free(&res);
	p = look(s->db[SRCDB_TAX], "33010219930707203X", &res);
	assert_int_equal(p->fault, SRCDB_FAULT_UNAVAILABLE);
	srcdb_result_free(&res);
	p = look(s->db[SRCDB_PROPERTY], "33010219930707203X", &res);
	assert_int_equal(p->fault, SRCDB_FAULT_TIMEOUT);
	srcdb_result_free(&res);
}

static void test_one_store_only(void **state)
{
	(void)state;
	char path[512], err[256];
	example_path(path, sizeof path);
	srcdb *db = NULL;
	size_t count = 0;
	assert_int_equal(fixtures_open_memory(path, SRCDB_PROPERTY, &db,
	                     &count, err, sizeof err),
	    HD_OK);
	assert_int_equal(count, 11);
	long long n = 0;
	assert_int_equal(srcdb_count(db, &n), HD_OK);
	assert_int_equal(n, 11);
	srcdb_close(db);
	/* only checking, no store */
	assert_int_equal(
	    fixtures_load_file(path, NULL, &count, err, sizeof err), HD_OK);
}

static void test_missing_file(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(fixtures_load_file("/nonexistent/f.json", NULL, NULL,
	                     err, sizeof err),
	    HD_EIO);
	assert_non_null(strstr(err, "cannot read"));
}

/* One bad document and what the error must say. */
typedef struct bad_case {
	const char *doc;
	const char *want; /* the whole message */
} bad_case;

#define P(x) "{\"persons\": [" x "]}"
#define OK0 "{\"id_number\": \"11010519491231002X\"}"
#define ID1 "\"id_number\": \"330106198003151231\""

static const bad_case bad_cases[] = {
    {"{\"persons\": [", "line 1 column 13: not valid JSON"},
    {"[]", "the document is not an object"},
    {"{}", "persons: missing or not an array"},
    {"{\"persons\": {}}", "persons: missing or not an array"},
    {"{\"persons\": [], \"people\": []}",
        "unknown top-level field \"people\""},
    {P(OK0 ", 7"), "persons[1].person: not an object"},
    {P("{}"), "persons[0].id_number: missing"},
    {P("{\"id_number\": 110105195001010047}"),
        "persons[0].id_number: not a string"},
    {P("{\"id_number\": \"110105194912310020\"}"),
        "persons[0].id_number: has a wrong check character (GB 11643-1999)"},
    {P(OK0 ", {\"id_number\": \"110105491231002\"}"),
        "persons[1].id_number: is a legacy 15-digit number; give the "
        "18-digit form"},
    {P(OK0 ", {\"id_number\": \"11010519491231002x\"}"),
        "persons[1].id_number: the same as persons[0]'s"},
    {P("{" ID1 ", \"bnak\": {}}"),
        "persons[0].person: unknown field \"bnak\""},
    {P("{" ID1 ", \"330106198003151231\": {}}"),
        "persons[0].person: unknown field"},
    {P("{" ID1 ", \"tax\": []}"), "persons[0].tax: not an object"},
    {P("{" ID1 ", \"tax\": {\"wage_income_fen\": \"100\"}}"),
        "persons[0].tax.wage_income_fen: not an integer"},
    {P("{" ID1 ", \"tax\": {\"wage_income_fen\": 1.5}}"),
        "persons[0].tax.wage_income_fen: not an integer"},
    {P("{" ID1 ", \"tax\": {\"transfer_income_fen\": -1}}"),
        "persons[0].tax.transfer_income_fen: negative"},
    {P("{" ID1 ", \"tax\": {\"wages\": 1}}"),
        "persons[0].tax: unknown field \"wages\""},
    {P("{" ID1 ", \"tax\": {\"businesses\": [{\"status\": \"active\"}]}}"),
        "persons[0].tax.businesses[0].registered_capital_fen: missing"},
    {P("{" ID1 ", \"tax\": {\"businesses\": [{\"registered_capital_fen\": 1,"
       " \"status\": \"bankrupt\"}]}}"),
        "persons[0].tax.businesses[0].status: unknown status"},
    {P("{" ID1 ", \"tax\": {\"businesses\": {}}}"),
        "persons[0].tax.businesses: not an array"},
    {P("{" ID1 ", \"bank\": {\"accounts\": [{\"kind\": \"cash\","
       " \"balance_fen\": 1}]}}"),
        "persons[0].bank.accounts[0].kind: unknown kind"},
    {P("{" ID1 ", \"bank\": {\"accounts\": [{\"kind\": \"deposit\"}]}}"),
        "persons[0].bank.accounts[0].balance_fen: missing"},
    {P("{" ID1 ", \"bank\": {\"accounts\": [{\"kind\": 1,"
       " \"balance_fen\": 1}]}}"),
        "persons[0].bank.accounts[0].kind: not a string"},
    {P("{" ID1 ", \"bank\": {\"accounts\": [3]}}"),
        "persons[0].bank.accounts[0]: not an object"},
    {P("{" ID1 ", \"bank\": {\"found\": \"no\"}}"),
        "persons[0].bank.found: not true or false"},
    {P("{" ID1 ", \"bank\": {\"found\": false, \"accounts\": []}}"),
        "persons[0].bank.accounts: facts given for a person not found"},
    {P("{" ID1 ", \"property\": {\"real_estate\": [{\"usage\": \"garage\","
       " \"area_centi_m2\": 1}]}}"),
        "persons[0].property.real_estate[0].usage: unknown usage"},
    {P("{" ID1 ", \"property\": {\"real_estate\": [{\"usage\": \"office\","
       " \"area_centi_m2\": 1, \"share_bps\": 10001}]}}"),
        "persons[0].property.real_estate[0].share_bps: more than 10000"},
    {P("{" ID1 ", \"property\": {\"real_estate\": [{\"usage\": \"office\"}"
       "]}}"),
        "persons[0].property.real_estate[0].area_centi_m2: missing"},
    {P("{" ID1 ", \"property\": {\"vehicles\": [{\"kind\": \"bicycle\","
       " \"value_fen\": 1}]}}"),
        "persons[0].property.vehicles[0].kind: unknown kind"},
    {P("{" ID1 ", \"property\": {\"vehicles\": [{\"kind\": \"car\","
       " \"value_fen\": -100}]}}"),
        "persons[0].property.vehicles[0].value_fen: negative"},
    {P("{" ID1 ", \"faults\": \"timeout\"}"),
        "persons[0].faults: not an object"},
    {P("{" ID1 ", \"faults\": {\"bank\": \"slow\"}}"),
        "persons[0].faults.bank: not unavailable, timeout or malformed"},
    {P("{" ID1 ", \"faults\": {\"bank\": \"none\"}}"),
        "persons[0].faults.bank: not unavailable, timeout or malformed"},
    {P("{" ID1 ", \"faults\": {\"courts\": \"timeout\"}}"),
        "persons[0].faults: unknown field \"courts\""},
    {P("{" ID1 ", \"faults\": {\"tax\": true}}"),
        "persons[0].faults.tax: not a string"},
    {"{\"persons\": [], \"persons\": []}", NULL}, /* duplicate key */
};

static void test_bad_documents(void **state)
{
	stores *s = *state;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		char err[256] = "";
		size_t count = 99;
		hd_err e = fixtures_load_text(
		    bad_cases[i].doc, s->db, &count, err, sizeof err);
		if (e != HD_EINVAL ||
		    (bad_cases[i].want != NULL &&
		        strcmp(err, bad_cases[i].want) != 0)) {
			print_error("case %zu: got %d \"%s\", want \"%s\"\n",
			    i, e, err, bad_cases[i].want);
			fail();
		}
		assert_int_equal(count, 99);
		/* never an ID number (or any 6+ digit run) in the message */
		int run = 0;
		for (const char *c = err; *c != '\0'; c++) {
			run = (*c >= '0' && *c <= '9') ? run + 1 : 0;
			assert_true(run < 6);
		}
	}
	/* nothing stayed in the stores */
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		long long n = -1;
		assert_int_equal(srcdb_count(s->db[k], &n), HD_OK);
		assert_int_equal(n, 0);
	}
}

/* An error at the last person undoes the persons before it. */
static void test_all_or_nothing(void **state)
{
	stores *s = *state;
	char err[256];
	const char *doc = P(OK0 ", {" ID1 "}, {\"id_number\": \"x\"}");
	assert_int_equal(
	    fixtures_load_text(doc, s->db, NULL, err, sizeof err), HD_EINVAL);
	assert_string_equal(
	    err, "persons[2].id_number: must be 18 characters");
	long long n = -1;
	assert_int_equal(srcdb_count(s->db[SRCDB_BANK], &n), HD_OK);
	assert_int_equal(n, 0);
	/* and the stores can be filled afterwards */
	size_t count = 0;
	assert_int_equal(fixtures_load_text(P(OK0 ", {" ID1 "}"), s->db,
	                     &count, err, sizeof err),
	    HD_OK);
	assert_int_equal(count, 2);
	assert_int_equal(srcdb_count(s->db[SRCDB_TAX], &n), HD_OK);
	assert_int_equal(n, 2);
}

static void test_ignored_fields(void **state)
{
	stores *s = *state;
	char err[256];
	const char *doc =
	    "{\"comment\": \"x\", \"_generator\": 1, \"persons\": "
	    "[{\"id_number\": \"11010519491231002X\", \"name\": "
	    "\"张三\", \"_note\": [1], \"bank\": {\"comment\": "
	    "\"c\", \"found\": false}}]}";
	assert_int_equal(
	    fixtures_load_text(doc, s->db, NULL, err, sizeof err), HD_OK);
}

/* Found by fuzz_fixtures: the stores refusing a person (here one loaded
 * already) failed the load with no reason given. */
static void test_store_refusal_has_reason(void **state)
{
	stores *s = *state;
	char err[256];
	const char *doc = P(OK0);
	assert_int_equal(
	    fixtures_load_text(doc, s->db, NULL, err, sizeof err), HD_OK);
	strcpy(err, "");
	hd_err e = fixtures_load_text(doc, s->db, NULL, err, sizeof err);
	if (e != HD_OK) {
		assert_true(err[0] != '\0');
		assert_non_null(strstr(err, "persons[0]"));
		assert_null(strstr(err, "11010519491231002X"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_example_file, stores_setup, stores_teardown),
	    cmocka_unit_test(test_one_store_only),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test_setup_teardown(
	        test_bad_documents, stores_setup, stores_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_all_or_nothing, stores_setup, stores_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_ignored_fields, stores_setup, stores_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_store_refusal_has_reason, stores_setup, stores_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
