/* SPDX-License-Identifier: MIT */
/* Incomplete data fails safe: failed and malformed lookups, not found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../support/policy_fixture.h"
#include "policy.h"

static policy_verdict v;

/* No reason detail may hold a whole ID number of the household. */
static void assert_no_id_in_details(const policy_household *h)
{
	for (size_t i = 0; i < v.n_reasons; i++)
		for (size_t m = 0; m < h->n_members; m++)
			assert_null(strstr(
			    v.reasons[i].detail, h->members[m].id_number));
}

static void test_not_found_counts_as_zero(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 2);
	for (int s = 0; s < POLICY_SOURCE_COUNT; s++)
		fx_lookup(h, 1, (policy_source)s, POLICY_LOOKUP_NOT_FOUND);
	fx_account(h, 1, POLICY_ACCOUNT_DEPOSIT, INT64_MAX); /* not read */
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	assert_int_equal(v.financial_assets_fen, 0);
	for (int s = 0; s < POLICY_SOURCE_COUNT; s++) {
		assert_int_equal(v.sources[s].source, s);
		assert_int_equal(v.sources[s].status, POLICY_SOURCE_OK);
		assert_int_equal(v.sources[s].n_failed, 0);
	}
	fx_free(h);
}

static void test_failed_but_passing_needs_review(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 3);
	fx_income(h, 0, 50000);
	fx_lookup(h, 1, POLICY_SOURCE_BANK, POLICY_LOOKUP_FAILED);
	fx_account(h, 1, POLICY_ACCOUNT_DEPOSIT, INT64_MAX); /* not read */
	fx_lookup(h, 2, POLICY_SOURCE_PROPERTY, POLICY_LOOKUP_FAILED);
	fx_lookup(h, 0, POLICY_SOURCE_PROPERTY, POLICY_LOOKUP_FAILED);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_NEEDS_REVIEW);
	assert_int_equal(v.category, POLICY_CATEGORY_NONE);
	assert_int_equal(v.estimated_monthly_benefit_fen, 0);
	assert_int_equal(v.financial_assets_fen, 0);
	assert_int_equal(v.monthly_income_fen, 50000);
	/* by source (bank, tax, property), then by member */
	assert_string_equal(fx_codes(&v),
	    "SOURCE_UNAVAILABLE,SOURCE_UNAVAILABLE,SOURCE_UNAVAILABLE");
	char id[IDNUM_LEN + 1], want[POLICY_DETAIL_SIZE];
	char masked[IDNUM_MASKED_LEN + 1];
	fx_id(id, 19900101, 21);
	idnum_mask(id, masked);
	snprintf(want, sizeof(want), "bank lookup failed for member 1 (%s)",
	    masked);
	assert_string_equal(v.reasons[0].detail, want);
	assert_memory_equal(v.reasons[0].detail + 33, "330106********", 14);
	assert_true(
	    strncmp(v.reasons[1].detail,
	        "property lookup failed for member 0 (330106*", 44) == 0);
	assert_true(
	    strncmp(v.reasons[2].detail,
	        "property lookup failed for member 2 (330106*", 44) == 0);
	assert_no_id_in_details(h);

	assert_int_equal(
	    v.sources[POLICY_SOURCE_BANK].status, POLICY_SOURCE_PARTIAL);
	assert_int_equal(v.sources[POLICY_SOURCE_BANK].n_failed, 1);
	assert_int_equal(v.sources[POLICY_SOURCE_BANK].failed_members[0], 1);
	assert_int_equal(
	    v.sources[POLICY_SOURCE_TAX].status, POLICY_SOURCE_OK);
	assert_int_equal(
	    v.sources[POLICY_SOURCE_PROPERTY].status, POLICY_SOURCE_PARTIAL);
	assert_int_equal(v.sources[POLICY_SOURCE_PROPERTY].n_failed, 2);
	assert_int_equal(
	    v.sources[POLICY_SOURCE_PROPERTY].failed_members[0], 0);
	assert_int_equal(
	    v.sources[POLICY_SOURCE_PROPERTY].failed_members[1], 2);
	fx_free(h);
}

static void test_everything_failed(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_MARGINAL, 2);
	for (size_t m = 0; m < 2; m++)
		for (int s = 0; s < POLICY_SOURCE_COUNT; s++)
			fx_lookup(
			    h, m, (policy_source)s, POLICY_LOOKUP_FAILED);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_NEEDS_REVIEW);
	assert_int_equal(v.n_reasons, 6);
	for (int s = 0; s < POLICY_SOURCE_COUNT; s++)
		assert_int_equal(v.sources[s].status, POLICY_SOURCE_FAILED);
	assert_true(
	    strncmp(v.reasons[2].detail, "tax lookup failed", 17) == 0);
	fx_free(h);
}

