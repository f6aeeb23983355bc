#include "verify_service.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "agency_sig.h"
#include "hedui/v1/verifier.pb-c.h"
#include "log.h"
#include "log_limit.h"
#include "log_mask.h"
#include "pb_strcheck.h"
#include "verdict_build.h"
#include "verify_internal.h"
#include "verify_pool.h"

_Static_assert(STORE_AGENCY_MAX >= RPC_PEER_SUBJECT_MAX,
    "a report keeps its agency's whole subject");

/* verify_finish's working space, recycled through vs->scratch. */
typedef struct verify_scratch {
	policy_verdict pv;
	verdict_doc doc;
} verify_scratch;

/* One verification in progress: owned by the handler until the reply. */
typedef struct verify_request {
	verify_service *vs;
	rpc_call *call;
	Hedui__V1__Household *hh;
	policy_household h;
	policy_params params;
	char version[POLICY_VERSION_SIZE];
	agency_identity who;
	household_norm norm;
	uint64_t started_ms;
	char request_id[72]; /* the idempotency key's, with the agency
	                        and region */
	char log_rid[80];    /* request_id as logs may show it */
	uint8_t hh_hash[STORE_HASH_LEN];
	char persons[STORE_PERSONS_MAX];
	store_report rep; /* the signed report, until stored */
} verify_request;

