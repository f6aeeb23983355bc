/* SPDX-License-Identifier: MIT */
/*
 * The worked examples of docs/RULES.md, figure by figure: each household
 * there is evaluated here with the parameters the document says apply, and
 * every number and reason detail it quotes is checked. A change of a rule
 * that makes the document wrong fails this test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/policy_fixture.h"
#include "policy.h"

static policy_verdict v;

/* The parameters for a region and date from the shipped example file. */
static void shipped(const char *region, idnum_date as_of, policy_params *p)
{
	const char *src = getenv("HEDUI_SRC");
	char path[1024], err[512] = "";
	policy_book *b = NULL;
	snprintf(path, sizeof path, "%s/etc/policy.json", src ? src : ".");
	assert_int_equal(policy_book_load(path, &b, err, sizeof err), HD_OK);
	assert_int_equal(
	    policy_book_resolve(b, region, as_of, p, NULL), HD_OK);
	policy_book_free(b);
}

/* Example 1: a family of three in Hangzhou, 低保, meets. */
static void example_1_dibao_hangzhou(void **state)
{
	(void)state;
	policy_params p;
	shipped("330106", 20261101, &p);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 130000);
	assert_int_equal(p.max_residential_area_per_capita_centi_m2, 4000);

	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 3);
	fx_wage(h, 0, 3600000); /* 3,000 yuan a month in wages */
	fx_income(h, 1, 20000); /* 200 yuan a month transfers */
	fx_account(h, 0, POLICY_ACCOUNT_DEPOSIT, 5000000);
	fx_estate(h, 0, POLICY_USAGE_RESIDENTIAL, 9000, 10000);
	fx_vehicle(h, 1, POLICY_VEHICLE_ELECTRIC_BIKE, 250000);
	fx_eval(&p, h, &v);
	assert_int_equal(v.member_income_fen[0], 250000);
	assert_int_equal(v.member_income_fen[1], 20000);
	assert_int_equal(v.member_income_fen[2], 0);
	assert_int_equal(v.monthly_income_fen, 270000);
	assert_int_equal(v.per_capita_monthly_income_fen, 90000);
	assert_int_equal(v.standard_fen, 130000);
	assert_int_equal(v.marginal_fen, 195000);
	assert_int_equal(v.financial_assets_fen, 5000000);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	assert_int_equal(v.category, POLICY_CATEGORY_DIBAO);
	assert_int_equal(v.estimated_monthly_benefit_fen, 120000);
	assert_int_equal(v.n_reasons, 0);

	/* The same household when the bank did not answer for the child. */
	fx_lookup(h, 2, POLICY_SOURCE_BANK, POLICY_LOOKUP_FAILED);
	fx_eval(&p, h, &v);
	assert_int_equal(v.conclusion, POLICY_NEEDS_REVIEW);
	assert_int_equal(v.category, POLICY_CATEGORY_NONE);
	assert_int_equal(v.estimated_monthly_benefit_fen, 0);
	assert_string_equal(fx_codes(&v), "SOURCE_UNAVAILABLE");
	char want[96], masked[IDNUM_MASKED_LEN + 1];
	idnum_mask(h->members[2].id_number, masked);
	snprintf(
	    want, sizeof want, "bank lookup failed for member 2 (%s)", masked);
	assert_string_equal(v.reasons[0].detail, want);
	assert_int_equal(
	    v.sources[POLICY_SOURCE_BANK].status, POLICY_SOURCE_PARTIAL);
	fx_free(h);
}

/* Example 2: Beijing before and after 2024-07-01. */
static void example_2_beijing_dates(void **state)
{
	(void)state;
	policy_params p;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	memcpy(h->region_code, "110105", 7);
	fx_income(h, 0, 142000);

	h->as_of = 20240630;
	shipped("110105", h->as_of, &p);
	fx_eval(&p, h, &v);
	assert_int_equal(v.standard_fen, 139500);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	assert_string_equal(fx_codes(&v), "INCOME_ABOVE_STANDARD");
	assert_string_equal(v.reasons[0].detail, "P=142000 >= S=139500 fen");

	h->as_of = 20240701;
	shipped("110105", h->as_of, &p);
	fx_eval(&p, h, &v);
	assert_int_equal(v.standard_fen, 145000);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	assert_int_equal(v.category, POLICY_CATEGORY_DIBAO);
	assert_int_equal(v.estimated_monthly_benefit_fen, 3000);

	h->as_of = 20230630; /* before any Beijing set: the default */
	shipped("110105", h->as_of, &p);
	fx_eval(&p, h, &v);
	assert_int_equal(v.standard_fen, 100000);
	fx_free(h);
}

/* Example 3: savings and a car, national defaults; then the tax source
 * fails too. */
