/* SPDX-License-Identifier: MIT */
/*
 * Checks of the evaluator's inputs: the household as request validation
 * leaves it, and the sources' answers, where a malformed one ("a negative
 * amount") is a failed lookup (docs/RULES.md, "Facts from the sources").
 */
#include "policy_internal.h"

#include <stdlib.h>
#include <string.h>

static bool member_valid(const policy_member *m, idnum_date as_of)
{
	if (memchr(m->id_number, '\0', sizeof(m->id_number)) == NULL ||
	    idnum_check(m->id_number, as_of, NULL) != IDNUM_OK)
		return false;
	if ((unsigned)m->relation >= POLICY_RELATION_COUNT)
		return false;
	for (int s = 0; s < POLICY_SOURCE_COUNT; s++)
		if ((unsigned)m->lookup[s] >= POLICY_LOOKUP_COUNT)
			return false;
	return true;
}

policy_household *policy_household_alloc(size_t n)
{
	if (n > POLICY_MAX_MEMBERS)
		return NULL;
	policy_household *h = calloc(1, policy_household_size(n));
	if (h != NULL)
		h->n_members = n;
	return h;
}

void policy_household_free(policy_household *h)
{
	free(h);
}

bool policy_household_valid(const policy_household *h)
{
	if (h->n_members < 1 || h->n_members > POLICY_MAX_MEMBERS)
		return false;
	if ((unsigned)h->area >= POLICY_AREA_COUNT ||
	    (unsigned)h->program >= POLICY_PROGRAM_COUNT)
		return false;
	if (!idnum_date_valid(h->as_of) || h->monthly_rigid_expense_fen < 0)
		return false;
	if (h->program == POLICY_PROGRAM_TEKUN && h->n_members != 1)
		return false;
	for (size_t m = 0; m < h->n_members; m++)
		if (!member_valid(&h->members[m], h->as_of))
			return false;
	return true;
}

/* A found answer that cannot be right ("a negative amount") is a failure. */
static bool tax_well_formed(const policy_tax_facts *t)
{
	if (t->wage_income_fen < 0 || t->business_income_fen < 0 ||
	    t->property_income_fen < 0 || t->transfer_income_fen < 0 ||
	    t->excluded_income_fen < 0 || t->n_businesses > POLICY_MAX_ITEMS)
		return false;
	for (size_t i = 0; i < t->n_businesses; i++)
		if (t->businesses[i].registered_capital_fen < 0 ||
		    (unsigned)t->businesses[i].status >=
		        POLICY_BUSINESS_STATUS_COUNT)
			return false;
	return true;
}

static bool bank_well_formed(const policy_bank_facts *b)
{
	if (b->n_accounts > POLICY_MAX_ITEMS)
		return false;
	for (size_t i = 0; i < b->n_accounts; i++)
		if (b->accounts[i].balance_fen < 0 ||
		    (unsigned)b->accounts[i].kind >= POLICY_ACCOUNT_KIND_COUNT)
			return false;
	return true;
}

static bool property_well_formed(const policy_property_facts *p)
{
	if (p->n_real_estate > POLICY_MAX_ITEMS ||
	    p->n_vehicles > POLICY_MAX_ITEMS)
		return false;
	for (size_t i = 0; i < p->n_real_estate; i++) {
		const policy_real_estate *re = &p->real_estate[i];
		if (re->area_centi_m2 < 0 || re->share_bps < 0 ||
		    re->share_bps > 10000 ||
		    (unsigned)re->usage >= POLICY_USAGE_COUNT)
			return false;
	}
	for (size_t i = 0; i < p->n_vehicles; i++)
		if (p->vehicles[i].value_fen < 0 ||
		    (unsigned)p->vehicles[i].kind >= POLICY_VEHICLE_KIND_COUNT)
			return false;
	return true;
}

size_t policy_lookups_classify(const policy_household *h,
    policy_lookup look[][POLICY_SOURCE_COUNT], policy_verdict *v)
{
	size_t n_failed = 0;
	for (size_t m = 0; m < h->n_members; m++) {
		const policy_member *mem = &h->members[m];
		bool ok[POLICY_SOURCE_COUNT] = {
		    [POLICY_SOURCE_BANK] = bank_well_formed(&mem->bank),
		    [POLICY_SOURCE_TAX] = tax_well_formed(&mem->tax),
		    [POLICY_SOURCE_PROPERTY] =
		        property_well_formed(&mem->property),
		};
		for (int s = 0; s < POLICY_SOURCE_COUNT; s++) {
			policy_lookup l = mem->lookup[s];
			if (l == POLICY_LOOKUP_FOUND && !ok[s])
				l = POLICY_LOOKUP_FAILED;
			look[m][s] = l;
		}
	}
	for (int s = 0; s < POLICY_SOURCE_COUNT; s++) {
		policy_source_summary *sum = &v->sources[s];
		sum->source = (policy_source)s;
		sum->n_failed = 0;
		for (size_t m = 0; m < h->n_members; m++)
			if (look[m][s] == POLICY_LOOKUP_FAILED)
				sum->failed_members[sum->n_failed++] =
				    (uint8_t)m;
		sum->status = sum->n_failed == 0 ? POLICY_SOURCE_OK
		              : sum->n_failed == h->n_members
		                  ? POLICY_SOURCE_FAILED
		                  : POLICY_SOURCE_PARTIAL;
		n_failed += sum->n_failed;
	}
	return n_failed;
}
