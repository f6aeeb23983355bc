/* SPDX-License-Identifier: MIT */
/*
 * What the Verifier's files share: verify_service.c (VerifyHousehold),
 * verify_batch.c (VerifyBatch), verify_household.c (the path of one
 * household, both use it) and verify_report.c (GetReport, the audit
 * trail, stored replies).
 */
#ifndef HEDUI_VERIFY_INTERNAL_H
#define HEDUI_VERIFY_INTERNAL_H

#include <stdatomic.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "agency_auth.h"
#include "consent_registry.h"
#include "household.h"
#include "policy.h"
#include "report_sig.h"
#include "rpc_server.h"
#include "store.h"
#include "verify_fanout.h"
#include "verify_refusals.h"
#include "verify_service.h"

#define VERIFY_METHOD "hedui.v1.Verifier/VerifyHousehold"
#define GET_REPORT_METHOD "hedui.v1.Verifier/GetReport"
#define VERIFY_BATCH_METHOD "hedui.v1.Verifier/VerifyBatch"
#define VERIFY_SERVICE_NAME "hedui.v1.Verifier"

#define VERIFY_STORE_DOWN                                                     \
	"the report store cannot be written (disk full, I/O error or "        \
	"read-only); heduid refuses work until it can keep reports again"

struct verify_service {
	struct metrics *metrics; /* NULL: none (verify_service_opts) */
	agency_auth *auth;
	verify_sources *sources;
	policy_book *book;
	report_signer *signer;
	/* Working memory of households (verify_household.c, verify_pool.h):
	 * their state, the rules' scratch, and the facts, in blocks for
	 * small households and for the largest. */
	struct verify_pool *ones, *scratch, *facts_small, *facts_full;
	struct verify_gate *gate; /* batch households at work at once */
	int batch_max_households;
	store *store;
	verify_refusals *refusals; /* unsigned refusals, in aggregate */
	/* Set at registration, cleared at close; read by the store's health
	 * callback on its own thread. */
	rpc_server *_Atomic srv;
	consent_registry *consents; /* consent_registry.h */
	uint8_t audit_key[64];
	size_t audit_key_len;
	audit_key *akey; /* audit_key prepared once (persons' hashes) */
	struct verify_policy_cache *policies; /* resolved regions */
	struct retention *retention; /* [store] retention_days; NULL: off */
	struct stats_backfill *backfill; /* counts of before; NULL: none */
};

/* When the sources of a call's households must have answered: the
 * call's remaining time less a margin (a fifth, within [lo, hi] ms) to
 * judge, commit and answer in. */
nng_time verify_sources_deadline(rpc_call *call, uint32_t lo, uint32_t hi);

/* The operator-id metadata as signed and audited: "" when absent, or
 * when it is not one (verify_authenticate refuses those). */
const char *verify_operator(rpc_call *call);

/* Checks the operator-id's form (INVALID_ARGUMENT) and the agency's
 * signature over body, bound to the call's TLS identity (agency_auth.h:
 * UNAUTHENTICATED). RPC_OK with *who filled; else why says why. */
rpc_code verify_authenticate(verify_service *vs, rpc_call *call,
    const Hedui__V1__AgencyAuth *auth, const uint8_t *body, size_t len,
    agency_identity *who, char *why, size_t whylen);

/* Refuses a request no agency has (yet) been proven to send: counted in
 * the audit trail's refusal summaries (verify_refusals.h), logged within
 * bounds, answered with code and why. kind: a short fixed word. */
void verify_refuse_unsigned(verify_service *vs, rpc_call *call, rpc_code code,
    const char *kind, const char *why);

/* One audit record, not waited for: a refusal. */
void verify_audit(verify_service *vs, rpc_call *call, const char *agency,
    const char *case_id, const char *report_id, const char *persons,
    rpc_code outcome);
/* The store_audit of a call (strings borrowed from the arguments). */
store_audit verify_audit_of(rpc_call *call, const char *agency,
    const char *case_id, const char *report_id, const char *persons,
    rpc_code outcome);

/* The household's persons as comma-separated keyed hashes. */
void verify_persons(const verify_service *vs, const household_norm *norm,
    size_t n, char *out, size_t cap);

/* Answers UNAVAILABLE and returns true while the store is unhealthy. */
bool verify_refuse_if_unhealthy(verify_service *vs, rpc_call *call);
/* UNAVAILABLE for a store failure of a call under way. */
void verify_fail_store(rpc_call *call, hd_err err);
/* The message of that failure. */
void verify_store_failure(hd_err err, char *out, size_t cap);

/* Answers a report as a VerifyHouseholdResponse (verify_wire.h); check:
 * first make sure that it decodes (a report read back from the store). */
void verify_reply_report(rpc_call *call, const store_report *r, bool check);
/* verify_reply_report with the check. */
void verify_reply_stored(rpc_call *call, const store_report *r);

/* Appends a, then answers rep (taken) once a is durable, or
 * UNAVAILABLE. */
void verify_reply_after_audit(verify_service *vs, rpc_call *call,
    const store_audit *a, store_report *rep);

/* hedui.v1.Verifier/GetReport. */
void verify_get_report(rpc_call *call, const ProtobufCMessage *msg, void *arg);
/* hedui.v1.Verifier/VerifyBatch (verify_batch.c). */
void verify_batch(rpc_call *call, const ProtobufCMessage *msg, void *arg);

/* Opens the store and health wiring; err says why not. */
hd_err verify_store_open(verify_service *vs, const verify_service_opts *o,
    char *err, size_t errlen);

#endif
