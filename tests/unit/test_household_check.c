/* SPDX-License-Identifier: MIT */
/* docs/RULES.md "Before any source is asked", rule by rule, through
 * household_check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "household.h"

#define TODAY 20261101

/* A household in memory: n members, the first the applicant, all with
 * valid distinct ID numbers and consent. */
typedef struct fixture {
	Hedui__V1__Household h;
	Hedui__V1__Member m[HOUSEHOLD_MAX_MEMBERS + 1];
	Hedui__V1__Member *mp[HOUSEHOLD_MAX_MEMBERS + 1];
	char ids[HOUSEHOLD_MAX_MEMBERS + 1][32];
	household_norm norm;
	household_problem p;
} fixture;

static fixture fx;

/* "330106" + birth date + sequence, with the right check character. */
static void make_id(char *out, const char *birth, int seq)
{
	snprintf(out, 32, "330106%s%03d", birth, seq);
	out[17] = idnum_check_char(out);
	out[18] = '\0';
}

static void fx_init(size_t n)
{
	memset(&fx, 0, sizeof fx);
	hedui__v1__household__init(&fx.h);
	fx.h.case_id = "330106-2026-000123";
	fx.h.request_id = "req-1";
	fx.h.region_code = "330106";
	fx.h.area = "urban";
	fx.h.program = "dibao";
	fx.h.n_members = n;
	fx.h.members = fx.mp;
	for (size_t i = 0; i < n; i++) {
		hedui__v1__member__init(&fx.m[i]);
		make_id(fx.ids[i], "19800101", (int)i + 1);
		fx.m[i].id_number = fx.ids[i];
		fx.m[i].name = "测试";
		fx.m[i].relation = i == 0 ? "applicant" : "child";
		fx.m[i].consent_ref = "SQ-330106-2026-0001";
		fx.mp[i] = &fx.m[i];
	}
}

static bool check(void)
{
	return household_check(&fx.h, TODAY, &fx.norm, &fx.p);
}

/* The check fails with code, naming field, with want in the reason. */
static void expect_problem(rpc_code code, const char *field, const char *want)
{
	if (check()) {
		print_error("passed; wanted %s %s\n", field, want);
		fail();
	}
	if (fx.p.code != code || strcmp(fx.p.field, field) != 0 ||
	    strstr(fx.p.reason, want) == NULL) {
		print_error("got %s: %s %s\nwanted %s: %s ...%s...\n",
		    rpc_code_name(fx.p.code), fx.p.field, fx.p.reason,
		    rpc_code_name(code), field, want);
		fail();
	}
}

#define EXPECT_INVALID(field, want)                                           \
	expect_problem(RPC_INVALID_ARGUMENT, field, want)

static void valid_household(void **state)
{
	(void)state;
	fx_init(3);
	fx.m[1].relation = "spouse";
	assert_true(check());
	assert_int_equal(fx.norm.as_of, TODAY); /* empty as_of: today */
	assert_int_equal(fx.norm.applicant, 0);
	assert_string_equal(fx.norm.ids[2], fx.ids[2]);
	/* Every relation of docs/RULES.md is accepted. */
	static const char *const rel[] = {"spouse", "child", "parent",
	    "sibling", "grandparent", "grandchild", "other"};
	fx_init(8);
	for (int i = 0; i < 7; i++)
		fx.m[i + 1].relation = (char *)rel[i];
	assert_true(check());
	fx.m[3].relation = "cousin";
	EXPECT_INVALID("members[3].relation", "must be applicant");
}

static void member_count(void **state)
{
	(void)state;
	fx_init(0);
	EXPECT_INVALID("members", "1 to 20");
	fx_init(HOUSEHOLD_MAX_MEMBERS);
	assert_true(check());
	fx_init(HOUSEHOLD_MAX_MEMBERS + 1);
	EXPECT_INVALID("members", "1 to 20");
	fx_init(1);
	assert_true(check());
}

