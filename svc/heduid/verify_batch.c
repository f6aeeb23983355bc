/* SPDX-License-Identifier: MIT */
/*
 * hedui.v1.Verifier/VerifyBatch: up to batch_max_households households in
 * one call, signed once by the agency over the whole batch.
 *
 * The whole batch fails only for what concerns all of it, before any
 * household is looked at: bytes that do not decode as a HouseholdBatch,
 * more households than allowed, and the agency signature (the refusal
 * paths of VerifyHousehold, counted in aggregate by verify_refuse_unsigned;
 * an envelope or a deadline already past never reaches the handler). Each
 * household then goes its own way through verify_household_run and gets
 * its own outcome, in batch order: a household that does not decode or
 * has no request_id is INVALID_ARGUMENT alone, and so on through the
 * path's own refusals. The batch is answered once every household's
 * report is committed (or its refusal known).
 *
 * Memory: households are started through the service's gate
 * (verify_gate.h), at most batch_inflight_households at once over all
 * batches, and each gives its slot back as soon as it has been judged;
 * a waiting household holds nothing but its place in the batch.
 *
 * Deadlines: the batch has one. Its households' sources must answer by
 * the sources' deadline (verify_sources_deadline: the call's time less a
 * fifth, 200 ms to 2 s, kept to judge, commit and answer); a source that
 * has not answered by then counts as failed for those households, which
 * the rules turn into needs_review (SOURCE_INCOMPLETE), as for a single
 * verification: their reports are stored. A household that has not even
 * started when less than VERIFY_BATCH_START_MS (or half the sources' time,
 * if less) remains is not started: DEADLINE_EXCEEDED, nothing stored, so
 * that sending it again verifies it properly rather than returning a
 * needs_review that no source had a chance to prevent.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "hedui/v1/verifier.pb-c.h"
#include "log.h"
#include "log_mask.h"
#include "pb_arena.h"
#include "pb_strcheck.h"
#include "verify_gate.h"
#include "verify_household.h"
#include "verify_internal.h"
#include "verify_wire.h"

#define VERIFY_BATCH_START_MS 100
/* Room kept in the reply's size limit for the envelope around it. */
#define VERIFY_BATCH_REPLY_SLACK 1024

typedef struct verify_batch_call verify_batch_call;

/* One household's outcome, kept until the batch is answered. */
typedef struct batch_outcome {
	verify_batch_call *b;
	rpc_code code;
	char *request_id; /* the household's, "" when unknown; malloc'd */
	char *message;    /* malloc'd; NULL when OK */
	/* When OK: the report as stored (taken from the store's result). */
	char report_id[48];
	uint8_t *report;
	size_t report_len;
	uint8_t *proof;
	size_t proof_len;
	uint8_t sig[STORE_SIG_MAX];
	size_t sig_len;
} batch_outcome;

/* A VerifyBatch call in progress: owned by the handler, then by the
 * households still pending; the last one answers and frees it. */
struct verify_batch_call {
	verify_service *vs;
	rpc_call *call;
	agency_identity who;
	Hedui__V1__HouseholdBatch *hb;
	size_t n;
	nng_time sources_deadline;
	nng_time start_by; /* households not started by then are not */
	uint64_t started_ms;
	verify_gate_waiter waiter;
	atomic_size_t next;    /* the next household to start */
	atomic_size_t pending; /* outcomes still to come */
	batch_outcome *out;
	char log_rid[80];
	/* The households decode into it (hundreds of small objects each
	 * otherwise malloc'd and freed): released with the batch. Several
	 * threads start households at once: decoding takes the lock. */
	pb_arena arena;
	pthread_mutex_t arena_mu;
};

static void verify_batch_free(verify_batch_call *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; b->out != NULL && i < b->n; i++) {
		free(b->out[i].request_id);
		free(b->out[i].message);
		free(b->out[i].report);
		free(b->out[i].proof);
	}
	free(b->out);
	if (b->hb != NULL)
		hedui__v1__household_batch__free_unpacked(b->hb, NULL);
	pb_arena_release(&b->arena);
	pthread_mutex_destroy(&b->arena_mu);
	free(b);
}

/* The outcome as it goes on the wire. */
static size_t verify_batch_put(
    uint8_t *out, const batch_outcome *o, verify_wire_report *w)
{
	const char *rid = o->request_id != NULL ? o->request_id : "";
	const char *msg = o->message != NULL ? o->message : "";
	if (o->code != RPC_OK)
		return out != NULL
		           ? verify_wire_outcome_put(
		                 out, rid, o->code, msg, NULL)
		           : verify_wire_outcome_size(rid, o->code, msg, NULL);
	*w = (verify_wire_report){
	    .report = o->report,
	    .report_len = o->report_len,
	    .sig = o->sig,
	    .sig_len = o->sig_len,
	    .proof = o->proof,
	    .proof_len = o->proof_len,
	};
	return out != NULL ? verify_wire_outcome_put(out, rid, RPC_OK, "", w)
	                   : verify_wire_outcome_size(rid, RPC_OK, "", w);
}

