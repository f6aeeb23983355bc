/* SPDX-License-Identifier: MIT */
#include "verify_service.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "consent_service.h"
#include "hedui/v1/verifier.pb-c.h"
#include "pb_strcheck.h"
#include "retention.h"
#include "stats_backfill.h"
#include "stats_service.h"
#include "verify_gate.h"
#include "verify_household.h"
#include "verify_internal.h"
#include "verify_policy.h"

_Static_assert(STORE_AGENCY_MAX >= RPC_PEER_SUBJECT_MAX,
    "a report keeps its agency's whole subject");

/* A VerifyHousehold call while its household is verified. */
typedef struct verify_call {
	rpc_call *call;
	agency_identity who;
} verify_call;

static int verify_replay_shared(
    const unsigned char key[32], int64_t now_ms, int64_t expires_ms, void *arg)
{
	verify_service *vs = arg;
	hd_err e = store_replay_record(vs->store, key, now_ms, expires_ms);
	return e == HD_OK ? 1 : e == HD_EEXIST ? 0 : -1;
}

verify_service *verify_service_alloc(
    const verify_service_opts *o, char *err, size_t errlen)
{
	verify_service *vs = calloc(1, sizeof *vs);
	if (vs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vs->metrics = o->metrics;
	if ((vs->auth = agency_auth_alloc(
	         o->ca_file, o->crl_file, err, errlen)) == NULL)
		goto fail;
	if (policy_book_load(o->policy_file, &vs->book, err, errlen) != HD_OK)
		goto fail;
	if ((vs->policies = verify_policy_cache_alloc(vs->book)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((vs->signer = report_signer_load(
	         o->sign_key, o->sign_key_password, err, errlen)) == NULL)
		goto fail;
	vs->batch_max_households = o->batch_max_households > 0
	                               ? o->batch_max_households
	                               : VERIFY_BATCH_DEFAULT_HOUSEHOLDS;
	if (verify_household_pools_alloc(vs) != HD_OK ||
	    (vs->gate = verify_gate_alloc(
	         o->batch_inflight_households > 0
	             ? o->batch_inflight_households
	             : VERIFY_BATCH_DEFAULT_INFLIGHT)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((vs->sources = verify_sources_alloc(o->source_urls,
	         o->source_peers, &o->source_tls, o->source_batch_max)) ==
	    NULL) {
		snprintf(err, errlen, "cannot set up the source connections");
		goto fail;
	}
	verify_sources_set_metrics(vs->sources, o->metrics);
	if (verify_store_open(vs, o, err, errlen) != HD_OK)
		goto fail;
	/* Replicas on one database refuse each other's replays. */
	if (store_shared(vs->store))
		agency_auth_set_shared_replay(
		    vs->auth, verify_replay_shared, vs);
	/* A consent must cover every source verification asks. */
	unsigned queried = 0;
	for (int i = 0; i < POLICY_SOURCE_COUNT; i++)
		if (o->source_urls[i] != NULL && o->source_urls[i][0] != '\0')
			queried |= 1u << i;
	if ((vs->consents = consent_registry_alloc(vs->store, vs->audit_key,
	         vs->audit_key_len, (consent_mode)o->consent_mode, queried)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (o->retention_days > 0 &&
	    (vs->retention = retention_start(
	         vs->store, o->retention_days, 0, err, errlen)) == NULL)
		goto fail;
	/* An older store's reports are counted in the background. */
	vs->backfill = stats_backfill_start(vs->store);
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
	consent_registry_free(vs->consents);
	/* After verify_service_stop: the calls it answered gave their
	 * blocks back. */
	verify_household_pools_free(vs);
	verify_gate_free(vs->gate);
	audit_key_free(vs->akey);
	verify_policy_cache_free(vs->policies);
	free(vs);
}

void verify_service_stop(verify_service *vs)
{
	store *st = vs->store;
	/* No purge after this: it would wait on a store that closes. */
	retention_stop(vs->retention);
	vs->retention = NULL;
	stats_backfill_stop(vs->backfill);
	vs->backfill = NULL;
	/* The last interval's refusal counts go into the queue first. */
	verify_refusals_free(vs->refusals);
	vs->refusals = NULL;
	/* Commits everything queued; the callbacks answer their calls. */
	store_close(st);
	vs->store = NULL;
	atomic_store(&vs->srv, NULL);
}

/* The household's outcome is the call's. */
static void verify_call_done(const verify_household_result *res, void *arg)
{
	verify_call *vc = arg;
	if (res->code == RPC_OK)
		verify_reply_report(vc->call, res->report, false);
	else
		rpc_call_fail(vc->call, res->code, "%s", res->message);
	free(vc);
}

/* Sources get the caller's remaining time less a margin to judge, sign,
 * commit the report durably (an fsync, slow on a busy disk) and answer
 * in: a fifth of it, within [lo, hi] ms. */
nng_time verify_sources_deadline(rpc_call *call, uint32_t lo, uint32_t hi)
{
	uint32_t left = rpc_call_remaining_ms(call);
	uint32_t margin = left / 5;
	if (margin < lo)
		margin = lo;
	if (margin > hi)
		margin = hi;
	return nng_clock() + (left > margin ? left - margin : 1);
}

static void verify_household(
    rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	verify_service *vs = arg;
	const Hedui__V1__VerifyHouseholdRequest *req =
	    (const Hedui__V1__VerifyHouseholdRequest *)msg;
	char why[256];

	Hedui__V1__Household *hh = hedui__v1__household__unpack(
	    NULL, req->household.len, req->household.data);
	if (hh == NULL) {
		verify_refuse_unsigned(vs, call, RPC_INVALID_ARGUMENT,
		    "undecodable",
		    "household does not decode as hedui.v1.Household");
		return;
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
	verify_call *vc = calloc(1, sizeof *vc);
	if (vc == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	vc->call = call;
	rpc_code code =
	    verify_authenticate(vs, call, req->auth, req->household.data,
	        req->household.len, &vc->who, why, sizeof why);
	if (code != RPC_OK) {
		/* Nobody accountable sent it: counted, not recorded one by
		 * one (a flood of these filled the disk, issue 13). */
		verify_refuse_unsigned(vs, call, code,
		    code == RPC_INVALID_ARGUMENT
		        ? "operator-id"
		        : agency_auth_refusal_kind(why),
		    why);
		free(vc);
		goto fail;
	}
	verify_household_args a = {
	    .call = call,
	    .who = &vc->who,
	    .hh = hh,
	    .bytes = req->household.data,
	    .len = req->household.len,
	    .request_id_default = rpc_call_request_id(call),
	    .sources_deadline = verify_sources_deadline(call, 100, 1000),
	    .done = verify_call_done,
	    .arg = vc,
	};
	verify_household_run(vs, &a);
	return;
fail:
	hedui__v1__household__free_unpacked(hh, NULL);
}

hd_err verify_service_register(verify_service *vs, rpc_server *srv)
{
	/* In the order of the service's methods in verifier.proto; NULL
	 * answers UNIMPLEMENTED. */
	static const rpc_handler_fn handlers[] = {
	    verify_household, verify_get_report, verify_batch};
	_Static_assert(sizeof handlers / sizeof handlers[0] == 3,
	    "one handler per Verifier method");
	atomic_store(&vs->srv, srv);
	hd_err e = rpc_server_add_service(
	    srv, &hedui__v1__verifier__descriptor, handlers, vs);
	if (e == HD_OK)
		e = consent_service_register(vs, srv);
	return e == HD_OK ? stats_service_register(vs, srv) : e;
}
