#include "verify_fanout.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hedui/v1/source.pb-c.h"
#include "log.h"
#include "rpc_client.h"

struct verify_sources {
	rpc_client *clients[POLICY_SOURCE_COUNT];
};

typedef struct verify_job verify_job;

typedef struct verify_leg {
	verify_job *job;
	policy_source source;
} verify_leg;

struct verify_job {
	policy_household *h;
	atomic_int pending;
	verify_fanout_done_fn done;
	void *arg;
	verify_leg legs[POLICY_SOURCE_COUNT];
};

static const char *const verify_methods[POLICY_SOURCE_COUNT] = {
	[POLICY_SOURCE_BANK] = "hedui.v1.BankSource/Lookup",
	[POLICY_SOURCE_TAX] = "hedui.v1.TaxSource/Lookup",
	[POLICY_SOURCE_PROPERTY] = "hedui.v1.PropertySource/Lookup",
};

static const ProtobufCMessageDescriptor *const
    verify_resp_desc[POLICY_SOURCE_COUNT] = {
	    [POLICY_SOURCE_BANK] = &hedui__v1__bank_lookup_response__descriptor,
	    [POLICY_SOURCE_TAX] = &hedui__v1__tax_lookup_response__descriptor,
	    [POLICY_SOURCE_PROPERTY] =
	        &hedui__v1__property_lookup_response__descriptor,
};

verify_sources *verify_sources_alloc(
    const char *const urls[POLICY_SOURCE_COUNT], const tls_opts *tls)
{
	verify_sources *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	for (int i = 0; i < POLICY_SOURCE_COUNT; i++) {
		if (urls[i] == NULL || urls[i][0] == '\0') {
			log_warn("fanout.source", "source=%s configured=no",
			    policy_source_name((policy_source)i));
			continue;
		}
		rpc_client_opts o = {.url = urls[i], .tls = *tls,
		    .recv_max_bytes = 4 * 1024 * 1024};
		s->clients[i] = rpc_client_alloc(&o);
		if (s->clients[i] == NULL) {
			verify_sources_free(s);
			return NULL;
		}
	}
	return s;
}

void verify_sources_free(verify_sources *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < POLICY_SOURCE_COUNT; i++)
		rpc_client_free(s->clients[i]);
	free(s);
}

static void verify_leg_fail_all(verify_job *job, policy_source src)
{
	for (size_t m = 0; m < job->h->n_members; m++)
		job->h->members[m].lookup[src] = POLICY_LOOKUP_FAILED;
}

static policy_member *verify_member(policy_household *h, const char *id)
{
	for (size_t m = 0; m < h->n_members; m++)
		if (id != NULL && strcmp(h->members[m].id_number, id) == 0)
			return &h->members[m];
	return NULL;
}

/* The header of one person's answer: which member, and found or not.
 * NULL when the answer names nobody we asked about. */
static policy_member *verify_header(policy_household *h,
    const Hedui__V1__PersonHeader *ph, policy_source src)
{
	if (ph == NULL)
		return NULL;
	policy_member *m = verify_member(h, ph->id_number);
	if (m == NULL)
		return NULL;
	if (ph->status != NULL && ph->status->code != HEDUI__V1__STATUS_CODE__OK)
		m->lookup[src] = POLICY_LOOKUP_FAILED;
	else
		m->lookup[src] =
		    ph->found ? POLICY_LOOKUP_FOUND : POLICY_LOOKUP_NOT_FOUND;
	return m;
}

/* Too many items, or a name we don't know: the answer is malformed. */
#define VERIFY_PARSE(kind_fn, text, out)                                    \
	(kind_fn##_parse((text), (out)))

static void verify_take_bank(
    policy_household *h, const Hedui__V1__BankLookupResponse *r)
{
	for (size_t i = 0; i < r->n_persons; i++) {
		const Hedui__V1__BankFacts *f = r->persons[i];
		policy_member *m = verify_header(h, f->person, POLICY_SOURCE_BANK);
		if (m == NULL || m->lookup[POLICY_SOURCE_BANK] != POLICY_LOOKUP_FOUND)
			continue;
		if (f->n_accounts > POLICY_MAX_ITEMS) {
			m->lookup[POLICY_SOURCE_BANK] = POLICY_LOOKUP_FAILED;
			continue;
		}
		m->bank.n_accounts = f->n_accounts;
		for (size_t a = 0; a < f->n_accounts; a++) {
			m->bank.accounts[a].balance_fen = f->accounts[a]->balance_fen;
			if (!VERIFY_PARSE(policy_account_kind, f->accounts[a]->kind,
			        &m->bank.accounts[a].kind))
				m->lookup[POLICY_SOURCE_BANK] = POLICY_LOOKUP_FAILED;
		}
	}
}

static void verify_take_tax(
    policy_household *h, const Hedui__V1__TaxLookupResponse *r)
{
	for (size_t i = 0; i < r->n_persons; i++) {
		const Hedui__V1__TaxFacts *f = r->persons[i];
		policy_member *m = verify_header(h, f->person, POLICY_SOURCE_TAX);
		if (m == NULL || m->lookup[POLICY_SOURCE_TAX] != POLICY_LOOKUP_FOUND)
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
				m->lookup[POLICY_SOURCE_TAX] = POLICY_LOOKUP_FAILED;
		}
	}
}