verify_service *verify_service_alloc(
    const verify_service_opts *o, char *err, size_t errlen)
{
	verify_service *vs = calloc(1, sizeof *vs);
	if (vs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((vs->auth = agency_auth_alloc(
	         o->ca_file, o->crl_file, err, errlen)) == NULL)
		goto fail;
	if (policy_book_load(o->policy_file, &vs->book, err, errlen) != HD_OK)
		goto fail;
	if ((vs->signer = report_signer_load(
	         o->sign_key, o->sign_key_password, err, errlen)) == NULL)
		goto fail;
	if ((vs->requests = verify_pool_alloc(sizeof(verify_request), 128)) ==
	        NULL ||
	    (vs->scratch = verify_pool_alloc(sizeof(verify_scratch), 128)) ==
	        NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((vs->sources = verify_sources_alloc(o->source_urls,
	         o->source_peers, &o->source_tls, o->source_batch_max)) ==
	    NULL) {
		snprintf(err, errlen, "cannot set up the source connections");
		goto fail;
	}
	if (verify_store_open(vs, o, err, errlen) != HD_OK)
		goto fail;
	return vs;
fail:
	verify_service_free(vs);
	return NULL;
}

void verify_service_free(verify_service *vs)
{
	if (vs == NULL)
		return;
	verify_service_stop(vs);
	verify_sources_free(vs->sources);
	report_signer_free(vs->signer);
	policy_book_free(vs->book);
	agency_auth_free(vs->auth);
	/* After verify_service_stop: the calls it answered gave their
	 * blocks back. */
	verify_pool_free(vs->requests);
	verify_pool_free(vs->scratch);
	free(vs);
}

void verify_service_stop(verify_service *vs)
{
	store *st = vs->store;
	/* The last interval's refusal counts go into the queue first. */
	verify_refusals_free(vs->refusals);
	vs->refusals = NULL;
	/* Commits everything queued; the callbacks answer their calls. */
	store_close(st);
	vs->store = NULL;
	__atomic_store_n(&vs->srv, NULL, __ATOMIC_SEQ_CST);
}

static void verify_request_free(verify_request *r)
{
	if (r == NULL)
		return;
	store_report_clear(&r->rep);
	if (r->hh != NULL)
		hedui__v1__household__free_unpacked(r->hh, NULL);
	verify_pool_give(r->vs->requests, r);
}

/* Whether s holds LOG_MASK_MIN_RUN or more decimal digits in a row. */
static bool verify_digit_run(const char *s)
{
	int run = 0;
	for (; *s != '\0'; s++) {
		run = *s >= '0' && *s <= '9' ? run + 1 : 0;
		if (run >= LOG_MASK_MIN_RUN)
			return true;
	}
	return false;
}

static void verify_report_id(char out[40])
{
	unsigned char rnd[8];
	idnum_date today = idnum_date_today();
	char buf[64];
	/* A random part of 15 digits or more in a row (one in about 2000)
	 * would be masked in logs as if it were an ID number (log_mask.h):
	 * drawn again. */
	for (int tries = 0; tries < 8; tries++) {
		if (RAND_bytes(rnd, sizeof rnd) != 1)
			memset(rnd, 0xab, sizeof rnd);
		snprintf(buf, sizeof buf,
		    "HD-%08d-%02x%02x%02x%02x%02x%02x%02x%02x",
		    today % 100000000, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
		    rnd[5], rnd[6], rnd[7]);
		if (!verify_digit_run(buf + 12))
			break;
	}
	memcpy(out, buf, 39);
	out[39] = '\0';
}

/* The store's answer: the report is durable (or was already). */
static void verify_stored(hd_err err, store_report *existing, void *arg)
{
	verify_request *r = arg;
	if (err == HD_OK) {
		log_info("verify.done",
		    "request_id=\"%s\" report_id=%s agency=\"%s\" region=%s "
		    "members=%zu ms=%llu",
		    r->log_rid, r->rep.report_id, r->who.name,
		    r->hh->region_code, r->hh->n_members,
		    (unsigned long long)(nng_clock() - r->started_ms));
		verify_reply_stored(r->call, &r->rep);
	} else if (err == HD_EEXIST && memcmp(existing->household_hash,
	                                   r->hh_hash, STORE_HASH_LEN) == 0) {
		/* A concurrent retry won the race: its report is the one. */
		log_info("verify.retry",
		    "request_id=\"%s\" report_id=%s "
		    "agency=\"%s\"",
		    r->log_rid, existing->report_id, r->who.name);
		verify_reply_stored(r->call, existing);
	} else if (err == HD_EEXIST) {
		rpc_call_fail(r->call, RPC_ALREADY_EXISTS,
		    "request_id \"%s\" was already used by this agency for "
		    "another household (report %s)",
		    r->request_id, existing->report_id);
	} else {
		verify_fail_store(r->call, err);
	}
	verify_request_free(r);
}

/* The sources have answered (or failed): judge, sign, store, and reply
 * once the report is durable. */
static void verify_finish(policy_household *h, void *arg)
{
	verify_request *r = arg;
	verify_service *vs = r->vs;
	verify_scratch *scratch = verify_pool_take(vs->scratch);
	policy_verdict *pv = scratch != NULL ? &scratch->pv : NULL;
	verdict_doc *doc = scratch != NULL ? &scratch->doc : NULL;
	store_report *rep = &r->rep;

	if (pv == NULL || doc == NULL) {
		rpc_call_fail(
		    r->call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	policy_evaluate(&r->params, h, pv);
	verify_report_id(rep->report_id);
	verdict_context ctx = {
	    .report_id = rep->report_id,
	    .case_id = r->hh->case_id,
	    .request_id = r->request_id,
	    .region_code = r->hh->region_code,
	    .agency = r->who.name,
	    .agency_subject = r->who.subject,
	    .policy_version = r->version,
	    .as_of = r->norm.as_of,
	    .generated_at_ms = agency_sig_now_ms(),
	};
	verdict_build(doc, h, pv, &ctx);
	size_t len = hedui__v1__verdict__get_packed_size(&doc->v);
	if ((rep->report = malloc(len > 0 ? len : 1)) == NULL) {
		rpc_call_fail(
		    r->call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	rep->report_len = hedui__v1__verdict__pack(&doc->v, rep->report);
	if (report_signer_sign(vs->signer, rep->report, rep->report_len,
	        rep->sig, &rep->sig_len) != HD_OK) {
		rpc_call_fail(r->call, RPC_INTERNAL, "cannot sign the report");
		goto fail;
	}
	snprintf(rep->agency, sizeof rep->agency, "%s", r->who.subject);
	snprintf(rep->region, sizeof rep->region, "%s", r->hh->region_code);
	snprintf(rep->request_id, sizeof rep->request_id, "%s", r->request_id);
	memcpy(rep->household_hash, r->hh_hash, STORE_HASH_LEN);
	snprintf(rep->persons, sizeof rep->persons, "%s", r->persons);
	rep->created_ms = ctx.generated_at_ms;
	log_info("verify.judged",
	    "request_id=\"%s\" report_id=%s program=%s conclusion=%s "
	    "category=%s",
	    r->log_rid, rep->report_id, doc->v.program, doc->v.conclusion,
	    doc->v.category);
	verify_pool_give(vs->scratch, scratch);
	store_audit a = verify_audit_of(r->call, r->who.subject,
	    r->hh->case_id, rep->report_id, r->persons, RPC_OK);
	store_put_report_async(vs->store, rep, &a, verify_stored, r);
	return;
fail:
	verify_pool_give(vs->scratch, scratch);
	verify_request_free(r);
}

/* The key was used before: the same household gets its report again,
 * another one ALREADY_EXISTS. prev is taken. */
static void verify_answer_existing(verify_request *r, store_report *prev)
{
	verify_service *vs = r->vs;
	if (memcmp(prev->household_hash, r->hh_hash, STORE_HASH_LEN) != 0) {
		verify_audit(vs, r->call, r->who.subject, r->hh->case_id,
		    prev->report_id, r->persons, RPC_ALREADY_EXISTS);
		rpc_call_fail(r->call, RPC_ALREADY_EXISTS,
		    "request_id \"%s\" was already used by this agency for "
		    "another household (report %s)",
		    r->request_id, prev->report_id);
		store_report_clear(prev);
		return;
	}
	log_info("verify.retry",
	    "request_id=\"%s\" report_id=%s "
	    "agency=\"%s\"",
	    r->log_rid, prev->report_id, r->who.name);
	store_audit a = verify_audit_of(r->call, r->who.subject,
	    r->hh->case_id, prev->report_id, r->persons, RPC_OK);
	verify_reply_after_audit(vs, r->call, &a, prev);
}

/* The request's facts as the rules engine sees them. */
static void verify_fill_household(verify_request *r)
{
	const Hedui__V1__Household *hh = r->hh;
	policy_household *h = &r->h;
	/* The members past n_members are never read: zeroing all 20 was a
	 * visible cost. */
	memset(h, 0,
	    offsetof(policy_household, members) +
	        hh->n_members * sizeof h->members[0]);
	snprintf(h->region_code, sizeof h->region_code, "%s", hh->region_code);
	policy_area_parse(hh->area, &h->area);
	policy_program_parse(hh->program, &h->program);
	h->as_of = r->norm.as_of;
	h->currently_enrolled = hh->currently_enrolled;
	h->monthly_rigid_expense_fen = hh->monthly_rigid_expense_fen;
	h->n_members = hh->n_members;
	for (size_t i = 0; i < hh->n_members; i++) {
		policy_member *m = &h->members[i];
		memcpy(m->id_number, r->norm.ids[i], sizeof m->id_number);
		policy_relation_parse(hh->members[i]->relation, &m->relation);
		m->severe_disability = hh->members[i]->severe_disability;
		m->severe_illness = hh->members[i]->severe_illness;
		m->has_able_supporter = hh->members[i]->has_able_supporter;
	}
}

static void verify_household(
    rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	verify_service *vs = arg;
	const Hedui__V1__VerifyHouseholdRequest *req =
	    (const Hedui__V1__VerifyHouseholdRequest *)msg;
	char why[256];
	household_problem prob;
	rpc_code code;

	verify_request *r = verify_pool_take(vs->requests);
	if (r == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	/* As calloc would, except the household facts (most of the block),
	 * which verify_fill_household sets before any use. */
	memset(r, 0, offsetof(verify_request, h));
	memset((char *)r + offsetof(verify_request, h) + sizeof r->h, 0,
	    sizeof *r - offsetof(verify_request, h) - sizeof r->h);
	r->vs = vs;
	r->call = call;
	r->started_ms = nng_clock();
	r->hh = hedui__v1__household__unpack(
	    NULL, req->household.len, req->household.data);
	if (r->hh == NULL) {
		verify_refuse_unsigned(vs, call, RPC_INVALID_ARGUMENT,
		    "undecodable",
		    "household does not decode as hedui.v1.Household");
		goto fail;
	}
	/* Nested bytes the envelope's check did not look into: an ID
	 * number "...0013\0junk" would reach household_check as the valid
	 * part before the NUL. */
	pb_strcheck_problem bad;
	if (!pb_strcheck_message(&hedui__v1__household__descriptor,
	        req->household.data, req->household.len, &bad)) {
		snprintf(why, sizeof why, "household field %s %s", bad.field,
		    bad.reason);
		verify_refuse_unsigned(
		    vs, call, RPC_INVALID_ARGUMENT, "bad-text", why);
		goto fail;
	}
	code = verify_authenticate(vs, call, req->auth, req->household.data,
	    req->household.len, &r->who, why, sizeof why);
	char rid[80];
	log_mask_client(rpc_call_request_id(call), rid, sizeof rid);
	if (code != RPC_OK) {
		/* Nobody accountable sent it: counted, not recorded one by
		 * one (a flood of these filled the disk, issue 13). */
		verify_refuse_unsigned(vs, call, code,
		    code == RPC_INVALID_ARGUMENT
		        ? "operator-id"
		        : agency_auth_refusal_kind(why),
		    why);
		goto fail;
	}
	if (!household_check(r->hh, idnum_date_today(), &r->norm, &prob)) {
		/* The IDs may be what is wrong: no persons on record. */
		verify_audit(vs, call, r->who.subject, r->hh->case_id, "", "",
		    prob.code);
		rpc_call_fail(
		    call, prob.code, "%s %s", prob.field, prob.reason);
		goto fail;
	}
	verify_persons(
	    vs, &r->norm, r->hh->n_members, r->persons, sizeof r->persons);
	if (!agency_auth_covers(&r->who, r->hh->region_code)) {
		verify_audit(vs, call, r->who.subject, r->hh->case_id, "",
		    r->persons, RPC_PERMISSION_DENIED);
		static log_limit denied_log =
		    LOG_LIMIT_INIT("verify.refused", 20, 10000);
		log_limited(&denied_log, LOG_LVL_WARN,
		    "request_id=\"%s\" code=%s "
		    "agency=\"%s\" agency_region=%s "
		    "region=%s",
		    rid, rpc_code_name(RPC_PERMISSION_DENIED), r->who.name,
		    r->who.region_prefix, r->hh->region_code);
		rpc_call_fail(call, RPC_PERMISSION_DENIED,
		    "agency with region prefix %s may not verify households "
		    "of region %s",
		    r->who.region_prefix, r->hh->region_code);
		goto fail;
	}
	if (policy_book_resolve(vs->book, r->hh->region_code, r->norm.as_of,
	        &r->params, r->version) != HD_OK) {
		verify_audit(vs, call, r->who.subject, r->hh->case_id, "",
		    r->persons, RPC_INTERNAL);
		rpc_call_fail(call, RPC_INTERNAL, "no policy for the region");
		goto fail;
	}
	if (verify_refuse_if_unhealthy(vs, call))
		goto fail;
	/* Idempotency: agency (its whole subject: one CN under two OUs is
	 * two agencies), region and request_id name one report. */
	snprintf(r->request_id, sizeof r->request_id, "%s",
	    r->hh->request_id[0] != '\0' ? r->hh->request_id
	                                 : rpc_call_request_id(call));
	log_mask_client(r->request_id, r->log_rid, sizeof r->log_rid);
	SHA256(req->household.data, req->household.len, r->hh_hash);
	store_report prev;
	hd_err e = store_find_by_request(vs->store, r->who.subject,
	    r->hh->region_code, r->request_id, &prev);
	if (e == HD_OK) {
		verify_answer_existing(r, &prev);
		goto fail; /* answered */
	}
	if (e != HD_ENOTFOUND) {
		verify_fail_store(call, e);
		goto fail;
	}
	verify_fill_household(r);

	/* Sources get the caller's remaining time less a margin to judge,
	 * sign, commit the report durably (an fsync, slow on a busy disk)
	 * and answer in. */
	uint32_t left = rpc_call_remaining_ms(call);
	uint32_t margin = left / 5;
	if (margin < 100)
		margin = 100;
	if (margin > 1000)
		margin = 1000;
	uint32_t budget = left > margin ? left - margin : 1;
	if (verify_fanout_start(vs->sources, &r->h, r->hh->as_of,
	        r->hh->case_id, budget, verify_finish, r) != HD_OK) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	return;
fail:
	verify_request_free(r);
}

hd_err verify_service_register(verify_service *vs, rpc_server *srv)
{
	/* In the order of the service's methods in verifier.proto; NULL
	 * answers UNIMPLEMENTED. */
	static const rpc_handler_fn handlers[] = {
	    verify_household, verify_get_report, NULL};
	_Static_assert(sizeof handlers / sizeof handlers[0] == 3,
	    "one handler per Verifier method");
	__atomic_store_n(&vs->srv, srv, __ATOMIC_SEQ_CST);
	return rpc_server_add_service(
	    srv, &hedui__v1__verifier__descriptor, handlers, vs);
}
