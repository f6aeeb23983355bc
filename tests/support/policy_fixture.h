/* SPDX-License-Identifier: MIT */
/*
 * Households for the policy tests: valid ID numbers, every lookup found
 * with no facts, and setters for the facts each test needs.
 */
#ifndef HEDUI_TEST_POLICY_FIXTURE_H
#define HEDUI_TEST_POLICY_FIXTURE_H

#include "policy.h"

#define FX_AS_OF 20261101

/* A valid 18-character ID number: region 330106, birth date, sequence. */
void fx_id(char out[IDNUM_LEN + 1], idnum_date birth, int seq);

/* n members (member 0 the applicant, born 1980-01-01; the others born
 * 1990-01-0k), area urban, as_of FX_AS_OF, every lookup FOUND and empty.
 * Free with fx_free. */
policy_household *fx_household(policy_program program, size_t n);
void fx_free(policy_household *h);

/* Annual amounts, as the tax source reports them. */
void fx_wage(policy_household *h, size_t m, int64_t annual_fen);
/* A monthly counted income I_m with no employment-cost deduction: the
 * amount goes to transfer income (x 12). */
void fx_income(policy_household *h, size_t m, int64_t monthly_fen);
void fx_account(policy_household *h, size_t m, policy_account_kind kind,
    int64_t balance_fen);
void fx_estate(policy_household *h, size_t m, policy_usage usage,
    int64_t area_centi_m2, int64_t share_bps);
void fx_vehicle(policy_household *h, size_t m, policy_vehicle_kind kind,
    int64_t value_fen);
void fx_business(policy_household *h, size_t m, int64_t capital_fen,
    policy_business_status status);
void fx_lookup(
    policy_household *h, size_t m, policy_source s, policy_lookup l);

/* Evaluates with p (NULL: defaults); asserts HD_OK. */
void fx_eval(
    const policy_params *p, const policy_household *h, policy_verdict *v);

/* Reason codes of a verdict as one comma-separated string, e.g.
 * "INCOME_ABOVE_STANDARD,SOURCE_INCOMPLETE" ("" when none). */
const char *fx_codes(const policy_verdict *v);
/* Detail of the first reason with that code, or NULL. */
const char *fx_detail(const policy_verdict *v, policy_reason_code code);

#endif
