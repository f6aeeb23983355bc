/* SPDX-License-Identifier: MIT */
/* Programs and categories: dibao (with gradual exit and single person),
 * marginal, tekun, hardship, and their benefits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../support/policy_fixture.h"
#include "policy.h"

static policy_verdict v;

static void expect(policy_conclusion c, policy_category cat, int64_t benefit,
    const char *codes)
{
	assert_string_equal(fx_codes(&v), codes);
	assert_int_equal(v.conclusion, c);
	assert_int_equal(v.category, cat);
	assert_int_equal(v.estimated_monthly_benefit_fen, benefit);
}

static void test_dibao_gradual_exit(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	h->currently_enrolled = true;
	fx_income(h, 0, 149999); /* S <= P < M */
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_GRADUAL_EXIT, 0, "");
	assert_int_equal(v.gradual_exit_months, 6);

	fx_income(h, 0, 150000); /* P == M */
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "INCOME_ABOVE_STANDARD");
	assert_string_equal(v.reasons[0].detail, "P=150000 >= S=100000 fen");
	assert_int_equal(v.gradual_exit_months, 0);

	h->currently_enrolled = false;
	fx_income(h, 0, 100000);
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "INCOME_ABOVE_STANDARD");

	/* assets must pass for gradual exit too */
	h->currently_enrolled = true;
	fx_vehicle(h, 0, POLICY_VEHICLE_CAR, 1);
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "INCOME_ABOVE_STANDARD,VEHICLE_NOT_EXEMPT");
	fx_free(h);
}

static void test_dibao_single_person(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 4);
	fx_income(h, 0, 300000);
	h->members[0].severe_illness = true; /* I >= S: not named */
	fx_income(h, 1, 87655);
	h->members[1].severe_disability = true;
	h->members[2].severe_illness = true; /* I = 0 */
	fx_income(h, 3, 130000);
	h->members[3].severe_disability = true; /* I >= S: not named */
	/* H = 517655, P = 129413: S <= P < M */
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_SINGLE_PERSON, 112400, "");
	assert_int_equal(v.per_capita_monthly_income_fen, 129413);
	assert_int_equal(v.n_single_person, 2);
	assert_int_equal(v.single_person[0], 1);
	assert_int_equal(v.single_person[1], 2);
	assert_int_equal(v.single_person_benefit_fen[0], 12400);
	assert_int_equal(v.single_person_benefit_fen[1], 100000);

	fx_income(h, 3, 100000); /* I == S: still not named */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.n_single_person, 2);

	/* gradual exit comes first */
	h->currently_enrolled = true;
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_GRADUAL_EXIT, 0, "");
	assert_int_equal(v.n_single_person, 0);

	/* P >= M: nobody is named */
	h->currently_enrolled = false;
	fx_income(h, 0, 600000 - 87655 + 1);
	fx_income(h, 3, 0);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.per_capita_monthly_income_fen, 150000);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "INCOME_ABOVE_STANDARD");
	assert_int_equal(v.n_single_person, 0);
	fx_free(h);
}

static void test_dibao_asset_only_reason(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	fx_income(h, 0, 99999);
	fx_vehicle(h, 0, POLICY_VEHICLE_TRUCK, 10);
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "VEHICLE_NOT_EXEMPT");
	fx_free(h);
}

static void test_marginal(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_MARGINAL, 2);
	fx_income(h, 0, 150000); /* P = 75000 < S: category dibao */
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_DIBAO, 50000, "");

	fx_income(h, 0, 299999); /* P = 149999 */
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_MARGINAL, 0, "");

	fx_income(h, 0, 300000); /* P == M */
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "INCOME_ABOVE_MARGINAL");
	assert_string_equal(v.reasons[0].detail, "P=150000 >= M=150000 fen");

	policy_params p;
	policy_params_defaults(&p);
	p.marginal_bps = 20000;
	fx_eval(&p, h, &v);
	assert_int_equal(v.marginal_fen, 200000);
	expect(POLICY_MEETS, POLICY_CATEGORY_MARGINAL, 0, "");

	fx_account(h, 1, POLICY_ACCOUNT_DEPOSIT, 4800002);
	fx_eval(&p, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "FINANCIAL_ASSETS_OVER_LIMIT");
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "INCOME_ABOVE_MARGINAL,FINANCIAL_ASSETS_OVER_LIMIT");
	fx_free(h);
}

static policy_household *tekun(idnum_date birth, idnum_date as_of)
{
	policy_household *h = fx_household(POLICY_PROGRAM_TEKUN, 1);
	fx_id(h->members[0].id_number, birth, 31);
	h->as_of = as_of;
	return h;
}