static void test_failed_and_already_failing(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 2);
	fx_income(h, 0, 200000); /* P == S on what arrived */
	fx_lookup(h, 1, POLICY_SOURCE_TAX, POLICY_LOOKUP_FAILED);
	fx_lookup(h, 1, POLICY_SOURCE_BANK, POLICY_LOOKUP_FAILED);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	assert_int_equal(v.category, POLICY_CATEGORY_NONE);
	assert_string_equal(
	    fx_codes(&v), "INCOME_ABOVE_STANDARD,SOURCE_INCOMPLETE");
	assert_string_equal(v.reasons[1].detail,
	    "2 lookup(s) failed; their facts count as zero here");

	/* an asset failure in the data that arrived */
	fx_income(h, 0, 0);
	fx_vehicle(h, 0, POLICY_VEHICLE_CAR, 1);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	assert_string_equal(
	    fx_codes(&v), "VEHICLE_NOT_EXEMPT,SOURCE_INCOMPLETE");
	fx_free(h);

	/* a rule that needs no source at all still counts as failing */
	h = fx_household(POLICY_PROGRAM_TEKUN, 1); /* age 46 */
	fx_lookup(h, 0, POLICY_SOURCE_PROPERTY, POLICY_LOOKUP_FAILED);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_DOES_NOT_MEET);
	assert_string_equal(
	    fx_codes(&v), "HAS_LABOR_CAPACITY,SOURCE_INCOMPLETE");
	fx_free(h);
}

static void test_never_meets_incomplete(void **state)
{
	(void)state;
	static const policy_program programs[] = {POLICY_PROGRAM_DIBAO,
	    POLICY_PROGRAM_MARGINAL, POLICY_PROGRAM_TEKUN,
	    POLICY_PROGRAM_HARDSHIP};
	for (size_t i = 0; i < 4; i++) {
		policy_household *h = fx_household(programs[i], 1);
		fx_id(h->members[0].id_number, 19400101, 11);
		h->monthly_rigid_expense_fen = 1;
		fx_eval(NULL, h, &v);
		assert_int_equal(v.conclusion, POLICY_MEETS);
		fx_lookup(h, 0, POLICY_SOURCE_TAX, POLICY_LOOKUP_FAILED);
		fx_eval(NULL, h, &v);
		assert_int_equal(v.conclusion, POLICY_NEEDS_REVIEW);
		assert_int_equal(v.category, POLICY_CATEGORY_NONE);
		assert_int_equal(v.estimated_monthly_benefit_fen, 0);
		assert_string_equal(fx_codes(&v), "SOURCE_UNAVAILABLE");
		assert_int_equal(
		    v.sources[POLICY_SOURCE_TAX].status, POLICY_SOURCE_FAILED);
		fx_free(h);
	}

	/* a would-be single person household and a gradual exit too */
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 2);
	fx_income(h, 0, 240000);
	h->members[1].severe_disability = true;
	fx_eval(NULL, h, &v);
	assert_int_equal(v.category, POLICY_CATEGORY_SINGLE_PERSON);
	fx_lookup(h, 1, POLICY_SOURCE_BANK, POLICY_LOOKUP_FAILED);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_NEEDS_REVIEW);
	assert_int_equal(v.n_single_person, 0);
	h->currently_enrolled = true;
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_NEEDS_REVIEW);
	assert_int_equal(v.gradual_exit_months, 0);
	fx_free(h);
}

/* A found answer that is malformed counts as a failed lookup. */
static void assert_malformed(policy_household *h, policy_source s)
{
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_NEEDS_REVIEW);
	assert_string_equal(fx_codes(&v), "SOURCE_UNAVAILABLE");
	assert_int_equal(v.sources[s].status, POLICY_SOURCE_FAILED);
	assert_int_equal(v.financial_assets_fen, 0);
	assert_int_equal(v.monthly_income_fen, 0);
	fx_free(h);
}