static void exactly_one_applicant(void **state)
{
	(void)state;
	fx_init(2);
	fx.m[0].relation = "spouse";
	EXPECT_INVALID("members", "exactly one applicant (found 0)");
	fx_init(3);
	fx.m[2].relation = "applicant";
	EXPECT_INVALID("members", "exactly one applicant (found 2)");
	fx_init(3);
	fx.m[0].relation = "child";
	fx.m[2].relation = "applicant";
	assert_true(check());
	assert_int_equal(fx.norm.applicant, 2);
}

static void no_id_twice(void **state)
{
	(void)state;
	fx_init(3);
	fx.m[2].id_number = fx.ids[0];
	EXPECT_INVALID("members[2].id_number", "repeats members[0].id_number");
	/* Differing only in the case of the check character X. */
	fx_init(2);
	fx.m[0].id_number = "11010519491231002X";
	fx.m[1].id_number = "11010519491231002x";
	EXPECT_INVALID("members[1].id_number", "repeats members[0]");
}

/* Sets member 1's ID number and expects the defect; the reason must not
 * hold the number or its birth date. */
static void expect_id_defect(const char *id, const char *want)
{
	fx_init(2);
	fx.m[1].id_number = (char *)id;
	EXPECT_INVALID("members[1].id_number", want);
	if (strlen(id) >= 14) {
		char birth[9];
		memcpy(birth, id + 6, 8);
		birth[8] = '\0';
		assert_null(strstr(fx.p.reason, birth));
	}
	if (id[0] != '\0')
		assert_null(strstr(fx.p.reason, id));
	assert_null(strstr(fx.p.field, "330106"));
}

static void id_number_defects(void **state)
{
	(void)state;
	char id[32];
	make_id(id, "19800101", 7);
	id[17] = id[17] == '0' ? '1' : '0';
	expect_id_defect(id, "wrong check character");
	expect_id_defect("", "is empty");
	expect_id_defect("330106800101001", "18-digit form");
	make_id(id, "19800101", 7);
	id[17] = '\0';
	expect_id_defect(id, "18 characters");
	make_id(id, "19800101", 7);
	strcat(id, "1");
	expect_id_defect(id, "18 characters");
	expect_id_defect("3301061980010100AX", "17 ASCII digits");
	expect_id_defect("33010619800101001Y", "17 ASCII digits");
	make_id(id, "19810230", 7); /* 30 February */
	expect_id_defect(id, "not a calendar date");
	make_id(id, "19000229", 7); /* 1900 was not a leap year */
	expect_id_defect(id, "not a calendar date");
	make_id(id, "20261102", 7); /* born the day after as_of */
	expect_id_defect(id, "after the assessment date");
	/* Full-width digits look right on screen but are not ASCII. */
	expect_id_defect(
	    "３３０１０６１９８００１０１００１", "18 characters");
	/* One full-width "３" (3 bytes) for "3": 20 bytes, or 18 bytes when
	 * it replaces three digits. */
	char fw[64];
	make_id(id, "19800101", 7);
	snprintf(fw, sizeof fw, "\xef\xbc\x93%s", id + 1);
	expect_id_defect(fw, "18 characters");
	snprintf(fw, sizeof fw, "\xef\xbc\x93%s", id + 3);
	expect_id_defect(fw, "17 ASCII digits");
}

static void lower_case_x_accepted(void **state)
{
	(void)state;
	fx_init(2);
	fx.m[1].id_number = "11010519491231002x";
	assert_true(check());
	assert_string_equal(fx.norm.ids[1], "11010519491231002X");
	/* Born on as_of itself is fine. */
	char id[32];
	make_id(id, "20261101", 7);
	fx_init(2);
	fx.m[1].id_number = id;
	assert_true(check());
}

