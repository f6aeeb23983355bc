/* SPDX-License-Identifier: MIT */
/*
 * Stored reports and the audit trail on the service side: GetReport, the
 * audit records of calls, and the store's health as the service shows it
 * (hedui.v1.Health NOT_SERVING while the store cannot write).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency_sig.h"
#include "audit_chain.h"
#include "consent_form.h"
#include "hedui/v1/verifier.pb-c.h"
#include "log.h"
#include "store_url.h"
#include "log_limit.h"
#include "log_mask.h"
#include "verify_internal.h"
#include "verify_wire.h"

store_audit verify_audit_of(rpc_call *call, const char *agency,
    const char *case_id, const char *report_id, const char *persons,
    rpc_code outcome)
{
	store_audit a = {
	    .time_ms = agency_sig_now_ms(),
	    .agency = agency != NULL ? agency : "",
	    .operator_id = verify_operator(call),
	    .case_id = case_id != NULL ? case_id : "",
	    .method = rpc_call_method(call),
	    .report_id = report_id != NULL ? report_id : "",
	    .persons = persons != NULL ? persons : "",
	    .outcome = (int)outcome,
	};
	return a;
}

void verify_refuse_unsigned(verify_service *vs, rpc_call *call, rpc_code code,
    const char *kind, const char *why)
{
	static log_limit refused_log =
	    LOG_LIMIT_INIT("verify.refused", 20, 10000);
	char rid[80], who[RPC_PEER_SUBJECT_MAX];
	const rpc_peer *peer = rpc_call_peer(call);
	rpc_peer_log_safe(peer->known ? peer->subject : "", who, sizeof who);
	log_limited(&refused_log, LOG_LVL_WARN,
	    "method=%s request_id=\"%s\" peer=\"%s\" peer_addr=%s code=%s "
	    "kind=%s reason=\"%s\"",
	    rpc_call_method(call),
	    log_mask_client(rpc_call_request_id(call), rid, sizeof rid), who,
	    peer->addr, rpc_code_name(code), kind, why);
	verify_refusals_note(
	    vs->refusals, peer, rpc_call_method(call), code, kind);
	rpc_call_fail(call, code, "%s", why);
}

void verify_audit(verify_service *vs, rpc_call *call, const char *agency,
    const char *case_id, const char *report_id, const char *persons,
    rpc_code outcome)
{
	store_audit a = verify_audit_of(
	    call, agency, case_id, report_id, persons, outcome);
	store_append_audit_async(vs->store, &a, NULL, NULL);
}

void verify_persons(const verify_service *vs, const household_norm *norm,
    size_t n, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char h[AUDIT_PERSON_HEX];
		audit_person_hash_k(vs->akey, norm->ids[i], h);
		int w = snprintf(
		    out + used, cap - used, "%s%s", i > 0 ? "," : "", h);
		if (w < 0 || (size_t)w >= cap - used)
			break;
		used += (size_t)w;
	}
}

bool verify_refuse_if_unhealthy(verify_service *vs, rpc_call *call)
{
	if (store_healthy(vs->store))
		return false;
	rpc_call_fail(call, RPC_UNAVAILABLE, "%s", VERIFY_STORE_DOWN);
	return true;
}

void verify_store_failure(hd_err err, char *out, size_t cap)
{
	snprintf(out, cap,
	    "the report could not be stored durably (%s); nothing was "
	    "kept and heduid refuses work until its store can write again",
	    hd_strerror(err));
}

void verify_fail_store(rpc_call *call, hd_err err)
{
	char msg[256];
	verify_store_failure(err, msg, sizeof msg);
	rpc_call_fail(call, RPC_UNAVAILABLE, "%s", msg);
}

void verify_reply_report(rpc_call *call, const store_report *r, bool check)
{
	/* A report read back from the store is checked to decode before it
	 * goes out as the response's verdict; one just made is known to. */
	if (check) {
		Hedui__V1__Verdict *v =
		    hedui__v1__verdict__unpack(NULL, r->report_len, r->report);
		if (v == NULL) {
			log_error(
			    "report.corrupt", "report_id=%s", r->report_id);
			rpc_call_fail(call, RPC_DATA_LOSS,
			    "stored report %s does not decode", r->report_id);
			return;
		}
		hedui__v1__verdict__free_unpacked(v, NULL);
	}
	verify_wire_report w = verify_wire_of(r);
	size_t len = verify_wire_response_size(&w, true);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	len = verify_wire_response_put(buf, &w, true);
	rpc_call_reply_raw(call, buf, len);
	free(buf);
}

