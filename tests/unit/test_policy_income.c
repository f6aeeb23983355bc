/* SPDX-License-Identifier: MIT */
/* Income: W_m, D_m, G_m, I_m, H, P and the dibao income line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../support/policy_fixture.h"
#include "policy.h"

static policy_verdict v;

static void test_wage_deduction(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	/* W = 100000, D = 20% = 20000, G = 100000, I = 80000 */
	fx_wage(h, 0, 1200000);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.member_income_fen[0], 80000);
	assert_int_equal(v.monthly_income_fen, 80000);
	assert_int_equal(v.per_capita_monthly_income_fen, 80000);
	assert_int_equal(v.standard_fen, 100000);
	assert_int_equal(v.marginal_fen, 150000);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	assert_int_equal(v.category, POLICY_CATEGORY_DIBAO);
	assert_int_equal(v.estimated_monthly_benefit_fen, 20000);
	assert_int_equal(v.household_size, 1);
	assert_int_equal(v.n_reasons, 0);
	fx_free(h);
}

static void test_employment_cost_cap(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 3);
	fx_wage(h, 0, 6000000); /* W 500000: 20% = 100000, capped 50000 */
	fx_wage(h, 1, 3000000); /* W 250000: 20% = 50000 exactly the cap */
	fx_wage(h, 2, 3000144); /* W 250012: 20% = 50002, capped 50000 */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.member_income_fen[0], 450000);
	assert_int_equal(v.member_income_fen[1], 200000);
	assert_int_equal(v.member_income_fen[2], 200012);
	assert_int_equal(v.monthly_income_fen, 850012);
	assert_int_equal(v.per_capita_monthly_income_fen, 283337);
	fx_free(h);
}

static void test_no_wage_no_deduction(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 2);
	/* W_m == 0: business income is counted without any deduction */
	h->members[0].tax.business_income_fen = 1200000;
	/* wage 11 fen a year: W = 0, so D = 0; G = floor(11/12) = 0 */
	fx_wage(h, 1, 11);
	h->members[1].tax.property_income_fen = 13;
	fx_eval(NULL, h, &v);
	assert_int_equal(v.member_income_fen[0], 100000);
	assert_int_equal(v.member_income_fen[1], 2); /* floor(24 / 12) */
	fx_free(h);
}

static void test_all_four_counted_excluded_not(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	policy_tax_facts *t = &h->members[0].tax;
	t->wage_income_fen = 120000;
	t->business_income_fen = 240000;
	t->property_income_fen = 360000;
	t->transfer_income_fen = 480000;
	t->excluded_income_fen = 999999999;
	/* G = 1200000 / 12 = 100000; W = 10000, D = 2000 */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.member_income_fen[0], 98000);
	fx_free(h);
}

static void test_deduction_floor_and_clamp(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 2);
	fx_wage(h, 0, 59); /* W = 4, D = floor(0.8) = 0, G = 4 */
	fx_wage(h, 1, 1200000);
	policy_params p;
	policy_params_defaults(&p);
	p.employment_cost_bps = 20000; /* D = 2 W > G: I clamps at 0 */
	p.employment_cost_cap_fen = 1000000000;
	fx_eval(&p, h, &v);
	assert_int_equal(v.member_income_fen[0], 0);
	assert_int_equal(v.member_income_fen[1], 0);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.member_income_fen[0], 4);
	fx_free(h);
}

static void test_household_sum_and_floor(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 3);
	fx_income(h, 0, 100000);
	fx_income(h, 1, 100001);
	fx_lookup(h, 2, POLICY_SOURCE_TAX, POLICY_LOOKUP_NOT_FOUND);
	h->members[2].tax.transfer_income_fen = 5000000; /* not read */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.member_income_fen[2], 0);
	assert_int_equal(v.monthly_income_fen, 200001);
	assert_int_equal(v.per_capita_monthly_income_fen, 66667);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	/* 3 x 100000 - 200001 = 99999, up to 100000 */
	assert_int_equal(v.estimated_monthly_benefit_fen, 100000);
	fx_free(h);
}

