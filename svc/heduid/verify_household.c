/* SPDX-License-Identifier: MIT */
/*
 * The one path of a household from its decoded request to its durable
 * report (verify_household.h).
 */
#include "verify_household.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/supplemental/util/platform.h>
#include <openssl/sha.h>

#include "agency_sig.h"
#include "household.h"
#include "log.h"
#include "log_limit.h"
#include "log_mask.h"
#include "verdict_build.h"
#include "verify_internal.h"
#include "consent_service.h"
#include "verify_policy.h"
#include "verify_report_id.h"
#include "verify_pool.h"
#include "consent_form.h"
#include "stats_summary.h"

/* Households of at most this many members get a small facts block. Most
 * households are of 1 to 4; the full block (20 members) is ~92 KiB. */
#define VERIFY_FACTS_SMALL_MEMBERS 4

/* verify_judge's working space, recycled through vs->scratch. */
typedef struct verify_scratch {
	policy_verdict pv;
	verdict_doc doc;
} verify_scratch;

/* One household in progress: owned by this file until done has run. */
typedef struct verify_one {
	verify_service *vs;
	verify_household_args a;
	Hedui__V1__Household *hh;
	/* The facts the sources fill, sized for the household's members
	 * (the engine reads members[0..n_members) only): from
	 * vs->facts_small or vs->facts_full. NULL once judged. */
	policy_household *h;
	verify_pool *h_pool;
	policy_params params;
	char version[POLICY_VERSION_SIZE];
	household_norm norm;
	uint64_t started_ms;
	char request_id[72]; /* the idempotency key's, with the agency
	                        and region */
	char log_rid[80];    /* request_id as logs may show it */
	uint8_t hh_hash[STORE_HASH_LEN];
	char persons[STORE_PERSONS_MAX];
	bool released;
	consent_check_result consent; /* the consents used */
	store_report rep; /* the report, until stored; or the stored one */
	char message[512];
} verify_one;

hd_err verify_household_pools_alloc(verify_service *vs)
{
	size_t small = policy_household_size(VERIFY_FACTS_SMALL_MEMBERS);
	vs->ones = verify_pool_alloc(sizeof(verify_one), 256);
	vs->scratch = verify_pool_alloc(sizeof(verify_scratch), 32);
	vs->facts_small = verify_pool_alloc(small, 256);
	vs->facts_full =
	    verify_pool_alloc(policy_household_size(POLICY_MAX_MEMBERS), 32);
	if (vs->ones == NULL || vs->scratch == NULL ||
	    vs->facts_small == NULL || vs->facts_full == NULL)
		return HD_ENOMEM;
	return HD_OK;
}

void verify_household_pools_free(verify_service *vs)
{
	verify_pool_free(vs->ones);
	verify_pool_free(vs->scratch);
	verify_pool_free(vs->facts_small);
	verify_pool_free(vs->facts_full);
	vs->ones = vs->scratch = vs->facts_small = vs->facts_full = NULL;
}

/* The facts go back; the caller hears that the large memory is free. */
static void verify_one_release(verify_one *o)
{
	if (o->h != NULL) {
		verify_pool_give(o->h_pool, o->h);
		o->h = NULL;
	}
	if (!o->released) {
		o->released = true;
		if (o->a.released != NULL)
			o->a.released(o->a.arg);
	}
}

/* Answers the caller and frees o. */
static void verify_one_finish(verify_one *o, rpc_code code)
{
	verify_one_release(o);
	/* Before done: the caller may let go of what it was decoded into
	 * (a batch's arena) once it has its last outcome. */
	if (o->hh != NULL)
		hedui__v1__household__free_unpacked(o->hh, o->a.hh_allocator);
	o->hh = NULL;
	verify_household_result res = {
	    .code = code,
	    .message = code == RPC_OK ? "" : o->message,
	    .report = code == RPC_OK ? &o->rep : NULL,
	};
	o->a.done(&res, o->a.arg);
	store_report_clear(&o->rep);
	verify_pool_give(o->vs->ones, o);
}

static void verify_one_fail(verify_one *o, rpc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void verify_one_fail(verify_one *o, rpc_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->message, sizeof o->message, fmt, ap);
	va_end(ap);
	verify_one_finish(o, code);
}

