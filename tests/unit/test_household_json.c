/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "household.h"
#include "household_json.h"

#define TODAY 20261123

/* docs/RULES.md's example, verbatim. */
static const char contract_example[] =
    "{\n"
    "  \"case_id\": \"330106-2026-000123\",\n"
    "  \"request_id\": \"optional; a retry with the same id returns the "
    "same report\",\n"
    "  \"region_code\": \"330106\",\n"
    "  \"area\": \"urban\",\n"
    "  \"program\": \"dibao\",\n"
    "  \"as_of\": \"2026-11-01\",\n"
    "  \"currently_enrolled\": false,\n"
    "  \"monthly_rigid_expense_fen\": 0,\n"
    "  \"members\": [\n"
    "    {\n"
    "      \"id_number\": \"11010519491231002X\",\n"
    "      \"name\": \"张三\",\n"
    "      \"relation\": \"applicant\",\n"
    "      \"consent_ref\": \"SQ-330106-2026-0001\",\n"
    "      \"severe_disability\": false,\n"
    "      \"severe_illness\": false,\n"
    "      \"has_able_supporter\": true\n"
    "    }\n"
    "  ]\n"
    "}\n";

/* The smallest valid household: everything else takes its default. */
#define MINIMAL_HEAD                                                          \
	"{\"case_id\": \"c-1\", \"region_code\": \"330106\", "                \
	"\"area\": \"urban\", \"program\": \"dibao\", "
#define MEMBER0                                                               \
	"{\"id_number\": \"11010519491231002X\", \"relation\": "              \
	"\"applicant\", \"consent_ref\": \"SQ-1\"}"

static Hedui__V1__Household *parse(const char *text, household_json_result *r)
{
	return household_json_parse(text, strlen(text), r);
}

/* Parsing fails and the message contains want. */
static void expect_error(const char *text, const char *want)
{
	household_json_result r;
	Hedui__V1__Household *h = parse(text, &r);
	if (h != NULL || strstr(r.error, want) == NULL) {
		print_error("input: %s\nerror: \"%s\"\nwanted: \"%s\"\n", text,
		    r.error, want);
		household_json_free(h);
		fail();
	}
}

static void contract_example_parses(void **state)
{
	(void)state;
	household_json_result r;
	Hedui__V1__Household *h = parse(contract_example, &r);
	assert_non_null(h);
	assert_string_equal(r.error, "");
	assert_false(r.request_id_made);
	assert_string_equal(h->case_id, "330106-2026-000123");
	assert_string_equal(h->request_id,
	    "optional; a retry with the same id returns the same report");
	assert_string_equal(h->region_code, "330106");
	assert_string_equal(h->area, "urban");
	assert_string_equal(h->program, "dibao");
	assert_string_equal(h->as_of, "2026-11-01");
	assert_false(h->currently_enrolled);
	assert_int_equal(h->monthly_rigid_expense_fen, 0);
	assert_int_equal(h->n_members, 1);
	const Hedui__V1__Member *m = h->members[0];
	assert_string_equal(m->id_number, "11010519491231002X");
	assert_string_equal(m->name, "张三");
	assert_string_equal(m->relation, "applicant");
	assert_string_equal(m->consent_ref, "SQ-330106-2026-0001");
	assert_false(m->severe_disability);
	assert_false(m->severe_illness);
	assert_true(m->has_able_supporter);
	household_norm norm;
	household_problem p;
	assert_true(household_check(h, TODAY, &norm, &p));
	household_json_free(h);
}

static void defaults(void **state)
{
	(void)state;
	household_json_result r;
	Hedui__V1__Household *h =
	    parse(MINIMAL_HEAD "\"members\": [" MEMBER0 "]}", &r);
	assert_non_null(h);
	assert_false(h->currently_enrolled);
	assert_int_equal(h->monthly_rigid_expense_fen, 0);
	assert_string_equal(h->as_of, "");
	assert_string_equal(h->members[0]->name, "");
	assert_false(h->members[0]->severe_disability);
	assert_false(h->members[0]->severe_illness);
	assert_false(h->members[0]->has_able_supporter);
	/* A fresh request id: 32 lower-case hex characters. */
	assert_true(r.request_id_made);
	assert_int_equal(strlen(h->request_id), 32);
	assert_int_equal(strspn(h->request_id, "0123456789abcdef"), 32);
	household_json_result r2;
	Hedui__V1__Household *h2 =
	    parse(MINIMAL_HEAD "\"request_id\": \"\", "
	                       "\"members\": [" MEMBER0 "]}",
	        &r2);
	assert_non_null(h2);
	assert_true(r2.request_id_made);
	assert_int_equal(strlen(h2->request_id), 32);
	assert_string_not_equal(h->request_id, h2->request_id);
	household_norm norm;
	household_problem p;
	assert_true(household_check(h, TODAY, &norm, &p));
	assert_int_equal(norm.as_of, TODAY);
	household_json_free(h);
	household_json_free(h2);
}