static void test_tekun_age(void **state)
{
	(void)state;
	/* 60 on the birthday: no labour capacity */
	policy_household *h = tekun(19661101, 20261101);
	fx_income(h, 0, 17655);
	fx_eval(NULL, h, &v);
	/* floor(100000 x 13000 / 10000) - 17655 = 112345, up to 112400 */
	expect(POLICY_MEETS, POLICY_CATEGORY_TEKUN, 112400, "");
	h->as_of = 20261031; /* the day before: 59 */
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "HAS_LABOR_CAPACITY");
	assert_string_equal(
	    v.reasons[0].detail, "age=59 (16 to 59) and no severe disability");
	h->members[0].severe_illness = true; /* illness is not enough */
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "HAS_LABOR_CAPACITY");
	h->members[0].severe_disability = true;
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_TEKUN, 112400, "");
	fx_free(h);

	/* 16 on the birthday: labour capacity; the day before: 15 */
	h = tekun(20101101, 20261101);
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "HAS_LABOR_CAPACITY");
	assert_string_equal(
	    v.reasons[0].detail, "age=16 (16 to 59) and no severe disability");
	h->as_of = 20261031;
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_TEKUN, 130000, "");
	fx_free(h);
}

static void test_tekun_supporter_income_and_all(void **state)
{
	(void)state;
	policy_household *h = tekun(19500101, FX_AS_OF);
	h->members[0].has_able_supporter = true;
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "HAS_ABLE_SUPPORTER");
	h->members[0].has_able_supporter = false;

	fx_income(h, 0, 100000); /* I == S */
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "INCOME_ABOVE_STANDARD");
	assert_string_equal(v.reasons[0].detail, "I=100000 >= S=100000 fen");
	fx_income(h, 0, 99999);
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_TEKUN, 30100, "");

	/* a tekun_bps below 10000: the benefit clamps at 0, it still meets */
	policy_params p;
	policy_params_defaults(&p);
	p.tekun_bps = 5000;
	fx_eval(&p, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_TEKUN, 0, "");
	fx_free(h);

	h = tekun(19800101, FX_AS_OF);
	h->members[0].has_able_supporter = true;
	fx_income(h, 0, 200000);
	fx_vehicle(h, 0, POLICY_VEHICLE_CAR, 1);
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "HAS_LABOR_CAPACITY,HAS_ABLE_SUPPORTER,INCOME_ABOVE_STANDARD,"
	    "VEHICLE_NOT_EXEMPT");
	fx_free(h);
}

static void test_tekun_needs_one_member(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_TEKUN, 2);
	policy_params p;
	policy_params_defaults(&p);
	assert_int_equal(policy_evaluate(&p, h, &v), HD_EINVAL);
	expect(POLICY_NEEDS_REVIEW, POLICY_CATEGORY_NONE, 0, "");
	fx_free(h);
}

static void test_hardship(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_HARDSHIP, 2);
	fx_eval(NULL, h, &v); /* H = 0, no rigid expense */
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "RIGID_EXPENSE_BELOW_SHARE");
	assert_string_equal(v.reasons[0].detail,
	    "rigid expense=0 fen; needs > 0 and x 10000 >= H=0 fen x 5000 "
	    "bps");
	h->monthly_rigid_expense_fen = 1; /* H = 0: any expense is enough */
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_HARDSHIP, 0, "");

	fx_income(h, 0, 300000);
	h->monthly_rigid_expense_fen = 150000; /* exactly 50% of H */
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_HARDSHIP, 0, "");
	h->monthly_rigid_expense_fen = 149999;
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "RIGID_EXPENSE_BELOW_SHARE");

	policy_params p;
	policy_params_defaults(&p);
	p.rigid_expense_share_bps = 0;
	h->monthly_rigid_expense_fen = 1;
	fx_eval(&p, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_HARDSHIP, 0, "");
	fx_free(h);
}

static void test_hardship_disposable(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_HARDSHIP, 1);
	fx_income(h, 0, 400000); /* P == disposable income (urban) */
	h->monthly_rigid_expense_fen = 200000;
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "INCOME_ABOVE_DISPOSABLE");
	assert_string_equal(
	    v.reasons[0].detail, "P=400000 >= disposable income=400000 fen");
	fx_income(h, 0, 399999);
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_HARDSHIP, 0, "");

	h->area = POLICY_AREA_RURAL;
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "INCOME_ABOVE_DISPOSABLE");
	fx_income(h, 0, 199999);
	h->monthly_rigid_expense_fen =
	    100000; /* 100000 x 10000 >= 199999 x 5000 */
	fx_eval(NULL, h, &v);
	expect(POLICY_MEETS, POLICY_CATEGORY_HARDSHIP, 0, "");
	fx_income(h, 0, 200000);
	h->monthly_rigid_expense_fen = 0;
	fx_account(h, 0, POLICY_ACCOUNT_DEPOSIT, 80000 * 24 + 1);
	fx_eval(NULL, h, &v);
	expect(POLICY_DOES_NOT_MEET, POLICY_CATEGORY_NONE, 0,
	    "INCOME_ABOVE_DISPOSABLE,RIGID_EXPENSE_BELOW_SHARE,"
	    "FINANCIAL_ASSETS_OVER_LIMIT");
	fx_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dibao_gradual_exit),
	    cmocka_unit_test(test_dibao_single_person),
	    cmocka_unit_test(test_dibao_asset_only_reason),
	    cmocka_unit_test(test_marginal),
	    cmocka_unit_test(test_tekun_age),
	    cmocka_unit_test(test_tekun_supporter_income_and_all),
	    cmocka_unit_test(test_tekun_needs_one_member),
	    cmocka_unit_test(test_hardship),
	    cmocka_unit_test(test_hardship_disposable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