static void region_area_program(void **state)
{
	(void)state;
	static const char *const bad_regions[] = {
	    "33010", "3301060", "33a106", "", "３30106"};
	for (size_t i = 0; i < 5; i++) {
		fx_init(1);
		fx.h.region_code = (char *)bad_regions[i];
		EXPECT_INVALID("region_code", "6 digits");
	}
	fx_init(1);
	fx.h.area = "city";
	EXPECT_INVALID("area", "urban or rural");
	fx.h.area = "rural";
	assert_true(check());
	fx.h.program = "dibao2";
	EXPECT_INVALID("program", "dibao, marginal, tekun or hardship");
	fx.h.program = "";
	EXPECT_INVALID("program", "dibao, marginal");
	static const char *const programs[] = {
	    "dibao", "marginal", "tekun", "hardship"};
	for (size_t i = 0; i < 4; i++) {
		fx.h.program = (char *)programs[i];
		assert_true(check());
	}
}

static void tekun_has_one_member(void **state)
{
	(void)state;
	fx_init(2);
	fx.h.program = "tekun";
	EXPECT_INVALID("members", "exactly one member");
	fx_init(1);
	fx.h.program = "tekun";
	assert_true(check());
}

static void amounts_not_negative(void **state)
{
	(void)state;
	fx_init(1);
	fx.h.monthly_rigid_expense_fen = -1;
	EXPECT_INVALID("monthly_rigid_expense_fen", "must not be negative");
	fx.h.monthly_rigid_expense_fen = 0;
	assert_true(check());
	fx.h.monthly_rigid_expense_fen = 500000;
	assert_true(check());
}

static void as_of(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "2026-02-30", "2026/11/01", "20261101", "2026-1-1", "yesterday"};
	for (size_t i = 0; i < 5; i++) {
		fx_init(1);
		fx.h.as_of = (char *)bad[i];
		EXPECT_INVALID("as_of", "real date YYYY-MM-DD");
	}
	fx.h.as_of = "2026-11-02";
	EXPECT_INVALID("as_of", "must not be after today");
	fx.h.as_of = "2026-11-01";
	assert_true(check());
	assert_int_equal(fx.norm.as_of, 20261101);
	/* A birth date is judged against as_of, not today. */
	char id[32];
	make_id(id, "20250601", 7);
	fx_init(2);
	fx.m[1].id_number = id;
	fx.h.as_of = "2025-05-31";
	EXPECT_INVALID("members[1].id_number", "after the assessment date");
}

static void case_and_request_ids(void **state)
{
	(void)state;
	fx_init(1);
	fx.h.case_id = "";
	EXPECT_INVALID("case_id", "is required");
	fx.h.case_id = "a\nb";
	EXPECT_INVALID("case_id", "printable");
	fx_init(1);
	fx.h.request_id = "a\tb";
	EXPECT_INVALID("request_id", "printable");
}

static void consent_required(void **state)
{
	(void)state;
	fx_init(3);
	fx.m[1].consent_ref = "";
	expect_problem(
	    RPC_FAILED_PRECONDITION, "members[1].consent_ref", "is missing");
	/* Missing consent is only reported for an otherwise valid request:
	 * a malformed one is INVALID_ARGUMENT first. */
	fx.h.area = "city";
	EXPECT_INVALID("area", "urban or rural");
	fx_init(1);
	fx.m[0].consent_ref = "";
	expect_problem(RPC_FAILED_PRECONDITION, "members[0].consent_ref",
	    "authorisation");
}

static void problem_format(void **state)
{
	(void)state;
	fx_init(2);
	fx.m[1].id_number = "330106198001010010";
	assert_false(check());
	char msg[256];
	household_problem_format(&fx.p, msg, sizeof msg);
	assert_string_equal(msg, "members[1].id_number has a wrong check "
	                         "character (GB 11643-1999)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(valid_household),
	    cmocka_unit_test(member_count),
	    cmocka_unit_test(exactly_one_applicant),
	    cmocka_unit_test(no_id_twice),
	    cmocka_unit_test(id_number_defects),
	    cmocka_unit_test(lower_case_x_accepted),
	    cmocka_unit_test(region_area_program),
	    cmocka_unit_test(tekun_has_one_member),
	    cmocka_unit_test(amounts_not_negative),
	    cmocka_unit_test(as_of),
	    cmocka_unit_test(case_and_request_ids),
	    cmocka_unit_test(consent_required),
	    cmocka_unit_test(problem_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
