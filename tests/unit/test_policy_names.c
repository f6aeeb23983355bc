/* SPDX-License-Identifier: MIT */
/* The spec's strings for every policy enum, both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

/* Checks fn_name(i) == names[i] and fn_parse(names[i]) == i for all i,
 * then that the next value is "unknown" and that bad text is refused. */
#define CHECK_NAMES(type, fn, ...)                                            \
	do {                                                                  \
		static const char *const names[] = {__VA_ARGS__};             \
		size_t count = sizeof(names) / sizeof(names[0]);              \
		for (size_t i = 0; i < count; i++) {                          \
			type out = (type)99;                                  \
			assert_string_equal(fn##_name((type)i), names[i]);    \
			assert_true(fn##_parse(names[i], &out));              \
			assert_int_equal(out, i);                             \
		}                                                             \
		assert_string_equal(fn##_name((type)count), "unknown");       \
		assert_string_equal(fn##_name((type)-1), "unknown");          \
		type out = (type)0;                                           \
		assert_false(fn##_parse("", &out));                           \
		assert_false(fn##_parse(NULL, &out));                         \
		assert_false(fn##_parse("unknown", &out));                    \
	} while (0)

static void test_names(void **state)
{
	(void)state;
	CHECK_NAMES(policy_program, policy_program, "dibao", "marginal",
	    "tekun", "hardship");
	CHECK_NAMES(policy_area, policy_area, "urban", "rural");
	CHECK_NAMES(policy_relation, policy_relation, "applicant", "spouse",
	    "child", "parent", "sibling", "grandparent", "grandchild",
	    "other");
	CHECK_NAMES(policy_conclusion, policy_conclusion, "meets",
	    "does_not_meet", "needs_review");
	CHECK_NAMES(policy_category, policy_category, "dibao", "marginal",
	    "gradual_exit", "single_person", "tekun", "hardship", "none");
	CHECK_NAMES(policy_account_kind, policy_account_kind, "deposit",
	    "securities", "wealth", "insurance");
	CHECK_NAMES(policy_usage, policy_usage, "residential", "commercial",
	    "office", "industrial", "parking", "other");
	CHECK_NAMES(policy_vehicle_kind, policy_vehicle_kind, "car", "truck",
	    "motorcycle", "electric_bike", "disability_mobility",
	    "farm_machinery");
	CHECK_NAMES(policy_business_status, policy_business_status, "active",
	    "closed");
	CHECK_NAMES(policy_source, policy_source, "bank", "tax", "property");
	CHECK_NAMES(
	    policy_lookup, policy_lookup, "found", "not_found", "failed");
	CHECK_NAMES(policy_source_status, policy_source_status, "ok",
	    "partial", "failed");
	CHECK_NAMES(policy_reason_code, policy_reason_code,
	    "INCOME_ABOVE_STANDARD", "INCOME_ABOVE_MARGINAL",
	    "INCOME_ABOVE_DISPOSABLE", "RIGID_EXPENSE_BELOW_SHARE",
	    "FINANCIAL_ASSETS_OVER_LIMIT", "TOO_MANY_RESIDENCES",
	    "NON_RESIDENTIAL_PROPERTY", "RESIDENTIAL_AREA_OVER_LIMIT",
	    "VEHICLE_NOT_EXEMPT", "BUSINESS_CAPITAL_OVER_LIMIT",
	    "HAS_LABOR_CAPACITY", "HAS_ABLE_SUPPORTER", "SOURCE_INCOMPLETE",
	    "SOURCE_UNAVAILABLE");
}

static void test_parse_is_exact(void **state)
{
	(void)state;
	policy_program p;
	policy_vehicle_kind k;
	assert_false(policy_program_parse("DIBAO", &p));
	assert_false(policy_program_parse("dibao ", &p));
	assert_false(policy_vehicle_kind_parse("electric-bike", &k));
	assert_true(policy_vehicle_kind_parse("electric_bike", &k));
	assert_int_equal(k, POLICY_VEHICLE_ELECTRIC_BIKE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_parse_is_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
