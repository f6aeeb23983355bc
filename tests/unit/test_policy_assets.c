/* SPDX-License-Identifier: MIT */
/* The four asset rules: financial assets, housing, vehicles, businesses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../support/policy_fixture.h"
#include "policy.h"

static policy_verdict v;

/* Dibao household of n with no income: meets unless an asset rule fails. */
static policy_household *poor(size_t n)
{
	return fx_household(POLICY_PROGRAM_DIBAO, n);
}

static void assert_meets(const policy_params *p, const policy_household *h)
{
	fx_eval(p, h, &v);
	assert_string_equal(fx_codes(&v), "");
	assert_int_equal(v.conclusion, POLICY_MEETS);
	assert_int_equal(v.category, POLICY_CATEGORY_DIBAO);
}

static void assert_fails(
    const policy_params *p, const policy_household *h, const char *codes)
{
	fx_eval(p, h, &v);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	assert_int_equal(v.category, POLICY_CATEGORY_NONE);
	assert_int_equal(v.estimated_monthly_benefit_fen, 0);
	assert_string_equal(fx_codes(&v), codes);
}

static void test_financial_limit(void **state)
{
	(void)state;
	policy_household *h = poor(2);
	/* limit per capita: 24 x 100000 = 2400000; F = 4800000 exactly */
	fx_account(h, 0, POLICY_ACCOUNT_DEPOSIT, 1000000);
	fx_account(h, 0, POLICY_ACCOUNT_SECURITIES, 1000000);
	fx_account(h, 1, POLICY_ACCOUNT_WEALTH, 1000000);
	fx_account(h, 1, POLICY_ACCOUNT_INSURANCE, 1800000);
	assert_meets(NULL, h);
	assert_int_equal(v.financial_assets_fen, 4800000);

	h->members[1].bank.accounts[1].balance_fen = 1800001; /* floor */
	assert_meets(NULL, h);

	h->members[1].bank.accounts[1].balance_fen = 1800002; /* F/n + 1 */
	assert_fails(NULL, h, "FINANCIAL_ASSETS_OVER_LIMIT");
	assert_int_equal(v.financial_assets_fen, 4800002);
	assert_string_equal(v.reasons[0].detail,
	    "F/n=2400001 > 24 months x S=100000 = 2400000 fen "
	    "(F=4800002, n=2)");
	fx_free(h);
}

static void test_financial_overflow_fails(void **state)
{
	(void)state;
	policy_household *h = poor(2);
	fx_account(h, 0, POLICY_ACCOUNT_DEPOSIT, INT64_MAX / 2 + 1);
	fx_account(h, 1, POLICY_ACCOUNT_DEPOSIT, INT64_MAX / 2 + 1);
	policy_params p;
	policy_params_defaults(&p);
	p.financial_assets_months = INT64_MAX; /* limit saturates too */
	assert_fails(&p, h, "FINANCIAL_ASSETS_OVER_LIMIT");
	assert_int_equal(v.financial_assets_fen, INT64_MAX);
	fx_free(h);
}

static void test_residences(void **state)
{
	(void)state;
	policy_household *h = poor(2);
	fx_estate(h, 0, POLICY_USAGE_RESIDENTIAL, 9000, 5000);
	fx_estate(h, 1, POLICY_USAGE_RESIDENTIAL, 9000, 0); /* share 0 */
	fx_estate(h, 1, POLICY_USAGE_PARKING, 1500, 10000);
	fx_estate(h, 1, POLICY_USAGE_OTHER, 1500, 10000);
	fx_estate(h, 1, POLICY_USAGE_COMMERCIAL, 5000, 0); /* share 0 */
	assert_meets(NULL, h);

	fx_estate(h, 1, POLICY_USAGE_RESIDENTIAL, 6000, 1); /* R = 2 */
	assert_fails(NULL, h, "TOO_MANY_RESIDENCES");
	assert_string_equal(v.reasons[0].detail,
	    "R=2 residential holdings > max_residences=1");

	policy_params p;
	policy_params_defaults(&p);
	p.max_residences = 2;
	assert_meets(&p, h);
	fx_free(h);
}

