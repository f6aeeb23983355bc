/* SPDX-License-Identifier: MIT */
#include "policy_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void fx_id(char out[IDNUM_LEN + 1], idnum_date birth, int seq)
{
	snprintf(out, IDNUM_LEN + 1, "330106%08d%03d", birth, seq % 1000);
	out[17] = idnum_check_char(out);
	out[18] = '\0';
}

policy_household *fx_household(policy_program program, size_t n)
{
	policy_household *h = policy_household_alloc(
	    n < POLICY_MAX_MEMBERS ? n : POLICY_MAX_MEMBERS);
	assert_non_null(h);
	memcpy(h->region_code, "330106", 7);
	h->area = POLICY_AREA_URBAN;
	h->program = program;
	h->as_of = FX_AS_OF;
	h->n_members = n;
	for (size_t m = 0; m < n && m < POLICY_MAX_MEMBERS; m++) {
		policy_member *mem = &h->members[m];
		if (m == 0)
			fx_id(mem->id_number, 19800101, 11);
		else
			fx_id(mem->id_number, 19900100 + (int)m, 20 + (int)m);
		mem->relation =
		    m == 0 ? POLICY_RELATION_APPLICANT : POLICY_RELATION_CHILD;
	}
	return h;
}

void fx_free(policy_household *h)
{
	policy_household_free(h);
}

void fx_wage(policy_household *h, size_t m, int64_t annual_fen)
{
	h->members[m].tax.wage_income_fen = annual_fen;
}

void fx_income(policy_household *h, size_t m, int64_t monthly_fen)
{
	h->members[m].tax.transfer_income_fen = monthly_fen * 12;
}

void fx_account(policy_household *h, size_t m, policy_account_kind kind,
    int64_t balance_fen)
{
	policy_bank_facts *b = &h->members[m].bank;
	b->accounts[b->n_accounts++] =
	    (policy_account){.kind = kind, .balance_fen = balance_fen};
}

void fx_estate(policy_household *h, size_t m, policy_usage usage,
    int64_t area_centi_m2, int64_t share_bps)
{
	policy_property_facts *p = &h->members[m].property;
	p->real_estate[p->n_real_estate++] =
	    (policy_real_estate){.usage = usage,
	        .area_centi_m2 = area_centi_m2,
	        .share_bps = share_bps};
}

void fx_vehicle(
    policy_household *h, size_t m, policy_vehicle_kind kind, int64_t value_fen)
{
	policy_property_facts *p = &h->members[m].property;
	p->vehicles[p->n_vehicles++] =
	    (policy_vehicle){.kind = kind, .value_fen = value_fen};
}

void fx_business(policy_household *h, size_t m, int64_t capital_fen,
    policy_business_status status)
{
	policy_tax_facts *t = &h->members[m].tax;
	t->businesses[t->n_businesses++] = (policy_business){
	    .registered_capital_fen = capital_fen, .status = status};
}

void fx_lookup(policy_household *h, size_t m, policy_source s, policy_lookup l)
{
	h->members[m].lookup[s] = l;
}

void fx_eval(
    const policy_params *p, const policy_household *h, policy_verdict *v)
{
	policy_params defaults;
	if (p == NULL) {
		policy_params_defaults(&defaults);
		p = &defaults;
	}
	assert_int_equal(policy_evaluate(p, h, v), HD_OK);
}

const char *fx_codes(const policy_verdict *v)
{
	static char buf[4096];
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < v->n_reasons && at < sizeof(buf); i++)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s",
		    i > 0 ? "," : "",
		    policy_reason_code_name(v->reasons[i].code));
	return buf;
}

const char *fx_detail(const policy_verdict *v, policy_reason_code code)
{
	for (size_t i = 0; i < v->n_reasons; i++)
		if (v->reasons[i].code == code)
			return v->reasons[i].detail;
	return NULL;
}