static void example_3_assets(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 2);
	fx_account(h, 0, POLICY_ACCOUNT_DEPOSIT, 3000000);
	fx_account(h, 1, POLICY_ACCOUNT_WEALTH, 2000000);
	fx_vehicle(h, 0, POLICY_VEHICLE_CAR, 3000000);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.per_capita_monthly_income_fen, 0);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	assert_string_equal(
	    fx_codes(&v), "FINANCIAL_ASSETS_OVER_LIMIT,VEHICLE_NOT_EXEMPT");
	assert_string_equal(v.reasons[0].detail,
	    "F/n=2500000 > 24 months x S=100000 = 2400000 fen "
	    "(F=5000000, n=2)");
	assert_string_equal(v.reasons[1].detail,
	    "non-exempt vehicles=1, largest value=3000000 fen, "
	    "vehicle_value_cap=0 fen");

	fx_lookup(h, 1, POLICY_SOURCE_TAX, POLICY_LOOKUP_FAILED);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	assert_string_equal(fx_codes(&v),
	    "FINANCIAL_ASSETS_OVER_LIMIT,VEHICLE_NOT_EXEMPT,"
	    "SOURCE_INCOMPLETE");
	assert_string_equal(v.reasons[2].detail,
	    "1 lookup(s) failed; their facts count as zero here");
	fx_free(h);
}

/* Example 4: 渐退 and 单人户 between S and M, national defaults. */
static void example_4_between_s_and_m(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	h->currently_enrolled = true;
	fx_income(h, 0, 120000);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.marginal_fen, 150000);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	assert_int_equal(v.category, POLICY_CATEGORY_GRADUAL_EXIT);
	assert_int_equal(v.gradual_exit_months, 6);
	assert_int_equal(v.estimated_monthly_benefit_fen, 0);
	fx_free(h);

	h = fx_household(POLICY_PROGRAM_DIBAO, 2);
	fx_income(h, 0, 260000);
	fx_income(h, 1, 12345);
	h->members[1].severe_illness = true;
	fx_eval(NULL, h, &v);
	assert_int_equal(v.monthly_income_fen, 272345);
	assert_int_equal(v.per_capita_monthly_income_fen, 136172);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	assert_int_equal(v.category, POLICY_CATEGORY_SINGLE_PERSON);
	assert_int_equal(v.n_single_person, 1);
	assert_int_equal(v.single_person[0], 1);
	assert_int_equal(v.single_person_benefit_fen[0], 87700);
	assert_int_equal(v.estimated_monthly_benefit_fen, 87700);

	/* Not ill: nobody qualifies alone; P >= S fails */
	h->members[1].severe_illness = false;
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	assert_string_equal(v.reasons[0].detail, "P=136172 >= S=100000 fen");
	fx_free(h);
}

/* Example 5: 特困 and 刚性支出困难, national defaults. */
static void example_5_tekun_hardship(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_TEKUN, 1);
	fx_id(h->members[0].id_number, 19560315, 11); /* 70 on 2026-11-01 */
	fx_income(h, 0, 30000);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	assert_int_equal(v.category, POLICY_CATEGORY_TEKUN);
	assert_int_equal(v.estimated_monthly_benefit_fen, 100000);
	/* at 45, able to work, with a supporter */
	fx_id(h->members[0].id_number, 19810315, 11);
	h->members[0].has_able_supporter = true;
	fx_eval(NULL, h, &v);
	assert_string_equal(
	    fx_codes(&v), "HAS_LABOR_CAPACITY,HAS_ABLE_SUPPORTER");
	assert_string_equal(
	    v.reasons[0].detail, "age=45 (16 to 59) and no severe disability");
	fx_free(h);

	h = fx_household(POLICY_PROGRAM_HARDSHIP, 3);
	fx_income(h, 0, 600000);
	h->monthly_rigid_expense_fen = 350000;
	fx_eval(NULL, h, &v);
	assert_int_equal(v.per_capita_monthly_income_fen, 200000);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	assert_int_equal(v.category, POLICY_CATEGORY_HARDSHIP);
	assert_int_equal(v.estimated_monthly_benefit_fen, 0);
	h->monthly_rigid_expense_fen = 290000;
	fx_eval(NULL, h, &v);
	assert_string_equal(fx_codes(&v), "RIGID_EXPENSE_BELOW_SHARE");
	assert_string_equal(v.reasons[0].detail,
	    "rigid expense=290000 fen; needs > 0 and x 10000 >= H=600000 "
	    "fen x 5000 bps");
	fx_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(example_1_dibao_hangzhou),
	    cmocka_unit_test(example_2_beijing_dates),
	    cmocka_unit_test(example_3_assets),
	    cmocka_unit_test(example_4_between_s_and_m),
	    cmocka_unit_test(example_5_tekun_hardship),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
