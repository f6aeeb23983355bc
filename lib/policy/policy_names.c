/* SPDX-License-Identifier: MIT */
/* The spec's names of the policy enums, both ways. */
#include "policy.h"

#include <string.h>

static int names_find(const char *const *names, int count, const char *text)
{
	if (text == NULL)
		return -1;
	for (int i = 0; i < count; i++)
		if (strcmp(names[i], text) == 0)
			return i;
	return -1;
}

#define POLICY_DEFINE_NAMES(type, fn, count, ...)                             \
	static const char *const fn##_names[count] = {__VA_ARGS__};           \
	const char *fn##_name(type value)                                     \
	{                                                                     \
		if ((unsigned)value >= (unsigned)(count))                     \
			return "unknown";                                     \
		return fn##_names[value];                                     \
	}                                                                     \
	bool fn##_parse(const char *text, type *out)                          \
	{                                                                     \
		int i = names_find(fn##_names, (count), text);                \
		if (i < 0)                                                    \
			return false;                                         \
		*out = (type)i;                                               \
		return true;                                                  \
	}

POLICY_DEFINE_NAMES(policy_program, policy_program, POLICY_PROGRAM_COUNT,
    "dibao", "marginal", "tekun", "hardship")
POLICY_DEFINE_NAMES(
    policy_area, policy_area, POLICY_AREA_COUNT, "urban", "rural")
POLICY_DEFINE_NAMES(policy_relation, policy_relation, POLICY_RELATION_COUNT,
    "applicant", "spouse", "child", "parent", "sibling", "grandparent",
    "grandchild", "other")
POLICY_DEFINE_NAMES(policy_conclusion, policy_conclusion,
    POLICY_CONCLUSION_COUNT, "meets", "does_not_meet", "needs_review")
POLICY_DEFINE_NAMES(policy_category, policy_category, POLICY_CATEGORY_COUNT,
    "dibao", "marginal", "gradual_exit", "single_person", "tekun", "hardship",
    "none")
POLICY_DEFINE_NAMES(policy_account_kind, policy_account_kind,
    POLICY_ACCOUNT_KIND_COUNT, "deposit", "securities", "wealth", "insurance")
POLICY_DEFINE_NAMES(policy_usage, policy_usage, POLICY_USAGE_COUNT,
    "residential", "commercial", "office", "industrial", "parking", "other")
POLICY_DEFINE_NAMES(policy_vehicle_kind, policy_vehicle_kind,
    POLICY_VEHICLE_KIND_COUNT, "car", "truck", "motorcycle", "electric_bike",
    "disability_mobility", "farm_machinery")
POLICY_DEFINE_NAMES(policy_business_status, policy_business_status,
    POLICY_BUSINESS_STATUS_COUNT, "active", "closed")
POLICY_DEFINE_NAMES(policy_source, policy_source, POLICY_SOURCE_COUNT, "bank",
    "tax", "property")
POLICY_DEFINE_NAMES(policy_lookup, policy_lookup, POLICY_LOOKUP_COUNT, "found",
    "not_found", "failed")
POLICY_DEFINE_NAMES(policy_source_status, policy_source_status,
    POLICY_SOURCE_STATUS_COUNT, "ok", "partial", "failed")
POLICY_DEFINE_NAMES(policy_reason_code, policy_reason_code,
    POLICY_REASON_COUNT, "INCOME_ABOVE_STANDARD", "INCOME_ABOVE_MARGINAL",
    "INCOME_ABOVE_DISPOSABLE", "RIGID_EXPENSE_BELOW_SHARE",
    "FINANCIAL_ASSETS_OVER_LIMIT", "TOO_MANY_RESIDENCES",
    "NON_RESIDENTIAL_PROPERTY", "RESIDENTIAL_AREA_OVER_LIMIT",
    "VEHICLE_NOT_EXEMPT", "BUSINESS_CAPITAL_OVER_LIMIT", "HAS_LABOR_CAPACITY",
    "HAS_ABLE_SUPPORTER", "SOURCE_INCOMPLETE", "SOURCE_UNAVAILABLE")