static void verify_take_property(
    policy_household *h, const Hedui__V1__PropertyLookupResponse *r)
{
	for (size_t i = 0; i < r->n_persons; i++) {
		const Hedui__V1__PropertyFacts *f = r->persons[i];
		policy_member *m =
		    verify_header(h, f->person, POLICY_SOURCE_PROPERTY);
		if (m == NULL ||
		    m->lookup[POLICY_SOURCE_PROPERTY] != POLICY_LOOKUP_FOUND)
			continue;
		if (f->n_real_estate > POLICY_MAX_ITEMS ||
		    f->n_vehicles > POLICY_MAX_ITEMS) {
			m->lookup[POLICY_SOURCE_PROPERTY] = POLICY_LOOKUP_FAILED;
			continue;
		}
		policy_property_facts *p = &m->property;
		p->n_real_estate = f->n_real_estate;
		for (size_t k = 0; k < f->n_real_estate; k++) {
			p->real_estate[k].area_centi_m2 =
			    f->real_estate[k]->area_centi_m2;
			p->real_estate[k].share_bps = f->real_estate[k]->share_bps;
			if (!VERIFY_PARSE(policy_usage, f->real_estate[k]->usage,
			        &p->real_estate[k].usage))
				m->lookup[POLICY_SOURCE_PROPERTY] =
				    POLICY_LOOKUP_FAILED;
		}
		p->n_vehicles = f->n_vehicles;
		for (size_t k = 0; k < f->n_vehicles; k++) {
			p->vehicles[k].value_fen = f->vehicles[k]->value_fen;
			if (!VERIFY_PARSE(policy_vehicle_kind, f->vehicles[k]->kind,
			        &p->vehicles[k].kind))
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

void verify_fanout_take(
    policy_household *h, policy_source src, const ProtobufCMessage *resp)
{
	/* Anyone not named in the answer failed: a source must answer for
	 * every person it was asked about. */
	for (size_t m = 0; m < h->n_members; m++)
		h->members[m].lookup[src] = POLICY_LOOKUP_FAILED;
	if (resp == NULL || src >= POLICY_SOURCE_COUNT ||
	    resp->descriptor != verify_resp_desc[src])
		return;
	if (src == POLICY_SOURCE_BANK)
		verify_take_bank(h, (const Hedui__V1__BankLookupResponse *)resp);
	else if (src == POLICY_SOURCE_TAX)
		verify_take_tax(h, (const Hedui__V1__TaxLookupResponse *)resp);
	else
		verify_take_property(
		    h, (const Hedui__V1__PropertyLookupResponse *)resp);
}

static void verify_job_leg_done(verify_job *job)
{
	if (atomic_fetch_sub(&job->pending, 1) != 1)
		return;
	verify_fanout_done_fn done = job->done;
	void *arg = job->arg;
	policy_household *h = job->h;
	free(job);
	done(h, arg);
}

static void verify_leg_cb(rpc_code code, const rpc_status *st,
    ProtobufCMessage *resp, void *arg)
{
	verify_leg *leg = arg;
	verify_job *job = leg->job;
	policy_source src = leg->source;
	policy_household *h = job->h;

	if (code != RPC_OK) {
		verify_leg_fail_all(job, src);
		log_warn("fanout.leg", "source=%s code=%s message=\"%s\"",
		    policy_source_name(src), rpc_code_name(code), st->message);
	} else {
		verify_fanout_take(h, src, resp);
	}
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	verify_job_leg_done(job);
}

hd_err verify_fanout_start(verify_sources *s, policy_household *h,
    const char *as_of, const char *case_ref, uint32_t deadline_ms,
    verify_fanout_done_fn done, void *arg)
{
	verify_job *job = calloc(1, sizeof *job);
	if (job == NULL)
		return HD_ENOMEM;
	job->h = h;
	job->done = done;
	job->arg = arg;
	char *ids[POLICY_MAX_MEMBERS];
	for (size_t m = 0; m < h->n_members; m++)
		ids[m] = h->members[m].id_number;
	Hedui__V1__LookupRequest req = HEDUI__V1__LOOKUP_REQUEST__INIT;
	req.id_numbers = ids;
	req.n_id_numbers = h->n_members;
	req.as_of = (char *)as_of;
	req.case_ref = (char *)case_ref;
	rpc_call_opts opts = {.deadline_ms = deadline_ms > 0 ? deadline_ms : 1};

	/* One extra count held while starting, so that no leg finishing early
	 * frees the job under us. */
	atomic_init(&job->pending, POLICY_SOURCE_COUNT + 1);
	for (int i = 0; i < POLICY_SOURCE_COUNT; i++) {
		verify_leg *leg = &job->legs[i];
		leg->job = job;
		leg->source = (policy_source)i;
		hd_err err = HD_EUNAVAIL;
		if (s->clients[i] != NULL)
			err = rpc_client_call_async(s->clients[i],
			    verify_methods[i], &req.base, verify_resp_desc[i],
			    &opts, verify_leg_cb, leg);
		if (err != HD_OK) {
			verify_leg_fail_all(job, (policy_source)i);
			verify_job_leg_done(job);
		}
	}
	verify_job_leg_done(job);
	return HD_OK;
}
