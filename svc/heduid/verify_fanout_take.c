/* SPDX-License-Identifier: MIT */
/* verify_fanout's reading of the sources' answers (verify_fanout_take),
 * apart from the network so that tests and the fuzz target use it alone. */
#include "verify_fanout.h"

#include <string.h>

#include "hedui/v1/source.pb-c.h"

static const ProtobufCMessageDescriptor
    *const verify_resp_desc[POLICY_SOURCE_COUNT] = {
        [POLICY_SOURCE_BANK] = &hedui__v1__bank_lookup_response__descriptor,
        [POLICY_SOURCE_TAX] = &hedui__v1__tax_lookup_response__descriptor,
        [POLICY_SOURCE_PROPERTY] =
            &hedui__v1__property_lookup_response__descriptor,
};

static policy_member *verify_member(policy_household *h, const char *id)
{
	for (size_t m = 0; m < h->n_members; m++)
		if (id != NULL && strcmp(h->members[m].id_number, id) == 0)
			return &h->members[m];
	return NULL;
}

/* The header of one person's answer: which member, and found or not.
 * NULL when the answer names nobody we asked about. */
static policy_member *verify_header(
    policy_household *h, const Hedui__V1__PersonHeader *ph, policy_source src)
{
	if (ph == NULL)
		return NULL;
	policy_member *m = verify_member(h, ph->id_number);
	if (m == NULL)
		return NULL;
	if (ph->status != NULL &&
	    ph->status->code != HEDUI__V1__STATUS_CODE__OK)
		m->lookup[src] = POLICY_LOOKUP_FAILED;
	else
		m->lookup[src] =
		    ph->found ? POLICY_LOOKUP_FOUND : POLICY_LOOKUP_NOT_FOUND;
	return m;
}

/* Too many items, or a name we don't know: the answer is malformed. */
#define VERIFY_PARSE(kind_fn, text, out) (kind_fn##_parse((text), (out)))

static void verify_take_bank(policy_household *h,
    const Hedui__V1__BankLookupResponse *r, size_t first, size_t end)
{
	for (size_t i = first; i < end && i < r->n_persons; i++) {
		const Hedui__V1__BankFacts *f = r->persons[i];
		policy_member *m =
		    verify_header(h, f->person, POLICY_SOURCE_BANK);
		if (m == NULL ||
		    m->lookup[POLICY_SOURCE_BANK] != POLICY_LOOKUP_FOUND)
			continue;
		if (f->n_accounts > POLICY_MAX_ITEMS) {
			m->lookup[POLICY_SOURCE_BANK] = POLICY_LOOKUP_FAILED;
			continue;
		}
		m->bank.n_accounts = f->n_accounts;
		for (size_t a = 0; a < f->n_accounts; a++) {
			m->bank.accounts[a].balance_fen =
			    f->accounts[a]->balance_fen;
			if (!VERIFY_PARSE(policy_account_kind,
			        f->accounts[a]->kind,
			        &m->bank.accounts[a].kind))
				m->lookup[POLICY_SOURCE_BANK] =
				    POLICY_LOOKUP_FAILED;
		}
	}
}

static void verify_take_tax(policy_household *h,
    const Hedui__V1__TaxLookupResponse *r, size_t first, size_t end)
{
	for (size_t i = first; i < end && i < r->n_persons; i++) {
		const Hedui__V1__TaxFacts *f = r->persons[i];
		policy_member *m =
		    verify_header(h, f->person, POLICY_SOURCE_TAX);
		if (m == NULL ||
		    m->lookup[POLICY_SOURCE_TAX] != POLICY_LOOKUP_FOUND)
			continue;
		if (f->n_businesses > POLICY_MAX_ITEMS) {
			m->lookup[POLICY_SOURCE_TAX] = POLICY_LOOKUP_FAILED;
			continue;
		}
		m->tax.wage_income_fen = f->wage_income_fen;
		m->tax.business_income_fen = f->business_income_fen;
		m->tax.property_income_fen = f->property_income_fen;
		m->tax.transfer_income_fen = f->transfer_income_fen;
		m->tax.excluded_income_fen = f->excluded_income_fen;
		m->tax.n_businesses = f->n_businesses;
		for (size_t b = 0; b < f->n_businesses; b++) {
			m->tax.businesses[b].registered_capital_fen =
			    f->businesses[b]->registered_capital_fen;
			if (!VERIFY_PARSE(policy_business_status,
			        f->businesses[b]->status,
			        &m->tax.businesses[b].status))
				m->lookup[POLICY_SOURCE_TAX] =
				    POLICY_LOOKUP_FAILED;
		}
	}
}

