#include "verify_service.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <openssl/rand.h>

#include "agency_auth.h"
#include "agency_sig.h"
#include "hedui/v1/verifier.pb-c.h"
#include "household.h"
#include "log.h"
#include "report_sig.h"
#include "verdict_build.h"
#include "verify_fanout.h"
#include "verify_pool.h"

struct verify_service {
	agency_auth *auth;
	verify_sources *sources;
	policy_book *book;
	report_signer *signer;
	verify_pool *requests, *scratch; /* see verify_pool.h */
};

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
} verify_request;

verify_service *verify_service_alloc(
    const verify_service_opts *o, char *err, size_t errlen)
{
	verify_service *vs = calloc(1, sizeof *vs);
	if (vs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((vs->auth = agency_auth_alloc(o->ca_file, o->crl_file, err,
	         errlen)) == NULL)
		goto fail;
	if (policy_book_load(o->policy_file, &vs->book, err, errlen) != HD_OK)
		goto fail;
	if ((vs->signer = report_signer_load(o->sign_key, o->sign_key_password,
	         err, errlen)) == NULL)
		goto fail;
	if ((vs->requests = verify_pool_alloc(sizeof(verify_request), 128)) ==
	        NULL ||
	    (vs->scratch = verify_pool_alloc(sizeof(verify_scratch), 128)) ==
	        NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((vs->sources = verify_sources_alloc(o->source_urls,
	         &o->source_tls)) == NULL) {
		snprintf(err, errlen, "cannot set up the source connections");
		goto fail;
	}
	return vs;
fail:
	verify_service_free(vs);
	return NULL;
}

void verify_service_free(verify_service *vs)
{
	if (vs == NULL)
		return;
	verify_sources_free(vs->sources);
	report_signer_free(vs->signer);
	policy_book_free(vs->book);
	agency_auth_free(vs->auth);
	verify_pool_free(vs->requests);
	verify_pool_free(vs->scratch);
	free(vs);
}

static void verify_request_free(verify_request *r)
{
	if (r == NULL)
		return;
	if (r->hh != NULL)
		hedui__v1__household__free_unpacked(r->hh, NULL);
	verify_pool_give(r->vs->requests, r);
}

static void verify_report_id(char out[40])
{
	unsigned char rnd[8];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	idnum_date today = idnum_date_today();
	char buf[64];
	snprintf(buf, sizeof buf, "HD-%08d-%02x%02x%02x%02x%02x%02x%02x%02x",
	    today % 100000000, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
	    rnd[6], rnd[7]);
	memcpy(out, buf, 39);
	out[39] = '\0';
}

/* The sources have answered (or failed): judge, sign and reply. */
static void verify_finish(policy_household *h, void *arg)
{
	verify_request *r = arg;
	verify_service *vs = r->vs;
	verify_scratch *scratch = verify_pool_take(vs->scratch);
	policy_verdict *pv = scratch != NULL ? &scratch->pv : NULL;
	verdict_doc *doc = scratch != NULL ? &scratch->doc : NULL;
	uint8_t *report = NULL;
	uint8_t sig[REPORT_SIG_MAX];
	size_t siglen = 0;
	char report_id[40];

	if (pv == NULL || doc == NULL) {
		rpc_call_fail(r->call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto done;
	}
	policy_evaluate(&r->params, h, pv);
	verify_report_id(report_id);
	const char *request_id = r->hh->request_id[0] != '\0'
	    ? r->hh->request_id
	    : rpc_call_request_id(r->call);
	verdict_context ctx = {
		.report_id = report_id,
		.case_id = r->hh->case_id,
		.request_id = request_id,
		.region_code = r->hh->region_code,
		.agency = r->who.name,
		.policy_version = r->version,
		.as_of = r->norm.as_of,
		.generated_at_ms = agency_sig_now_ms(),
	};
	verdict_build(doc, h, pv, &ctx);
	size_t len = hedui__v1__verdict__get_packed_size(&doc->v);
	if ((report = malloc(len > 0 ? len : 1)) == NULL) {
		rpc_call_fail(r->call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto done;
	}
	hedui__v1__verdict__pack(&doc->v, report);
	if (report_signer_sign(vs->signer, report, len, sig, &siglen) !=
	    HD_OK) {
		rpc_call_fail(r->call, RPC_INTERNAL, "cannot sign the report");
		goto done;
	}
	Hedui__V1__VerifyHouseholdResponse resp =
	    HEDUI__V1__VERIFY_HOUSEHOLD_RESPONSE__INIT;
	resp.verdict = &doc->v;
	resp.report.data = report;
	resp.report.len = len;
	resp.signature.data = sig;
	resp.signature.len = siglen;
	resp.signature_alg = REPORT_SIG_ALG;
	log_info("verify.done",
	    "request_id=\"%s\" report_id=%s agency=\"%s\" region=%s "
	    "program=%s conclusion=%s category=%s members=%zu ms=%llu",
	    request_id, report_id, r->who.name, r->hh->region_code,
	    doc->v.program, doc->v.conclusion, doc->v.category, h->n_members,
	    (unsigned long long)(nng_clock() - r->started_ms));
	rpc_call_reply(r->call, &resp.base);
done:
	free(report);
	verify_pool_give(vs->scratch, scratch);
	verify_request_free(r);
}

/* The request's facts as the rules engine sees them. */
static void verify_fill_household(verify_request *r)
{
	const Hedui__V1__Household *hh = r->hh;
	policy_household *h = &r->h;
	/* The members past n_members are never read: zeroing all 20 was a
	 * visible cost. */
	memset(h, 0, offsetof(policy_household, members) +
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
		rpc_call_fail(call, RPC_INVALID_ARGUMENT,
		    "household does not decode as hedui.v1.Household");
		goto fail;
	}
	code = agency_auth_check(vs->auth, req->auth, rpc_call_method(call),
	    rpc_call_request_id(call), req->household.data, req->household.len,
	    agency_sig_now_ms(), &r->who, why, sizeof why);
	if (code != RPC_OK) {
		log_warn("verify.refused", "request_id=\"%s\" code=%s "
		                           "reason=\"%s\"",
		    rpc_call_request_id(call), rpc_code_name(code), why);
		rpc_call_fail(call, code, "%s", why);
		goto fail;
	}
	if (!household_check(r->hh, idnum_date_today(), &r->norm, &prob)) {
		rpc_call_fail(call, prob.code, "%s %s", prob.field, prob.reason);
		goto fail;
	}
	if (!agency_auth_covers(&r->who, r->hh->region_code)) {
		log_warn("verify.refused", "request_id=\"%s\" code=%s "
		                           "agency=\"%s\" agency_region=%s "
		                           "region=%s",
		    rpc_call_request_id(call),
		    rpc_code_name(RPC_PERMISSION_DENIED), r->who.name,
		    r->who.region_prefix, r->hh->region_code);
		rpc_call_fail(call, RPC_PERMISSION_DENIED,
		    "agency with region prefix %s may not verify households "
		    "of region %s",
		    r->who.region_prefix, r->hh->region_code);
		goto fail;
	}
	if (policy_book_resolve(vs->book, r->hh->region_code, &r->params,
	        r->version) != HD_OK) {
		rpc_call_fail(call, RPC_INTERNAL, "no policy for the region");
		goto fail;
	}
	verify_fill_household(r);

	/* Sources get the caller's remaining time less a margin to judge,
	 * sign and answer in. */
	uint32_t left = rpc_call_remaining_ms(call);
	uint32_t margin = left / 10;
	if (margin < 20)
		margin = 20;
	if (margin > 500)
		margin = 500;
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

static void verify_get_report(
    rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	(void)msg;
	(void)arg;
	rpc_call_fail(call, RPC_UNIMPLEMENTED,
	    "reports are not stored yet (see issue 5)");
}

hd_err verify_service_register(verify_service *vs, rpc_server *srv)
{
	static const rpc_handler_fn handlers[] = {
	    verify_household, verify_get_report};
	return rpc_server_add_service(
	    srv, &hedui__v1__verifier__descriptor, handlers, vs);
}