static void values_are_read(void **state)
{
	(void)state;
	household_json_result r;
	Hedui__V1__Household *h = parse(MINIMAL_HEAD
	    "\"currently_enrolled\": true, \"monthly_rigid_expense_fen\": "
	    "123456789012, \"members\": [" MEMBER0 ", {\"severe_illness\": "
	    "true, \"severe_disability\": true, \"has_able_supporter\": "
	    "true}]}",
	    &r);
	assert_non_null(h);
	assert_true(h->currently_enrolled);
	assert_int_equal(h->monthly_rigid_expense_fen, 123456789012LL);
	assert_int_equal(h->n_members, 2);
	assert_true(h->members[1]->severe_illness);
	assert_true(h->members[1]->severe_disability);
	assert_true(h->members[1]->has_able_supporter);
	household_json_free(h);
}

static void not_json(void **state)
{
	(void)state;
	household_json_result r;
	assert_null(parse("", &r));
	assert_non_null(strstr(r.error, "invalid JSON"));
	assert_null(parse("{\n  \"case_id\": \"x\",\n  oops\n}", &r));
	assert_int_equal(r.line, 3);
	assert_true(r.column > 0);
	assert_non_null(strstr(r.error, "line 3, column"));
	/* Jansson would quote the bad token; an ID number must not leak. */
	assert_null(parse("{\"members\": [{\"id_number\": "
	                  "11010519491231002X}]}",
	    &r));
	assert_null(strstr(r.error, "1101051949"));
	assert_null(strstr(r.error, "near"));
	expect_error("{\"case_id\": \"a\", \"case_id\": \"b\"}", "duplicate");
	expect_error("{\"name\": \"\xe5\xbc\"}", "invalid JSON");
	expect_error("{\"case_id\": \"a\\u0000b\"}", "invalid JSON");
}

static void not_an_object(void **state)
{
	(void)state;
	expect_error("[1, 2]", "must be a JSON object");
	expect_error("\"text\"", "invalid JSON");
}

static void unknown_fields(void **state)
{
	(void)state;
	expect_error(MINIMAL_HEAD "\"members\": [" MEMBER0
	                          "], \"case_idd\": \"x\"}",
	    "case_idd is not a known field (did you mean case_id?)");
	expect_error(MINIMAL_HEAD "\"members\": [" MEMBER0
	                          ", {\"sever_disability\": true}]}",
	    "members[1].sever_disability is not a known field (did you "
	    "mean severe_disability?)");
	expect_error(MINIMAL_HEAD "\"members\": [" MEMBER0 "], \"zzz\": 1}",
	    "zzz is not a known field");
	/* A key that may be personal data is not echoed. */
	household_json_result r;
	assert_null(parse("{\"11010519491231002X\": true}", &r));
	assert_null(strstr(r.error, "1101051949"));
	assert_non_null(strstr(r.error, "not part of the format"));
	assert_null(parse("{\"members\": [{\"张三\": 1}]}", &r));
	assert_null(strstr(r.error, "张三"));
	assert_non_null(strstr(r.error, "members[0] has a field"));
}

static void wrong_types(void **state)
{
	(void)state;
	expect_error(MINIMAL_HEAD "\"members\": [" MEMBER0
	                          ", {\"severe_illness\": \"yes\"}]}",
	    "members[1].severe_illness must be true or false");
	expect_error(MINIMAL_HEAD
	    "\"currently_enrolled\": 1, \"members\": []}",
	    "currently_enrolled must be true or false");
	expect_error(MINIMAL_HEAD "\"currently_enrolled\": null}",
	    "currently_enrolled must be true or false");
	expect_error("{\"case_id\": 123}", "case_id must be text in quotes");
	expect_error("{\"members\": [{\"has_able_supporter\": 0}]}",
	    "members[0].has_able_supporter must be true or false");
	expect_error(MINIMAL_HEAD "\"monthly_rigid_expense_fen\": \"100\"}",
	    "monthly_rigid_expense_fen must be a whole number of fen");
	expect_error("{\"members\": {}}", "members must be a list");
	expect_error("{\"members\": [\"x\"]}", "members[0] must be an object");
	/* An ID number without quotes: named, not echoed. */
	household_json_result r;
	assert_null(parse("{\"members\": [{\"id_number\": "
	                  "110105194912310021}]}",
	    &r));
	assert_string_equal(r.error, "members[0].id_number must be text in "
	                             "quotes");
}