static void test_non_residential(void **state)
{
	(void)state;
	static const policy_usage usages[] = {POLICY_USAGE_COMMERCIAL,
	    POLICY_USAGE_OFFICE, POLICY_USAGE_INDUSTRIAL};
	policy_params p;
	policy_params_defaults(&p);
	p.allow_non_residential = true;
	for (size_t i = 0; i < 3; i++) {
		policy_household *h = poor(1);
		fx_estate(h, 0, usages[i], 100, 1);
		assert_fails(NULL, h, "NON_RESIDENTIAL_PROPERTY");
		assert_string_equal(v.reasons[0].detail,
		    "N=1 commercial, office or industrial holdings; "
		    "allow_non_residential=false");
		assert_meets(&p, h);
		fx_free(h);
	}
}

static void test_residential_area(void **state)
{
	(void)state;
	policy_household *h = poor(2);
	/* off by default: any area passes */
	fx_estate(h, 0, POLICY_USAGE_RESIDENTIAL, 100000000, 10000);
	assert_meets(NULL, h);

	policy_params p;
	policy_params_defaults(&p);
	p.max_residential_area_per_capita_centi_m2 = 3000;
	h->members[0].property.real_estate[0] = (policy_real_estate){
	    POLICY_USAGE_RESIDENTIAL, 12000, 5000}; /* 6000 / 2 = 3000 */
	assert_meets(&p, h);
	h->members[0].property.real_estate[0].area_centi_m2 = 12003;
	assert_meets(&p, h); /* floor(12003 / 2) = 6001, / 2 = 3000 */
	h->members[0].property.real_estate[0].area_centi_m2 = 12004;
	assert_fails(&p, h, "RESIDENTIAL_AREA_OVER_LIMIT");
	assert_string_equal(v.reasons[0].detail,
	    "residential area per capita=3001 > 3000 centi-m2 "
	    "(total 6002, n=2)");

	/* each holding's share floors on its own: 3 x 1/2 = 1 + 1 */
	policy_household *g = poor(1);
	p.max_residential_area_per_capita_centi_m2 = 2;
	fx_estate(g, 0, POLICY_USAGE_RESIDENTIAL, 3, 5000);
	p.max_residences = 5;
	fx_estate(g, 0, POLICY_USAGE_RESIDENTIAL, 3, 5000);
	fx_estate(g, 0, POLICY_USAGE_COMMERCIAL, 100000, 10000);
	p.allow_non_residential = true; /* non-residential area not counted */
	assert_meets(&p, g);
	fx_estate(g, 0, POLICY_USAGE_RESIDENTIAL, 1, 10000);
	assert_fails(&p, g, "RESIDENTIAL_AREA_OVER_LIMIT");
	fx_free(g);
	fx_free(h);
}

static void test_exempt_vehicles(void **state)
{
	(void)state;
	policy_household *h = poor(2);
	fx_vehicle(h, 0, POLICY_VEHICLE_MOTORCYCLE, 900000);
	fx_vehicle(h, 0, POLICY_VEHICLE_ELECTRIC_BIKE, 300000);
	fx_vehicle(h, 1, POLICY_VEHICLE_DISABILITY_MOBILITY, 2000000);
	assert_meets(NULL, h);
	fx_free(h);

	static const policy_vehicle_kind kinds[] = {POLICY_VEHICLE_CAR,
	    POLICY_VEHICLE_TRUCK, POLICY_VEHICLE_FARM_MACHINERY};
	for (size_t i = 0; i < 3; i++) {
		h = poor(1);
		fx_vehicle(h, 0, kinds[i], 1); /* cap 0: none allowed */
		assert_fails(NULL, h, "VEHICLE_NOT_EXEMPT");
		assert_string_equal(v.reasons[0].detail,
		    "non-exempt vehicles=1, largest value=1 fen, "
		    "vehicle_value_cap=0 fen");
		fx_free(h);
	}

	h = poor(1);
	fx_vehicle(h, 0, POLICY_VEHICLE_FARM_MACHINERY, 5000000);
	policy_params p;
	policy_params_defaults(&p);
	p.vehicle_exempt_kinds |=
	    POLICY_VEHICLE_BIT(POLICY_VEHICLE_FARM_MACHINERY);
	assert_meets(&p, h);
	p.vehicle_exempt_kinds = 0;
	fx_vehicle(h, 0, POLICY_VEHICLE_ELECTRIC_BIKE, 1);
	assert_fails(&p, h, "VEHICLE_NOT_EXEMPT");
	assert_string_equal(v.reasons[0].detail,
	    "non-exempt vehicles=2, largest value=5000000 fen, "
	    "vehicle_value_cap=0 fen");
	fx_free(h);
}