static void verify_one_refuse(verify_one *o, rpc_code code,
    const char *report_id, const char *persons, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A refusal is on the audit trail before the caller hears it: the record
 * (report_id and persons as far as they are known, "" otherwise), then
 * the answer, as verify_one_fail. */
static void verify_one_refuse(verify_one *o, rpc_code code,
    const char *report_id, const char *persons, const char *fmt, ...)
{
	verify_audit(o->vs, o->a.call, o->a.who->subject, o->hh->case_id,
	    report_id, persons, code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->message, sizeof o->message, fmt, ap);
	va_end(ap);
	verify_one_finish(o, code);
}

/* src into dst (cap bytes), cut if need be, always terminated: what
 * snprintf("%s") does, without its formatting machinery. */
static void verify_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static log_level verify_one_level(const verify_one *o)
{
	return o->a.quiet ? LOG_LVL_DEBUG : LOG_LVL_INFO;
}

#define VERIFY_ALREADY_EXISTS                                                 \
	"request_id \"%s\" was already used by this agency for another "      \
	"household (report %s)"

static void verify_already_exists(verify_one *o, const char *report_id)
{
	verify_one_fail(o, RPC_ALREADY_EXISTS, VERIFY_ALREADY_EXISTS,
	    o->request_id, report_id);
}

/* The request names a report whose content retention purged: there is
 * nothing to answer with, and a new report under its key would make two
 * reports of one request. */
static void verify_purged(verify_one *o, const store_report *r)
{
	char on[11];
	consent_date_format(consent_date_of_ms(r->purged_ms), on);
	verify_one_fail(o, RPC_FAILED_PRECONDITION,
	    "request_id \"%s\" names report %s, whose content was purged on "
	    "%s (retention); a new check needs a new request_id",
	    o->request_id, r->report_id, on);
}

/* The store's answer: the report is durable (or was already). */
static void verify_stored(hd_err err, store_report *stored, void *arg)
{
	verify_one *o = arg;
	if (err == HD_OK) {
		log_event(verify_one_level(o), "verify.done",
		    "request_id=\"%s\" report_id=%s agency=\"%s\" region=%s "
		    "members=%zu ms=%llu",
		    o->log_rid, o->rep.report_id, o->a.who->name,
		    o->hh->region_code, o->hh->n_members,
		    (unsigned long long)(nng_clock() - o->started_ms));
	} else if (err == HD_EEXIST && stored->purged_ms != 0 &&
	           memcmp(stored->household_hash, o->hh_hash,
	               STORE_HASH_LEN) == 0) {
		verify_purged(o, stored);
		return;
	} else if (err == HD_EEXIST && memcmp(stored->household_hash,
	                                   o->hh_hash, STORE_HASH_LEN) == 0) {
		/* A concurrent retry won the race: its report is the one. */
		log_event(verify_one_level(o), "verify.retry",
		    "request_id=\"%s\" report_id=%s agency=\"%s\"", o->log_rid,
		    stored->report_id, o->a.who->name);
	} else if (err == HD_EEXIST) {
		verify_already_exists(o, stored->report_id);
		return;
	} else if (err == HD_ECRYPTO) {
		verify_one_fail(o, RPC_INTERNAL, "cannot sign the report");
		return;
	} else {
		verify_store_failure(err, o->message, sizeof o->message);
		verify_one_finish(o, RPC_UNAVAILABLE);
		return;
	}
	/* The report as committed, with the seal's signature and proof. */
	store_report_clear(&o->rep);
	o->rep = *stored;
	stored->report = NULL;
	stored->proof = NULL;
	verify_one_finish(o, RPC_OK);
}

/* The sources have answered (or failed): judge, build the report, and
 * store it; the caller hears once it is durable. */
static void verify_judge(policy_household *h, void *arg)
{
	verify_one *o = arg;
	verify_service *vs = o->vs;
	verify_scratch *scratch = verify_pool_take(vs->scratch);
	store_report *rep = &o->rep;

	if (scratch == NULL) {
		verify_one_fail(o, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	policy_verdict *pv = &scratch->pv;
	verdict_doc *doc = &scratch->doc;
	policy_evaluate(&o->params, h, pv);
	/* No randomness, no report: an id with a fixed suffix could meet
	 * another process's (a restart with the clock set back). Nothing is
	 * stored yet, so the caller may simply ask again. */
	if (verify_report_id_make(rep->report_id) != HD_OK) {
		verify_pool_give(vs->scratch, scratch);
		verify_one_fail(
		    o, RPC_UNAVAILABLE, "no randomness for a report id");
		return;
	}
	verdict_context ctx = {
	    .report_id = rep->report_id,
	    .case_id = o->hh->case_id,
	    .request_id = o->request_id,
	    .region_code = o->hh->region_code,
	    .agency = o->a.who->name,
	    .agency_subject = o->a.who->subject,
	    .policy_version = o->version,
	    .as_of = o->norm.as_of,
	    .generated_at_ms = agency_sig_now_ms(),
	    .consents = o->consent.numbers,
	    .n_consents = o->consent.n_numbers,
	    .consent_check = o->consent.checked ? "registry" : "unchecked",
	};
	verdict_build(doc, h, pv, &ctx);
	size_t len = hedui__v1__verdict__get_packed_size(&doc->v);
	if ((rep->report = malloc(len > 0 ? len : 1)) == NULL) {
		verify_pool_give(vs->scratch, scratch);
		verify_one_fail(o, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	rep->report_len = hedui__v1__verdict__pack(&doc->v, rep->report);
	log_event(verify_one_level(o), "verify.judged",
	    "request_id=\"%s\" report_id=%s program=%s conclusion=%s "
	    "category=%s",
	    o->log_rid, rep->report_id, doc->v.program, doc->v.conclusion,
	    doc->v.category);
	/* What hedui stats counts, committed with the report. */
	stats_summary_of(&doc->v, &rep->summary);
	verify_pool_give(vs->scratch, scratch);
	/* The facts are no longer needed: the next household may have the
	 * memory while this report waits for its commit. */
	verify_one_release(o);
	/* Signed by the store's seal, with the reports committed with it
	 * (verify_seal, report_sig.h). */
	verify_copy(rep->agency, sizeof rep->agency, o->a.who->subject);
	verify_copy(rep->region, sizeof rep->region, o->hh->region_code);
	verify_copy(rep->request_id, sizeof rep->request_id, o->request_id);
	memcpy(rep->household_hash, o->hh_hash, STORE_HASH_LEN);
	verify_copy(rep->persons, sizeof rep->persons, o->persons);
	rep->created_ms = ctx.generated_at_ms;
	store_audit a = verify_audit_of(o->a.call, o->a.who->subject,
	    o->hh->case_id, rep->report_id, o->persons, RPC_OK);
	a.consents = o->consent.used;
	store_put_report_async(vs->store, rep, &a, verify_stored, o);
}

/* The existing report's reading is on record: answer it. */
static void verify_existing_audited(
    hd_err err, store_report *stored, void *arg)
{
	(void)stored;
	verify_one *o = arg;
	if (err != HD_OK) {
		verify_store_failure(err, o->message, sizeof o->message);
		verify_one_finish(o, RPC_UNAVAILABLE);
		return;
	}
	verify_one_finish(o, RPC_OK);
}

/* The key was used before: the same household gets its report again,
 * another one ALREADY_EXISTS. prev is taken. */
static void verify_answer_existing(verify_one *o, store_report *prev)
{
	verify_service *vs = o->vs;
	if (memcmp(prev->household_hash, o->hh_hash, STORE_HASH_LEN) != 0) {
		verify_one_refuse(o, RPC_ALREADY_EXISTS, prev->report_id,
		    o->persons, VERIFY_ALREADY_EXISTS, o->request_id,
		    prev->report_id);
		store_report_clear(prev);
		return;
	}
	if (prev->purged_ms != 0) {
		verify_audit(vs, o->a.call, o->a.who->subject, o->hh->case_id,
		    prev->report_id, o->persons, RPC_FAILED_PRECONDITION);
		verify_purged(o, prev);
		store_report_clear(prev);
		return;
	}
	log_event(verify_one_level(o), "verify.retry",
	    "request_id=\"%s\" report_id=%s agency=\"%s\"", o->log_rid,
	    prev->report_id, o->a.who->name);
	o->rep = *prev;
	verify_one_release(o);
	/* No report leaves before its reading is on record. */
	store_audit a = verify_audit_of(o->a.call, o->a.who->subject,
	    o->hh->case_id, prev->report_id, o->persons, RPC_OK);
	a.consents = o->consent.used;
	store_append_audit_async(vs->store, &a, verify_existing_audited, o);
}

/* The request's facts as the rules engine sees them, in a block sized
 * for its members. NULL when out of memory. */
static policy_household *verify_facts(verify_one *o)
{
	const Hedui__V1__Household *hh = o->hh;
	verify_service *vs = o->vs;
	o->h_pool = hh->n_members <= VERIFY_FACTS_SMALL_MEMBERS
	                ? vs->facts_small
	                : vs->facts_full;
	policy_household *h = verify_pool_take(o->h_pool);
	if (h == NULL)
		return NULL;
	/* A recycled block: the household is its members, no more. */
	memset(h, 0, policy_household_size(hh->n_members));
	snprintf(h->region_code, sizeof h->region_code, "%s", hh->region_code);
	policy_area_parse(hh->area, &h->area);
	policy_program_parse(hh->program, &h->program);
	h->as_of = o->norm.as_of;
	h->currently_enrolled = hh->currently_enrolled;
	h->monthly_rigid_expense_fen = hh->monthly_rigid_expense_fen;
	h->n_members = hh->n_members;
	for (size_t i = 0; i < hh->n_members; i++) {
		policy_member *m = &h->members[i];
		memcpy(m->id_number, o->norm.ids[i], sizeof m->id_number);
		policy_relation_parse(hh->members[i]->relation, &m->relation);
		m->severe_disability = hh->members[i]->severe_disability;
		m->severe_illness = hh->members[i]->severe_illness;
		m->has_able_supporter = hh->members[i]->has_able_supporter;
	}
	o->h = h;
	return h;
}

void verify_household_run(verify_service *vs, const verify_household_args *a)
{
	household_problem prob;
	verify_one *o = verify_pool_take(vs->ones);
	if (o == NULL) {
		hedui__v1__household__free_unpacked(a->hh, a->hh_allocator);
		if (a->released != NULL)
			a->released(a->arg);
		verify_household_result res = {.code = RPC_RESOURCE_EXHAUSTED,
		    .message = "out of memory"};
		a->done(&res, a->arg);
		return;
	}
	memset(o, 0, sizeof *o);
	o->vs = vs;
	o->a = *a;
	o->hh = a->hh;
	o->started_ms = nng_clock();
	rpc_call *call = a->call;
	const agency_identity *who = a->who;
	Hedui__V1__Household *hh = o->hh;

	if (!household_check(hh, idnum_date_today(), &o->norm, &prob)) {
		/* The IDs may be what is wrong: no persons on record. */
		verify_one_refuse(
		    o, prob.code, "", "", "%s %s", prob.field, prob.reason);
		return;
	}
	verify_persons(
	    vs, &o->norm, hh->n_members, o->persons, sizeof o->persons);
	if (!agency_auth_covers(who, hh->region_code)) {
		char rid[80];
		static log_limit denied_log =
		    LOG_LIMIT_INIT("verify.refused", 20, 10000);
		log_limited(&denied_log, LOG_LVL_WARN,
		    "request_id=\"%s\" code=%s agency=\"%s\" agency_region=%s "
		    "region=%s",
		    log_mask_client(hh->request_id[0] != '\0'
		                        ? hh->request_id
		                        : rpc_call_request_id(call),
		        rid, sizeof rid),
		    rpc_code_name(RPC_PERMISSION_DENIED), who->name,
		    who->region_prefix, hh->region_code);
		verify_one_refuse(o, RPC_PERMISSION_DENIED, "", o->persons,
		    "agency with region prefix %s may not verify households "
		    "of region %s",
		    who->region_prefix, hh->region_code);
		return;
	}
	/* 先授权、后核对: the registered consents, after the household is
	 * known valid and ours, before any source is asked; in a batch, a
	 * refused household is that household's outcome alone. */
	if (consent_check_household(vs->consents, hh, &o->norm,
	        idnum_date_today(), &o->consent) != RPC_OK) {
		consent_verify_refused(
		    vs, call, who, hh->case_id, o->persons, &o->consent);
		verify_one_fail(o, o->consent.code, "%s", o->consent.message);
		return;
	}
	if (verify_policy_resolve(vs->policies, hh->region_code, o->norm.as_of,
	        &o->params, o->version) != HD_OK) {
		verify_one_refuse(o, RPC_INTERNAL, "", o->persons,
		    "no policy for the region");
		return;
	}
	if (!store_healthy(vs->store)) {
		verify_one_fail(o, RPC_UNAVAILABLE, "%s", VERIFY_STORE_DOWN);
		return;
	}
	/* Idempotency: agency (its whole subject: one CN under two OUs is
	 * two agencies), region and request_id name one report. */
	verify_copy(o->request_id, sizeof o->request_id,
	    hh->request_id[0] != '\0' || a->request_id_default == NULL
	        ? hh->request_id
	        : a->request_id_default);
	log_mask_client(o->request_id, o->log_rid, sizeof o->log_rid);
	SHA256(a->bytes, a->len, o->hh_hash);
	store_report prev;
	hd_err e = store_find_by_request(
	    vs->store, who->subject, hh->region_code, o->request_id, &prev);
	if (e == HD_OK) {
		verify_answer_existing(o, &prev);
		return;
	}
	if (e != HD_ENOTFOUND) {
		verify_store_failure(e, o->message, sizeof o->message);
		verify_one_finish(o, RPC_UNAVAILABLE);
		return;
	}
	policy_household *h = verify_facts(o);
	if (h == NULL) {
		verify_one_fail(o, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	nng_time now = nng_clock();
	uint32_t budget = a->sources_deadline > now
	                      ? (uint32_t)(a->sources_deadline - now)
	                      : 1;
	if (verify_fanout_start(vs->sources, h, hh->as_of, hh->case_id, budget,
	        verify_judge, o) != HD_OK)
		verify_one_fail(o, RPC_RESOURCE_EXHAUSTED, "out of memory");
}