static void amounts_are_whole_fen(void **state)
{
	(void)state;
	expect_error(MINIMAL_HEAD "\"monthly_rigid_expense_fen\": 1.5}",
	    "monthly_rigid_expense_fen must be a whole number of fen (1 yuan "
	    "= 100 fen), not a decimal");
	expect_error(MINIMAL_HEAD "\"monthly_rigid_expense_fen\": 100.0}",
	    "not a decimal");
	expect_error(MINIMAL_HEAD "\"monthly_rigid_expense_fen\": 1e3}",
	    "not a decimal");
	expect_error(MINIMAL_HEAD "\"monthly_rigid_expense_fen\": "
	                          "99999999999999999999}",
	    "invalid JSON");
}

static void negative_amount_is_household_checks_job(void **state)
{
	(void)state;
	household_json_result r;
	Hedui__V1__Household *h = parse(MINIMAL_HEAD
	    "\"monthly_rigid_expense_fen\": -100, \"members\": [" MEMBER0 "]}",
	    &r);
	assert_non_null(h);
	assert_int_equal(h->monthly_rigid_expense_fen, -100);
	household_norm norm;
	household_problem p;
	assert_false(household_check(h, TODAY, &norm, &p));
	assert_string_equal(p.field, "monthly_rigid_expense_fen");
	household_json_free(h);
}

static void members_required(void **state)
{
	(void)state;
	expect_error(MINIMAL_HEAD "\"as_of\": \"\"}", "members is required");
	/* An empty list parses; household_check says how many are needed. */
	household_json_result r;
	Hedui__V1__Household *h = parse(MINIMAL_HEAD "\"members\": []}", &r);
	assert_non_null(h);
	household_norm norm;
	household_problem p;
	assert_false(household_check(h, TODAY, &norm, &p));
	assert_string_equal(p.field, "members");
	household_json_free(h);
}

/* A file of exactly size bytes: the minimal household padded with
 * spaces (valid JSON whatever the padding). */
static FILE *padded_file(size_t size)
{
	const char *body = MINIMAL_HEAD "\"members\": [" MEMBER0 "]}";
	FILE *f = tmpfile();
	assert_non_null(f);
	fputs(body, f);
	for (size_t n = strlen(body); n < size; n++)
		fputc(' ', f);
	rewind(f);
	return f;
}

static void size_limit(void **state)
{
	(void)state;
	household_json_result r;
	FILE *f = padded_file(HOUSEHOLD_JSON_MAX_BYTES);
	Hedui__V1__Household *h = household_json_read(f, &r);
	assert_non_null(h);
	household_json_free(h);
	fclose(f);
	f = padded_file(HOUSEHOLD_JSON_MAX_BYTES + 1);
	assert_null(household_json_read(f, &r));
	assert_non_null(strstr(r.error, "larger than"));
	fclose(f);
}

static void files_and_stdin(void **state)
{
	(void)state;
	household_json_result r;
	assert_null(household_json_load("/nonexistent/household.json", &r));
	assert_non_null(strstr(r.error, "cannot open"));

	char path[] = "/tmp/hedui-test-household-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("\xef\xbb\xbf", f); /* a byte-order mark is tolerated */
	fputs(contract_example, f);
	fclose(f);
	Hedui__V1__Household *h = household_json_load(path, &r);
	assert_non_null(h);
	assert_string_equal(h->case_id, "330106-2026-000123");
	household_json_free(h);

	assert_non_null(freopen(path, "r", stdin));
	h = household_json_load("-", &r);
	assert_non_null(h);
	assert_string_equal(h->members[0]->consent_ref, "SQ-330106-2026-0001");
	household_json_free(h);
	unlink(path);
}

static void example_file_is_valid(void **state)
{
	(void)state;
	const char *src = getenv("HEDUI_SRC");
	char path[512];
	snprintf(path, sizeof path, "%s/examples/household-dibao.json",
	    src != NULL ? src : ".");
	household_json_result r;
	Hedui__V1__Household *h = household_json_load(path, &r);
	if (h == NULL)
		print_error("%s: %s\n", path, r.error);
	assert_non_null(h);
	household_norm norm;
	household_problem p;
	assert_true(household_check(h, TODAY, &norm, &p));
	assert_int_equal(h->n_members, 3);
	household_json_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(contract_example_parses),
	    cmocka_unit_test(defaults),
	    cmocka_unit_test(values_are_read),
	    cmocka_unit_test(not_json),
	    cmocka_unit_test(not_an_object),
	    cmocka_unit_test(unknown_fields),
	    cmocka_unit_test(wrong_types),
	    cmocka_unit_test(amounts_are_whole_fen),
	    cmocka_unit_test(negative_amount_is_household_checks_job),
	    cmocka_unit_test(members_required),
	    cmocka_unit_test(size_limit),
	    cmocka_unit_test(files_and_stdin),
	    cmocka_unit_test(example_file_is_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