static void test_vehicle_cap(void **state)
{
	(void)state;
	policy_params p;
	policy_params_defaults(&p);
	p.vehicle_value_cap_fen = 3000000;
	policy_household *h = poor(2);
	fx_vehicle(h, 0, POLICY_VEHICLE_CAR, 3000000); /* at the cap */
	assert_meets(&p, h);
	h->members[0].property.vehicles[0].value_fen = 3000001;
	assert_fails(&p, h, "VEHICLE_NOT_EXEMPT");
	h->members[0].property.vehicles[0].value_fen = 100000;
	fx_vehicle(h, 1, POLICY_VEHICLE_TRUCK, 100000); /* two: fails */
	assert_fails(&p, h, "VEHICLE_NOT_EXEMPT");
	assert_string_equal(v.reasons[0].detail,
	    "non-exempt vehicles=2, largest value=100000 fen, "
	    "vehicle_value_cap=3000000 fen");
	fx_free(h);
}

static void test_business_capital(void **state)
{
	(void)state;
	policy_household *h = poor(3);
	fx_business(h, 1, 10000000, POLICY_BUSINESS_ACTIVE);  /* == cap */
	fx_business(h, 2, INT64_MAX, POLICY_BUSINESS_CLOSED); /* ignored */
	assert_meets(NULL, h);
	fx_business(h, 2, 10000001, POLICY_BUSINESS_ACTIVE);
	assert_fails(NULL, h, "BUSINESS_CAPITAL_OVER_LIMIT");
	assert_string_equal(v.reasons[0].detail,
	    "member 2: active business registered capital=10000001 > "
	    "cap=10000000 fen");
	fx_business(h, 1, 20000000, POLICY_BUSINESS_ACTIVE);
	assert_fails(NULL, h, "BUSINESS_CAPITAL_OVER_LIMIT");
	assert_string_equal(v.reasons[0].detail,
	    "member 1: active business registered capital=20000000 > "
	    "cap=10000000 fen");
	fx_free(h);
}

static void test_every_asset_rule_reported(void **state)
{
	(void)state;
	policy_params p;
	policy_params_defaults(&p);
	p.max_residential_area_per_capita_centi_m2 = 100;
	policy_household *h = poor(1);
	fx_income(h, 0, 100000);
	fx_account(h, 0, POLICY_ACCOUNT_DEPOSIT, 2400001);
	fx_estate(h, 0, POLICY_USAGE_RESIDENTIAL, 101, 10000);
	fx_estate(h, 0, POLICY_USAGE_RESIDENTIAL, 100, 10000);
	fx_estate(h, 0, POLICY_USAGE_OFFICE, 100, 10000);
	fx_vehicle(h, 0, POLICY_VEHICLE_CAR, 1);
	fx_business(h, 0, 10000001, POLICY_BUSINESS_ACTIVE);
	assert_fails(&p, h,
	    "INCOME_ABOVE_STANDARD,FINANCIAL_ASSETS_OVER_LIMIT,"
	    "TOO_MANY_RESIDENCES,NON_RESIDENTIAL_PROPERTY,"
	    "RESIDENTIAL_AREA_OVER_LIMIT,VEHICLE_NOT_EXEMPT,"
	    "BUSINESS_CAPITAL_OVER_LIMIT");
	fx_free(h);
}

static void test_assets_apply_to_every_program(void **state)
{
	(void)state;
	static const policy_program programs[] = {POLICY_PROGRAM_MARGINAL,
	    POLICY_PROGRAM_TEKUN, POLICY_PROGRAM_HARDSHIP};
	for (size_t i = 0; i < 3; i++) {
		policy_household *h = fx_household(programs[i], 1);
		fx_id(h->members[0].id_number, 19400101, 11); /* age 86 */
		h->monthly_rigid_expense_fen = 1;
		fx_eval(NULL, h, &v);
		assert_int_equal(v.conclusion, POLICY_MEETS);
		fx_vehicle(h, 0, POLICY_VEHICLE_CAR, 1);
		assert_fails(NULL, h, "VEHICLE_NOT_EXEMPT");
		fx_free(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_financial_limit),
	    cmocka_unit_test(test_financial_overflow_fails),
	    cmocka_unit_test(test_residences),
	    cmocka_unit_test(test_non_residential),
	    cmocka_unit_test(test_residential_area),
	    cmocka_unit_test(test_exempt_vehicles),
	    cmocka_unit_test(test_vehicle_cap),
	    cmocka_unit_test(test_business_capital),
	    cmocka_unit_test(test_every_asset_rule_reported),
	    cmocka_unit_test(test_assets_apply_to_every_program),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