static void verify_take_property(policy_household *h,
    const Hedui__V1__PropertyLookupResponse *r, size_t first, size_t end)
{
	for (size_t i = first; i < end && i < r->n_persons; i++) {
		const Hedui__V1__PropertyFacts *f = r->persons[i];
		policy_member *m =
		    verify_header(h, f->person, POLICY_SOURCE_PROPERTY);
		if (m == NULL ||
		    m->lookup[POLICY_SOURCE_PROPERTY] != POLICY_LOOKUP_FOUND)
			continue;
		if (f->n_real_estate > POLICY_MAX_ITEMS ||
		    f->n_vehicles > POLICY_MAX_ITEMS) {
			m->lookup[POLICY_SOURCE_PROPERTY] =
			    POLICY_LOOKUP_FAILED;
			continue;
		}
		policy_property_facts *p = &m->property;
		p->n_real_estate = f->n_real_estate;
		for (size_t k = 0; k < f->n_real_estate; k++) {
			p->real_estate[k].area_centi_m2 =
			    f->real_estate[k]->area_centi_m2;
			p->real_estate[k].share_bps =
			    f->real_estate[k]->share_bps;
			if (!VERIFY_PARSE(policy_usage,
			        f->real_estate[k]->usage,
			        &p->real_estate[k].usage))
				m->lookup[POLICY_SOURCE_PROPERTY] =
				    POLICY_LOOKUP_FAILED;
		}
		p->n_vehicles = f->n_vehicles;
		for (size_t k = 0; k < f->n_vehicles; k++) {
			p->vehicles[k].value_fen = f->vehicles[k]->value_fen;
			if (!VERIFY_PARSE(policy_vehicle_kind,
			        f->vehicles[k]->kind, &p->vehicles[k].kind))
				m->lookup[POLICY_SOURCE_PROPERTY] =
				    POLICY_LOOKUP_FAILED;
		}
	}
}

const ProtobufCMessageDescriptor *verify_fanout_response_desc(
    policy_source src)
{
	return src < POLICY_SOURCE_COUNT ? verify_resp_desc[src] : NULL;
}

/* The persons of a response, and the header of the i-th. */
static size_t verify_resp_persons(policy_source src, const ProtobufCMessage *r)
{
	if (src == POLICY_SOURCE_BANK)
		return ((const Hedui__V1__BankLookupResponse *)r)->n_persons;
	if (src == POLICY_SOURCE_TAX)
		return ((const Hedui__V1__TaxLookupResponse *)r)->n_persons;
	return ((const Hedui__V1__PropertyLookupResponse *)r)->n_persons;
}

static const Hedui__V1__PersonHeader *verify_resp_header(
    policy_source src, const ProtobufCMessage *r, size_t i)
{
	if (src == POLICY_SOURCE_BANK)
		return ((const Hedui__V1__BankLookupResponse *)r)
		    ->persons[i]
		    ->person;
	if (src == POLICY_SOURCE_TAX)
		return ((const Hedui__V1__TaxLookupResponse *)r)
		    ->persons[i]
		    ->person;
	return ((const Hedui__V1__PropertyLookupResponse *)r)
	    ->persons[i]
	    ->person;
}

/* Applies persons [first, end) of a response of the right type. */
static void verify_take_range(policy_household *h, policy_source src,
    const ProtobufCMessage *resp, size_t first, size_t end)
{
	/* Anyone not named in the answer failed: a source must answer for
	 * every person it was asked about. */
	for (size_t m = 0; m < h->n_members; m++)
		h->members[m].lookup[src] = POLICY_LOOKUP_FAILED;
	if (src == POLICY_SOURCE_BANK)
		verify_take_bank(h,
		    (const Hedui__V1__BankLookupResponse *)resp, first, end);
	else if (src == POLICY_SOURCE_TAX)
		verify_take_tax(
		    h, (const Hedui__V1__TaxLookupResponse *)resp, first, end);
	else
		verify_take_property(h,
		    (const Hedui__V1__PropertyLookupResponse *)resp, first,
		    end);
}

static bool verify_resp_ok(policy_source src, const ProtobufCMessage *resp)
{
	return resp != NULL && src < POLICY_SOURCE_COUNT &&
	       resp->descriptor == verify_resp_desc[src];
}

void verify_fanout_take(
    policy_household *h, policy_source src, const ProtobufCMessage *resp)
{
	if (!verify_resp_ok(src, resp)) {
		for (size_t m = 0; m < h->n_members; m++)
			h->members[m].lookup[src] = POLICY_LOOKUP_FAILED;
		return;
	}
	verify_take_range(h, src, resp, 0, verify_resp_persons(src, resp));
}

size_t verify_fanout_take_at(policy_household *h, policy_source src,
    const ProtobufCMessage *resp, size_t at)
{
	if (!verify_resp_ok(src, resp)) {
		verify_fanout_take(h, src, resp);
		return at;
	}
	size_t n = verify_resp_persons(src, resp);
	bool here = at <= n && h->n_members <= n - at;
	for (size_t m = 0; here && m < h->n_members; m++) {
		const Hedui__V1__PersonHeader *ph =
		    verify_resp_header(src, resp, at + m);
		here = ph != NULL && ph->id_number != NULL &&
		       strcmp(ph->id_number, h->members[m].id_number) == 0;
	}
	if (!here) {
		/* Not in its place (a held household's persons are left
		 * out, or a source answers in another order): looked for
		 * everywhere, as a single answer is. */
		verify_take_range(h, src, resp, 0, n);
		return at;
	}
	verify_take_range(h, src, resp, at, at + h->n_members);
	return at + h->n_members;
}