static void test_malformed_answers(void **state)
{
	(void)state;
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	fx_account(h, 0, POLICY_ACCOUNT_DEPOSIT, 1000);
	fx_account(h, 0, POLICY_ACCOUNT_DEPOSIT, -1);
	assert_malformed(h, POLICY_SOURCE_BANK);

	h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	fx_account(h, 0, (policy_account_kind)9, 1);
	assert_malformed(h, POLICY_SOURCE_BANK);

	h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	h->members[0].bank.n_accounts = POLICY_MAX_ITEMS + 1;
	assert_malformed(h, POLICY_SOURCE_BANK);

	h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	h->members[0].tax.transfer_income_fen = 12000;
	h->members[0].tax.excluded_income_fen = -5;
	assert_malformed(h, POLICY_SOURCE_TAX);

	h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	fx_business(h, 0, -1, POLICY_BUSINESS_CLOSED);
	assert_malformed(h, POLICY_SOURCE_TAX);

	h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	fx_estate(h, 0, POLICY_USAGE_RESIDENTIAL, 100, 10001);
	assert_malformed(h, POLICY_SOURCE_PROPERTY);

	h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	fx_estate(h, 0, POLICY_USAGE_RESIDENTIAL, -100, 10000);
	assert_malformed(h, POLICY_SOURCE_PROPERTY);

	h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	fx_vehicle(h, 0, POLICY_VEHICLE_CAR, -1);
	assert_malformed(h, POLICY_SOURCE_PROPERTY);

	/* 64 items is the bound, not over it */
	h = fx_household(POLICY_PROGRAM_DIBAO, 1);
	for (int i = 0; i < POLICY_MAX_ITEMS; i++)
		fx_vehicle(h, 0, POLICY_VEHICLE_ELECTRIC_BIKE, 1);
	fx_eval(NULL, h, &v);
	assert_int_equal(v.conclusion, POLICY_MEETS);
	fx_free(h);
}

static void test_invalid_household(void **state)
{
	(void)state;
	policy_params p;
	policy_params_defaults(&p);
	policy_household *h = fx_household(POLICY_PROGRAM_DIBAO, 1);

#define EXPECT_INVALID()                                                      \
	do {                                                                  \
		assert_int_equal(policy_evaluate(&p, h, &v), HD_EINVAL);      \
		assert_int_equal(v.conclusion, POLICY_NEEDS_REVIEW);          \
		assert_int_equal(v.category, POLICY_CATEGORY_NONE);           \
		assert_int_equal(v.n_reasons, 0);                             \
	} while (0)

	h->n_members = 0;
	EXPECT_INVALID();
	h->n_members = POLICY_MAX_MEMBERS + 1;
	EXPECT_INVALID();
	h->n_members = 1;
	h->members[0].id_number[17] ^= 1; /* wrong check character */
	EXPECT_INVALID();
	fx_id(h->members[0].id_number, 20261102, 1); /* born after as_of */
	EXPECT_INVALID();
	fx_id(h->members[0].id_number, 19800101, 1);
	h->as_of = 20260230;
	EXPECT_INVALID();
	h->as_of = FX_AS_OF;
	h->monthly_rigid_expense_fen = -1;
	EXPECT_INVALID();
	h->monthly_rigid_expense_fen = 0;
	h->area = (policy_area)2;
	EXPECT_INVALID();
	h->area = POLICY_AREA_URBAN;
	h->members[0].lookup[POLICY_SOURCE_TAX] = (policy_lookup)7;
	EXPECT_INVALID();
	h->members[0].lookup[POLICY_SOURCE_TAX] = POLICY_LOOKUP_FOUND;
	p.marginal_bps = -1;
	EXPECT_INVALID();
	policy_params_defaults(&p);
	p.vehicle_exempt_kinds = 1u << 20;
	EXPECT_INVALID();
	policy_params_defaults(&p);
	assert_int_equal(policy_evaluate(&p, h, &v), HD_OK);
	assert_int_equal(policy_evaluate(NULL, h, &v), HD_EINVAL);
	assert_int_equal(policy_evaluate(&p, NULL, &v), HD_EINVAL);
	assert_int_equal(v.conclusion, POLICY_NEEDS_REVIEW);
	assert_int_equal(policy_evaluate(&p, h, NULL), HD_EINVAL);
	fx_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_found_counts_as_zero),
	    cmocka_unit_test(test_failed_but_passing_needs_review),
	    cmocka_unit_test(test_everything_failed),
	    cmocka_unit_test(test_failed_and_already_failing),
	    cmocka_unit_test(test_never_meets_incomplete),
	    cmocka_unit_test(test_malformed_answers),
	    cmocka_unit_test(test_invalid_household),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