static void test_per_capita_equal_to_standard(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 2);
	fx_income(h, 0, 200000); /* P = 100000 == S */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	assert_int_equal(v.category, POLICY_CATEGORY_NONE);
	assert_string_equal(fx_codes(&v), "INCOME_ABOVE_STANDARD");
	assert_string_equal(v.reasons[0].detail, "P=100000 >= S=100000 fen");
	assert_int_equal(v.estimated_monthly_benefit_fen, 0);

	fx_income(h, 0, 199999); /* P = 99999 */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	assert_int_equal(v.category, POLICY_CATEGORY_DIBAO);
	assert_int_equal(v.estimated_monthly_benefit_fen, 100);

	fx_income(h, 0, 200001); /* H = 200001, P = floor = 100000 */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	fx_free(h);
}

static void test_rural_standard(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	h->area = POLICY_AREA_RURAL;
	fx_income(h, 0, 80000);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.standard_fen, 80000);
	assert_int_equal(v.marginal_fen, 120000);
	assert_string_equal(fx_detail(&v, POLICY_INCOME_ABOVE_STANDARD),
	    "P=80000 >= S=80000 fen");
	fx_income(h, 0, 79999);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.category, POLICY_CATEGORY_DIBAO);
	assert_int_equal(v.estimated_monthly_benefit_fen, 100);
	fx_free(h);
}

static void test_benefit_rounds_up_to_yuan(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	fx_income(h, 0, 87655); /* 100000 - 87655 = 12345 */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.estimated_monthly_benefit_fen, 12400);
	fx_income(h, 0, 87700); /* 12300 stays */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.estimated_monthly_benefit_fen, 12300);
	fx_income(h, 0, 87699); /* 12301 */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.estimated_monthly_benefit_fen, 12400);
	fx_income(h, 0, 0);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.estimated_monthly_benefit_fen, 100000);
	fx_free(h);
}

static void test_income_overflow_fails_safe(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 20);
	for (size_t m = 0; m < 20; m++) {
		h->members[m].tax.business_income_fen = INT64_MAX;
		h->members[m].tax.transfer_income_fen = INT64_MAX;
	}
	fx_eval(NULL, h, &v);
	assert_int_equal(v.monthly_income_fen, INT64_MAX);
	assert_int_equal(v.per_capita_monthly_income_fen, INT64_MAX);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	assert_string_equal(fx_codes(&v), "INCOME_ABOVE_STANDARD");

	/* Large but exact: no saturation below the limit */
	policy_household *g = fx_household(POLICY_PROGRAM_DIBAO, 1);
	fx_wage(g, 0, INT64_MAX - 1); /* W * bps needs 128 bits; D = cap */
	fx_eval(NULL, g, &v);
	assert_int_equal(v.member_income_fen[0], (INT64_MAX - 1) / 12 - 50000);
	/* INT64_MAX itself reads as saturated: too much to count */
	fx_wage(g, 0, INT64_MAX);
	fx_eval(NULL, g, &v);
	assert_int_equal(v.member_income_fen[0], INT64_MAX);
	fx_free(g);
	fx_free(h);
}

static void test_twenty_members(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 20);
	for (size_t m = 0; m < 20; m++)
		fx_income(h, m, 1000 * (int64_t)m);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.household_size, 20);
	assert_int_equal(v.monthly_income_fen, 190000);
	assert_int_equal(v.per_capita_monthly_income_fen, 9500);
	assert_int_equal(v.estimated_monthly_benefit_fen, 1810000);
	fx_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wage_deduction),
	    cmocka_unit_test(test_employment_cost_cap),
	    cmocka_unit_test(test_no_wage_no_deduction),
	    cmocka_unit_test(test_all_four_counted_excluded_not),
	    cmocka_unit_test(test_deduction_floor_and_clamp),
	    cmocka_unit_test(test_household_sum_and_floor),
	    cmocka_unit_test(test_per_capita_equal_to_standard),
	    cmocka_unit_test(test_rural_standard),
	    cmocka_unit_test(test_benefit_rounds_up_to_yuan),
	    cmocka_unit_test(test_income_overflow_fails_safe),
	    cmocka_unit_test(test_twenty_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