/* The message of an outcome whose report does not fit in the answer. */
static void verify_batch_over(
    const batch_outcome *o, size_t limit, char *msg, size_t cap)
{
	snprintf(msg, cap,
	    "the batch's answer would exceed %zu bytes: report %s is "
	    "stored; send this household again (same request_id) to "
	    "receive it",
	    limit, o->report_id);
}

/* Every household has its outcome: the batch is answered. */
static void verify_batch_answer(verify_batch_call *b)
{
	size_t limit = rpc_call_reply_max(b->call);
	limit = limit > VERIFY_BATCH_REPLY_SLACK
	            ? limit - VERIFY_BATCH_REPLY_SLACK
	            : limit;
	size_t total = 0, ok = 0, over = 0;
	verify_wire_report w;
	char msg[256];
	/* What each outcome takes at least: its refusal when its report
	 * would not fit (rest[i]: outcomes i.. at least). */
	size_t *rest = calloc(b->n + 1, sizeof *rest);
	if (rest != NULL)
		for (size_t i = b->n; i-- > 0;) {
			batch_outcome *o = &b->out[i];
			size_t least = verify_batch_put(NULL, o, &w);
			if (o->code == RPC_OK) {
				verify_batch_over(o, limit, msg, sizeof msg);
				least = verify_wire_outcome_size(
				    o->request_id != NULL ? o->request_id : "",
				    RPC_RESOURCE_EXHAUSTED, msg, NULL);
			}
			rest[i] = rest[i + 1] + least;
		}
	/* Reports that would not fit in the answer are stored all the same:
	 * the household says so, and a retry of it alone gets its report.
	 * A report goes in only if what follows still fits at its least. */
	for (size_t i = 0; i < b->n; i++) {
		batch_outcome *o = &b->out[i];
		size_t sz = verify_batch_put(NULL, o, &w);
		size_t after = rest != NULL ? rest[i + 1] : 0;
		if (o->code == RPC_OK && total + sz + after > limit) {
			verify_batch_over(o, limit, msg, sizeof msg);
			o->code = RPC_RESOURCE_EXHAUSTED;
			o->message = strdup(msg);
			over++;
			sz = verify_batch_put(NULL, o, &w);
		}
		ok += o->code == RPC_OK;
		total += sz;
	}
	free(rest);
	uint8_t *buf = malloc(total > 0 ? total : 1);
	if (buf == NULL) {
		rpc_call_fail(b->call, RPC_RESOURCE_EXHAUSTED,
		    "out of memory for the batch's answer; every report is "
		    "stored: send the batch again to receive them");
	} else {
		size_t n = 0;
		for (size_t i = 0; i < b->n; i++)
			n += verify_batch_put(buf + n, &b->out[i], &w);
		rpc_call_reply_raw(b->call, buf, n);
		free(buf);
	}
	log_info("batch.done",
	    "request_id=\"%s\" agency=\"%s\" households=%zu ok=%zu "
	    "refused=%zu over_limit=%zu bytes=%zu ms=%llu",
	    b->log_rid, b->who.name, b->n, ok, b->n - ok, over, total,
	    (unsigned long long)(nng_clock() - b->started_ms));
	verify_batch_free(b);
}

static void verify_batch_settle(batch_outcome *o)
{
	verify_batch_call *b = o->b;
	if (atomic_fetch_sub(&b->pending, 1) == 1)
		verify_batch_answer(b);
}

