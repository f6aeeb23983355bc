/* SPDX-License-Identifier: MIT */
/* The four asset rules of docs/RULES.md: all of them must pass. */
#include "policy_internal.h"

#include <inttypes.h>
#include <string.h>

static void assets_bank(const policy_bank_facts *b, policy_assets *a)
{
	for (size_t i = 0; i < b->n_accounts; i++)
		a->financial_fen =
		    pa_add(a->financial_fen, b->accounts[i].balance_fen);
}

static void assets_property(
    const policy_params *p, const policy_property_facts *pr, policy_assets *a)
{
	for (size_t i = 0; i < pr->n_real_estate; i++) {
		const policy_real_estate *re = &pr->real_estate[i];
		if (re->share_bps <= 0)
			continue;
		switch (re->usage) {
		case POLICY_USAGE_RESIDENTIAL:
			/* Per holder: the sources carry no property id, so
			 * a home two members co-own counts twice, as
			 * docs/RULES.md's "holdings" says. */
			a->residences++;
			/* Each holding's share of area rounds down on its own:
			 * every division of docs/RULES.md floors. */
			a->residential_area_centi_m2 =
			    pa_add(a->residential_area_centi_m2,
			        pa_mul_div(
			            re->area_centi_m2, re->share_bps, 10000));
			break;
		case POLICY_USAGE_COMMERCIAL:
		case POLICY_USAGE_OFFICE:
		case POLICY_USAGE_INDUSTRIAL:
			a->non_residential++;
			break;
		default: /* parking and other are ignored */
			break;
		}
	}
	for (size_t i = 0; i < pr->n_vehicles; i++) {
		const policy_vehicle *ve = &pr->vehicles[i];
		if (p->vehicle_exempt_kinds & POLICY_VEHICLE_BIT(ve->kind))
			continue;
		a->vehicles++;
		if (ve->value_fen > a->vehicle_max_value_fen)
			a->vehicle_max_value_fen = ve->value_fen;
	}
}

static void assets_business(const policy_params *p, int member,
    const policy_tax_facts *t, policy_assets *a)
{
	for (size_t i = 0; i < t->n_businesses; i++) {
		const policy_business *b = &t->businesses[i];
		if (b->status != POLICY_BUSINESS_ACTIVE ||
		    b->registered_capital_fen <= p->business_capital_cap_fen)
			continue;
		/* capital > cap >= 0, so the first one found is taken */
		if (b->registered_capital_fen > a->business_max_capital_fen) {
			a->business_max_capital_fen =
			    b->registered_capital_fen;
			a->business_member = member;
		}
	}
}

void policy_assets_check(const policy_params *p, const policy_household *h,
    const policy_lookup look[][POLICY_SOURCE_COUNT], int64_t S,
    policy_assets *a)
{
	int64_t n = (int64_t)h->n_members;

	memset(a, 0, sizeof(*a));
	a->business_member = -1;
	for (size_t m = 0; m < h->n_members; m++) {
		const policy_member *mem = &h->members[m];
		if (look[m][POLICY_SOURCE_BANK] == POLICY_LOOKUP_FOUND)
			assets_bank(&mem->bank, a);
		if (look[m][POLICY_SOURCE_PROPERTY] == POLICY_LOOKUP_FOUND)
			assets_property(p, &mem->property, a);
		if (look[m][POLICY_SOURCE_TAX] == POLICY_LOOKUP_FOUND)
			assets_business(p, (int)m, &mem->tax, a);
	}

	a->financial_per_capita_fen = pa_div(a->financial_fen, n);
	a->financial_limit_fen = pa_mul(p->financial_assets_months, S);
	/* A saturated F is more money than we can count: it fails. */
	a->financial_ok =
	    a->financial_per_capita_fen != PA_SAT &&
	    a->financial_per_capita_fen <= a->financial_limit_fen;

	a->residences_ok = a->residences <= p->max_residences;
	a->non_residential_ok =
	    a->non_residential == 0 || p->allow_non_residential;
	a->area_per_capita_centi_m2 = pa_div(a->residential_area_centi_m2, n);
	a->area_ok = p->max_residential_area_per_capita_centi_m2 == 0 ||
	             (a->area_per_capita_centi_m2 != PA_SAT &&
	                 a->area_per_capita_centi_m2 <=
	                     p->max_residential_area_per_capita_centi_m2);

	a->vehicles_ok =
	    a->vehicles == 0 ||
	    (p->vehicle_value_cap_fen > 0 && a->vehicles == 1 &&
	        a->vehicle_max_value_fen <= p->vehicle_value_cap_fen);

	a->business_ok = a->business_member < 0;
}

void policy_assets_explain(const policy_params *p, const policy_assets *a,
    size_t n, int64_t S, policy_verdict *v)
{
	if (!a->financial_ok)
		policy_reason_add(v, POLICY_FINANCIAL_ASSETS_OVER_LIMIT,
		    "F/n=%" PRId64 " > %" PRId64 " months x S=%" PRId64
		    " = %" PRId64 " fen (F=%" PRId64 ", n=%zu)",
		    a->financial_per_capita_fen, p->financial_assets_months, S,
		    a->financial_limit_fen, a->financial_fen, n);
	if (!a->residences_ok)
		policy_reason_add(v, POLICY_TOO_MANY_RESIDENCES,
		    "R=%d residential holdings > max_residences=%" PRId64,
		    a->residences, p->max_residences);
	if (!a->non_residential_ok)
		policy_reason_add(v, POLICY_NON_RESIDENTIAL_PROPERTY,
		    "N=%d commercial, office or industrial holdings; "
		    "allow_non_residential=false",
		    a->non_residential);
	if (!a->area_ok)
		policy_reason_add(v, POLICY_RESIDENTIAL_AREA_OVER_LIMIT,
		    "residential area per capita=%" PRId64 " > %" PRId64
		    " centi-m2 (total %" PRId64 ", n=%zu)",
		    a->area_per_capita_centi_m2,
		    p->max_residential_area_per_capita_centi_m2,
		    a->residential_area_centi_m2, n);
	if (!a->vehicles_ok)
		policy_reason_add(v, POLICY_VEHICLE_NOT_EXEMPT,
		    "non-exempt vehicles=%d, largest value=%" PRId64
		    " fen, vehicle_value_cap=%" PRId64 " fen",
		    a->vehicles, a->vehicle_max_value_fen,
		    p->vehicle_value_cap_fen);
	if (!a->business_ok)
		policy_reason_add(v, POLICY_BUSINESS_CAPITAL_OVER_LIMIT,
		    "member %d: active business registered capital=%" PRId64
		    " > cap=%" PRId64 " fen",
		    a->business_member, a->business_max_capital_fen,
		    p->business_capital_cap_fen);
}
