/* SPDX-License-Identifier: MIT */
/*
 * verify_household: one household's verification, whoever asked for it.
 *
 * VerifyHousehold (verify_service.c) and VerifyBatch (verify_batch.c)
 * authenticate their call each in its own way, then hand every household
 * to verify_household_run, the one path from a decoded household to a
 * durable report:
 *
 *   household_check   request validation and consent (INVALID_ARGUMENT,
 *                     FAILED_PRECONDITION)
 *   jurisdiction      the agency's region prefix (PERMISSION_DENIED)
 *   policy            the region's parameters
 *   idempotency       (agency subject, region, request_id) already used:
 *                     the same household gets its stored report again,
 *                     another one ALREADY_EXISTS
 *   sources           the fan-out (verify_fanout.h), until the deadline
 *   rules             policy_evaluate, the verdict, the report bytes
 *   store             the report and its audit record committed together;
 *                     the store's writer seals the reports of a commit
 *                     group with one signature (verify_seal, report_sig.h)
 *
 * Every household that got past authentication leaves one audit record,
 * whatever its outcome, as it always did.
 *
 * Ownership: the caller gives the decoded household (hh, freed here) and
 * keeps the signed bytes, the identity and the call alive until done has
 * run. done runs exactly once, possibly before verify_household_run
 * returns, from whatever thread finished the work.
 */
#ifndef HEDUI_VERIFY_HOUSEHOLD_H
#define HEDUI_VERIFY_HOUSEHOLD_H

#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "agency_auth.h"
#include "hedui/v1/verifier.pb-c.h"
#include "rpc_server.h"
#include "rpc_status.h"
#include "store.h"

typedef struct verify_service verify_service;

/* What became of a household. */
typedef struct verify_household_result {
	rpc_code code;       /* RPC_OK: report holds the committed report */
	const char *message; /* why not, for the caller; "" when OK */
	/* The report as stored (with its signature and proof). The done
	 * callback may take its buffers (report, proof: set them to NULL). */
	store_report *report;
} verify_household_result;

typedef void (*verify_household_done_fn)(
    const verify_household_result *res, void *arg);

typedef struct verify_household_args {
	rpc_call *call;             /* audit: method and operator-id */
	const agency_identity *who; /* authenticated by the caller */
	Hedui__V1__Household *hh;   /* decoded; taken */
	/* What hh was decoded with (freed with it); NULL: malloc. */
	ProtobufCAllocator *hh_allocator;
	const uint8_t *bytes; /* hh as signed: its SHA-256 keys */
	size_t len;           /* idempotency */
	/* The household's request_id when it has none of its own (the
	 * RPC's, for VerifyHousehold); NULL: it must have one (a batch). */
	const char *request_id_default;
	/* When the sources must have answered (nng_clock()); what has not
	 * answered by then counts as failed (needs_review per the rules). */
	nng_time sources_deadline;
	/* A batch's households log at debug level (the batch logs one
	 * line); a single verification at info. */
	bool quiet;
	/* Called once when the household no longer holds its large working
	 * memory (its facts: judged, or never needed): before done. NULL:
	 * nobody counts. */
	void (*released)(void *arg);
	verify_household_done_fn done;
	void *arg;
} verify_household_args;

void verify_household_run(verify_service *vs, const verify_household_args *a);

/* The pools of working memory (verify_household.c). */
hd_err verify_household_pools_alloc(verify_service *vs);
void verify_household_pools_free(verify_service *vs);

#endif