static void verify_batch_refuse(batch_outcome *o, rpc_code code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void verify_batch_refuse(
    batch_outcome *o, rpc_code code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	o->code = code;
	o->message = strdup(msg);
	verify_batch_settle(o);
}

static void verify_batch_released(void *arg)
{
	batch_outcome *o = arg;
	verify_gate_give(o->b->vs->gate);
}

static void verify_batch_done(const verify_household_result *res, void *arg)
{
	batch_outcome *o = arg;
	o->code = res->code;
	if (res->code != RPC_OK) {
		o->message = strdup(res->message);
	} else {
		store_report *r = res->report;
		snprintf(
		    o->report_id, sizeof o->report_id, "%s", r->report_id);
		o->report = r->report;
		o->report_len = r->report_len;
		o->proof = r->proof;
		o->proof_len = r->proof_len;
		memcpy(o->sig, r->sig, r->sig_len);
		o->sig_len = r->sig_len;
		r->report = NULL;
		r->proof = NULL;
	}
	verify_batch_settle(o);
}

/* A slot for household i: decode it and send it on its way. */
static void verify_batch_start(verify_batch_call *b, size_t i)
{
	verify_service *vs = b->vs;
	batch_outcome *o = &b->out[i];
	const ProtobufCBinaryData *bytes = &b->hb->households[i];
	if (nng_clock() >= b->start_by) {
		verify_gate_give(vs->gate);
		verify_batch_refuse(o, RPC_DEADLINE_EXCEEDED,
		    "the batch's deadline came before this household could "
		    "be started; nothing was stored: send it again");
		return;
	}
	pthread_mutex_lock(&b->arena_mu);
	Hedui__V1__Household *hh = hedui__v1__household__unpack(
	    &b->arena.allocator, bytes->len, bytes->data);
	pthread_mutex_unlock(&b->arena_mu);
	pb_strcheck_problem bad;
	char why[200] = "";
	if (hh == NULL)
		snprintf(why, sizeof why,
		    "households[%zu] does not decode as hedui.v1.Household",
		    i);
	else if (!pb_strcheck_message(&hedui__v1__household__descriptor,
	             bytes->data, bytes->len, &bad))
		snprintf(why, sizeof why, "households[%zu] field %s %s", i,
		    bad.field, bad.reason);
	else if (hh->request_id[0] == '\0')
		snprintf(why, sizeof why,
		    "households[%zu] has no request_id: each household of a "
		    "batch names its own",
		    i);
	if (why[0] != '\0') {
		/* Its text is not to be trusted (it may hold a NUL): not
		 * recorded, the agency is. */
		verify_audit(vs, b->call, b->who.subject, "", "", "",
		    RPC_INVALID_ARGUMENT);
		if (hh != NULL)
			hedui__v1__household__free_unpacked(
			    hh, &b->arena.allocator);
		verify_gate_give(vs->gate);
		verify_batch_refuse(o, RPC_INVALID_ARGUMENT, "%s", why);
		return;
	}
	o->request_id = strdup(hh->request_id);
	verify_household_args a = {
	    .call = b->call,
	    .who = &b->who,
	    .hh = hh,
	    .hh_allocator = &b->arena.allocator,
	    .bytes = bytes->data,
	    .len = bytes->len,
	    .request_id_default = NULL,
	    .sources_deadline = b->sources_deadline,
	    .quiet = true,
	    .released = verify_batch_released,
	    .done = verify_batch_done,
	    .arg = o,
	};
	verify_household_run(vs, &a);
}

/* The gate granted the batch a slot. */
static void verify_batch_grant(verify_gate_waiter *w)
{
	verify_batch_call *b =
	    (verify_batch_call *)((char *)w -
	                          offsetof(verify_batch_call, waiter));
	size_t i = atomic_fetch_add(&b->next, 1);
	verify_batch_start(b, i);
}

void verify_batch(rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	verify_service *vs = arg;
	const Hedui__V1__VerifyBatchRequest *req =
	    (const Hedui__V1__VerifyBatchRequest *)msg;
	char why[256];

	verify_batch_call *b = calloc(1, sizeof *b);
	if (b == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	b->vs = vs;
	b->call = call;
	b->started_ms = nng_clock();
	pthread_mutex_init(&b->arena_mu, NULL);
	pb_arena_init(&b->arena, 4096);
	log_mask_client(
	    rpc_call_request_id(call), b->log_rid, sizeof b->log_rid);
	b->hb = hedui__v1__household_batch__unpack(
	    NULL, req->batch.len, req->batch.data);
	if (b->hb == NULL) {
		verify_refuse_unsigned(vs, call, RPC_INVALID_ARGUMENT,
		    "undecodable",
		    "batch does not decode as hedui.v1.HouseholdBatch");
		goto fail;
	}
	b->n = b->hb->n_households;
	if (b->n > (size_t)vs->batch_max_households) {
		snprintf(why, sizeof why,
		    "a batch of %zu households: at most %d per batch", b->n,
		    vs->batch_max_households);
		verify_refuse_unsigned(
		    vs, call, RPC_INVALID_ARGUMENT, "too-many", why);
		goto fail;
	}
	rpc_code code = verify_authenticate(vs, call, req->auth,
	    req->batch.data, req->batch.len, &b->who, why, sizeof why);
	if (code != RPC_OK) {
		verify_refuse_unsigned(vs, call, code,
		    code == RPC_INVALID_ARGUMENT
		        ? "operator-id"
		        : agency_auth_refusal_kind(why),
		    why);
		goto fail;
	}
	if (b->n == 0) {
		rpc_call_reply_raw(call, NULL, 0);
		goto fail;
	}
	if ((b->out = calloc(b->n, sizeof *b->out)) == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < b->n; i++)
		b->out[i].b = b;
	/* Nothing in it yet: sized for some 600 bytes of decoded
	 * household each. */
	pb_arena_init(&b->arena, b->n * 768 + 1024);
	nng_time now = nng_clock();
	b->sources_deadline = verify_sources_deadline(call, 200, 2000);
	nng_time span =
	    b->sources_deadline > now ? b->sources_deadline - now : 0;
	b->start_by = b->sources_deadline - (span / 2 < VERIFY_BATCH_START_MS
	                                            ? span / 2
	                                            : VERIFY_BATCH_START_MS);
	atomic_init(&b->next, 0);
	atomic_init(&b->pending, b->n);
	b->waiter.want = b->n;
	b->waiter.run = verify_batch_grant;
	/* From here the households own the batch: the last answers it. */
	verify_gate_ask(vs->gate, &b->waiter);
	return;
fail:
	verify_batch_free(b);
}