void verify_reply_stored(rpc_call *call, const store_report *r)
{
	verify_reply_report(call, r, true);
}

/* A read waits for its audit record: no report leaves before its reading
 * is on record. */
typedef struct report_read {
	rpc_call *call;
	store_report rep;
} report_read;

static void report_read_done(hd_err err, store_report *existing, void *arg)
{
	(void)existing;
	report_read *rr = arg;
	if (err == HD_OK)
		verify_reply_stored(rr->call, &rr->rep);
	else
		verify_fail_store(rr->call, err);
	store_report_clear(&rr->rep);
	free(rr);
}

/* HD-YYYYMMDD-0123456789abcdef, as verify_report_id makes them. */
static bool verify_report_id_ok(const char *id)
{
	if (strlen(id) != 28 || strncmp(id, "HD-", 3) != 0 || id[11] != '-')
		return false;
	for (int i = 3; i < 11; i++)
		if (id[i] < '0' || id[i] > '9')
			return false;
	for (int i = 12; i < 28; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		        (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

void verify_reply_after_audit(verify_service *vs, rpc_call *call,
    const store_audit *a, store_report *rep)
{
	report_read *rr = calloc(1, sizeof *rr);
	if (rr == NULL) {
		store_report_clear(rep);
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	rr->call = call;
	rr->rep = *rep;
	rep->report = NULL;
	store_append_audit_async(vs->store, a, report_read_done, rr);
}

void verify_get_report(rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	verify_service *vs = arg;
	const Hedui__V1__GetReportRequest *req =
	    (const Hedui__V1__GetReportRequest *)msg;
	const char *id = req->report_id != NULL ? req->report_id : "";
	agency_identity who;
	char why[256];

	rpc_code code = verify_authenticate(vs, call, req->auth,
	    (const uint8_t *)id, strlen(id), &who, why, sizeof why);
	char safe_id[48];
	if (code != RPC_OK) {
		verify_refuse_unsigned(vs, call, code,
		    code == RPC_INVALID_ARGUMENT
		        ? "operator-id"
		        : agency_auth_refusal_kind(why),
		    why);
		return;
	}
	if (!verify_report_id_ok(id)) {
		/* Not recorded as given: it could hold anything, even an ID
		 * number. */
		verify_audit(
		    vs, call, who.subject, "", "", "", RPC_INVALID_ARGUMENT);
		rpc_call_fail(call, RPC_INVALID_ARGUMENT,
		    "report_id is not a report id (HD-YYYYMMDD- and 16 hex "
		    "digits)");
		return;
	}
	if (verify_refuse_if_unhealthy(vs, call))
		return;
	/* Of our form, but the caller's choice: 16 digits could be an ID
	 * number of the first generation and more. */
	log_mask_client(id, safe_id, sizeof safe_id);
	report_read *rr = calloc(1, sizeof *rr);
	if (rr == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	rr->call = call;
	hd_err e = store_get_report(vs->store, id, &rr->rep);
	if (e == HD_ENOTFOUND) {
		verify_audit(vs, call, who.subject, "", id, "", RPC_NOT_FOUND);
		rpc_call_fail(call, RPC_NOT_FOUND, "no report %s", id);
		goto out;
	}
	if (e != HD_OK) {
		verify_fail_store(call, e);
		goto out;
	}
	/* The requesting agency, by its whole subject (a certificate with
	 * its CN under another region is another agency), or one whose
	 * region prefix covers the report's region. */
	if (strcmp(rr->rep.agency, who.subject) != 0 &&
	    !agency_auth_covers(&who, rr->rep.region)) {
		log_warn("report.refused",
		    "report_id=%s agency=\"%s\" agency_region=%s region=%s "
		    "code=PERMISSION_DENIED",
		    safe_id, who.name, who.region_prefix, rr->rep.region);
		verify_audit(vs, call, who.subject, "", id, rr->rep.persons,
		    RPC_PERMISSION_DENIED);
		rpc_call_fail(call, RPC_PERMISSION_DENIED,
		    "report %s belongs to another agency and region %s is "
		    "outside region prefix %s",
		    id, rr->rep.region, who.region_prefix);
		goto out;
	}
	if (rr->rep.purged_ms != 0) {
		/* It existed and was the caller's to read: say so, and
		 * when its content went (docs/CONFIG.md, retention). */
		char on[11];
		consent_date_format(consent_date_of_ms(rr->rep.purged_ms), on);
		verify_audit(vs, call, who.subject, "", id, rr->rep.persons,
		    RPC_FAILED_PRECONDITION);
		rpc_call_fail(call, RPC_FAILED_PRECONDITION,
		    "report %s was purged on %s (retention): its content is "
		    "no longer kept; a copy saved before still verifies "
		    "offline (hedui report verify)",
		    id, on);
		goto out;
	}
	log_info(
	    "report.read", "report_id=%s agency=\"%s\"", safe_id, who.name);
	store_audit a = verify_audit_of(
	    call, who.subject, "", id, rr->rep.persons, RPC_OK);
	store_append_audit_async(vs->store, &a, report_read_done, rr);
	return;
out:
	store_report_clear(&rr->rep);
	free(rr);
}

static void verify_health_changed(bool healthy, void *arg)
{
	verify_service *vs = arg;
	rpc_server *srv = atomic_load(&vs->srv);
	if (srv == NULL)
		return;
	rpc_server_set_not_serving_why(srv, healthy ? "" : VERIFY_STORE_DOWN);
	rpc_server_set_serving(srv, "", healthy);
	rpc_server_set_serving(srv, VERIFY_SERVICE_NAME, healthy);
}

/* The store's seal of a group: one signature over the hash tree of the
 * reports committed together, a proof for each (report_sig.h). Runs on
 * the store's writer thread, once per commit. */
static hd_err verify_seal(store_report *const *reports, size_t n, void *arg)
{
	verify_service *vs = arg;
	const uint8_t **bytes = calloc(n, sizeof *bytes);
	size_t *lens = calloc(n, sizeof *lens);
	uint8_t **proofs = malloc(n * sizeof *proofs);
	size_t *plens = malloc(n * sizeof *plens);
	uint8_t sig[REPORT_SIG_MAX];
	size_t siglen = 0;
	hd_err e = HD_ENOMEM;
	if (bytes == NULL || lens == NULL || proofs == NULL || plens == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		bytes[i] = reports[i]->report;
		lens[i] = reports[i]->report_len;
	}
	e = report_signer_seal(
	    vs->signer, bytes, lens, n, sig, &siglen, proofs, plens);
	if (e != HD_OK)
		goto out;
	_Static_assert(STORE_SIG_MAX >= REPORT_SIG_MAX, "a signature fits");
	for (size_t i = 0; i < n; i++) {
		store_report *r = reports[i];
		memcpy(r->sig, sig, siglen);
		r->sig_len = siglen;
		r->proof = proofs[i]; /* the store gives it NULL */
		r->proof_len = plens[i];
	}
out:
	free(bytes);
	free(lens);
	free(proofs);
	free(plens);
	return e;
}

hd_err verify_store_open(
    verify_service *vs, const verify_service_opts *o, char *err, size_t errlen)
{
	char keypath[600];
	const char *path = o->store_path != NULL && o->store_path[0] != '\0'
	                       ? o->store_path
	                       : "heduid.db";
	char shown[256];
	store_url_mask(path, shown, sizeof shown);
	if (o->audit_key_path != NULL && o->audit_key_path[0] != '\0') {
		snprintf(keypath, sizeof keypath, "%s", o->audit_key_path);
	} else if (store_url_kind_of(path) != STORE_URL_SQLITE) {
		/* No file to put it next to; and every replica must hold
		 * the same key, which none should make up by itself. */
		snprintf(err, errlen,
		    "a PostgreSQL store needs [store] audit_key (the same "
		    "file on every replica)");
		return HD_EINVAL;
	} else {
		snprintf(keypath, sizeof keypath, "%s.audit-key", path);
	}
	hd_err e = store_audit_key_load(keypath, vs->audit_key,
	    sizeof vs->audit_key, &vs->audit_key_len, err, errlen);
	if (e != HD_OK)
		return e;
	if ((vs->akey = audit_key_new(vs->audit_key, vs->audit_key_len)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return HD_ENOMEM;
	}
	store_opts so = {
	    .path = path,
	    .audit_key = vs->audit_key,
	    .audit_key_len = vs->audit_key_len,
	    .probe_ms = o->store_probe_ms,
	    .health_cb = verify_health_changed,
	    .health_arg = vs,
	    .seal = verify_seal,
	    .seal_arg = vs,
	    .metrics = o->metrics,
	};
	if ((vs->store = store_open(&so, err, errlen)) == NULL)
		return HD_EDB;
	if ((vs->refusals = verify_refusals_alloc(
	         vs->store, o->refusal_summary_ms)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return HD_ENOMEM;
	}
	verify_refusals_set_metrics(vs->refusals, o->metrics);
	log_info("store.open", "path=\"%s\" audit_key=\"%s\"", shown, keypath);
	return HD_OK;
}
