/* SPDX-License-Identifier: MIT */
#include "source_service.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "log.h"
#include "log_mask.h"
#include "source_lookup.h"

/* A held call is released this long after its deadline, so that the
 * server's own DEADLINE_EXCEEDED has surely gone out first. */
#define SOURCE_HOLD_MARGIN_MS 100

typedef enum slot_kind {
	SLOT_REPLY, /* answer OK with ans.response when the timer fires */
	SLOT_FAIL,  /* answer code/message when the timer fires */
	SLOT_HOLD,  /* never answer: release after the deadline */
} slot_kind;

/* One waiting call, with its own timer. */
typedef struct source_slot {
	struct source_service *svc;
	nng_aio *aio;
	rpc_call *call;
	slot_kind kind;
	rpc_code code;
	char message[200];
	source_answer ans;
	struct source_slot *next_free;
} source_slot;

struct source_service {
	srcdb *db;
	srcdb_kind kind;
	source_chaos chaos;
	int max_held;
	int nslots;
	source_slot *slots;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	source_slot *free_list;
	int held;
	int active;   /* handlers running */
	bool closing; /* release has begun */
	bool released;
};

static const ProtobufCServiceDescriptor *source_desc(srcdb_kind k)
{
	switch (k) {
	case SRCDB_BANK:
		return &hedui__v1__bank_source__descriptor;
	case SRCDB_TAX:
		return &hedui__v1__tax_source__descriptor;
	default:
		return &hedui__v1__property_source__descriptor;
	}
}

const char *source_service_name(srcdb_kind kind)
{
	return source_desc(kind)->name;
}

/* Answers a slot's call according to its kind; on a cancelled timer
 * (shutdown) every kind answers UNAVAILABLE. */
static void source_slot_cb(void *arg)
{
	source_slot *sl = arg;
	source_service *s = sl->svc;
	int rv = nng_aio_result(sl->aio);
	if (rv != 0)
		rpc_call_fail(
		    sl->call, RPC_UNAVAILABLE, "the source is shutting down");
	else if (sl->kind == SLOT_REPLY)
		rpc_call_reply(sl->call, sl->ans.response);
	else if (sl->kind == SLOT_FAIL)
		rpc_call_fail(sl->call, sl->code, "%s", sl->message);
	else
		/* The caller heard DEADLINE_EXCEEDED from the server already;
		 * this only gives the context back. */
		rpc_call_fail(sl->call, RPC_DEADLINE_EXCEEDED,
		    "the source did not answer in time");
	source_answer_free(&sl->ans);
	sl->call = NULL;
	pthread_mutex_lock(&s->mu);
	if (sl->kind == SLOT_HOLD)
		s->held--;
	sl->next_free = s->free_list;
	s->free_list = sl;
	pthread_mutex_unlock(&s->mu);
}

/* A free slot, or NULL (at the hold cap for holds, or out of slots). */
static source_slot *source_slot_take(source_service *s, slot_kind kind)
{
	pthread_mutex_lock(&s->mu);
	source_slot *sl = s->free_list;
	if (sl != NULL && kind == SLOT_HOLD && s->held >= s->max_held)
		sl = NULL;
	if (sl != NULL) {
		s->free_list = sl->next_free;
		s->held += kind == SLOT_HOLD;
	}
	pthread_mutex_unlock(&s->mu);
	return sl;
}

/* Waits ms, then answers as the slot says. Takes ans when given. */
static bool source_wait(source_service *s, rpc_call *call, slot_kind kind,
    uint32_t ms, rpc_code code, const char *message, source_answer *ans)
{
	source_slot *sl = source_slot_take(s, kind);
	if (sl == NULL)
		return false;
	sl->call = call;
	sl->kind = kind;
	sl->code = code;
	snprintf(sl->message, sizeof sl->message, "%s",
	    message != NULL ? message : "");
	if (ans != NULL) {
		sl->ans = *ans;
		memset(ans, 0, sizeof *ans);
	}
	nng_sleep_aio((nng_duration)ms, sl->aio);
	return true;
}

static void source_hold(source_service *s, rpc_call *call)
{
	uint32_t ms = rpc_call_remaining_ms(call) + SOURCE_HOLD_MARGIN_MS;
	if (!source_wait(s, call, SLOT_HOLD, ms, RPC_OK, NULL, NULL))
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED,
		    "the source holds too many requests");
}

static void source_answer_call(source_service *s, rpc_call *call,
    uint32_t delay_ms, rpc_code code, const char *message, source_answer *ans)
{
	slot_kind kind = code == RPC_OK ? SLOT_REPLY : SLOT_FAIL;
	if (delay_ms > 0 &&
	    source_wait(s, call, kind, delay_ms, code, message, ans))
		return;
	/* No delay, or no slot left (cannot happen while slots equal the
	 * server's max_inflight): answer now. */
	if (code == RPC_OK)
		rpc_call_reply(call, ans->response);
	else
		rpc_call_fail(call, code, "%s", message);
}

/* case_ref is the caller's text (the household's case_id): keep what
 * goes into the log tame, and mask what looks like an ID number. */
static void source_safe_ref(const char *in, char *out, size_t len)
{
	char tame[80];
	size_t n = 0;
	for (; in != NULL && *in != '\0' && n + 1 < sizeof tame; in++)
		tame[n++] =
		    (*in >= 0x21 && *in <= 0x7e && *in != '"' && *in != '\\')
		        ? *in
		        : '_';
	tame[n] = '\0';
	log_mask_client(tame, out, len);
}

static void source_lookup_handler(
    rpc_call *call, const ProtobufCMessage *request, void *arg)
{
	source_service *s = arg;
	const Hedui__V1__LookupRequest *req =
	    (const Hedui__V1__LookupRequest *)request;
	pthread_mutex_lock(&s->mu);
	bool closing = s->closing;
	s->active += !closing;
	pthread_mutex_unlock(&s->mu);
	if (closing) {
		rpc_call_fail(
		    call, RPC_UNAVAILABLE, "the source is shutting down");
		return;
	}

	source_chaos_plan plan;
	source_chaos_plan_for(&s->chaos, source_chaos_draw(), &plan);
	source_answer ans;
	memset(&ans, 0, sizeof ans);
	enum { DO_HOLD, DO_FAIL, DO_ANSWER } what = DO_ANSWER;
	if (plan.hang) {
		what = DO_HOLD;
	} else {
		source_lookup(s->db, req, &ans);
		if (ans.code == RPC_OK && ans.hold)
			what = DO_HOLD;
		else if (ans.code == RPC_OK && plan.fail)
			what = DO_FAIL;
	}
	/* Logged before answering: once answered, the call and its request
	 * may be reused at any moment. */
	char ref[65], rid[80];
	source_safe_ref(req->case_ref, ref, sizeof ref);
	log_mask_client(rpc_call_request_id(call), rid, sizeof rid);
	size_t persons = req->n_id_numbers;
	for (size_t g = 0; g < req->n_households; g++)
		persons += req->households[g]->n_id_numbers;
	log_info("source.lookup",
	    "kind=%s request_id=\"%s\" case_ref=\"%s\" households=%zu "
	    "held_households=%d persons=%zu found=%d "
	    "unavailable=%d malformed=%d outcome=%s delay_ms=%u",
	    srcdb_kind_name(s->kind), rid, ref,
	    req->n_households > 0 ? req->n_households : 1, ans.held_households,
	    persons, ans.found, ans.unavailable, ans.malformed,
	    what == DO_HOLD   ? "held"
	    : what == DO_FAIL ? "injected_failure"
	                      : rpc_code_name(ans.code),
	    what == DO_HOLD ? 0 : plan.delay_ms);
	switch (what) {
	case DO_HOLD:
		source_hold(s, call);
		break;
	case DO_FAIL:
		source_answer_call(s, call, plan.delay_ms, RPC_UNAVAILABLE,
		    "the source failed (injected failure)", NULL);
		break;
	default:
		source_answer_call(
		    s, call, plan.delay_ms, ans.code, ans.message, &ans);
		break;
	}
	source_answer_free(&ans);

	pthread_mutex_lock(&s->mu);
	if (--s->active == 0 && s->closing)
		pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

source_service *source_service_alloc(const source_service_opts *o)
{
	if (o->db == NULL || o->max_waiting < 1)
		return NULL;
	source_service *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->db = o->db;
	s->kind = srcdb_get_kind(o->db);
	s->chaos = o->chaos;
	s->max_held = o->max_held > 0 ? o->max_held : 1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->nslots = o->max_waiting;
	s->slots = calloc((size_t)s->nslots, sizeof *s->slots);
	if (s->slots == NULL)
		goto fail;
	for (int i = 0; i < s->nslots; i++) {
		source_slot *sl = &s->slots[i];
		sl->svc = s;
		int rv = nng_aio_alloc(&sl->aio, source_slot_cb, sl);
		if (rv != 0) {
			log_error(
			    "source.alloc", "error=\"%s\"", nng_strerror(rv));
			goto fail;
		}
		sl->next_free = s->free_list;
		s->free_list = sl;
	}
	return s;
fail:
	s->released = true; /* nothing can be waiting yet */
	source_service_free(s);
	return NULL;
}

hd_err source_service_register(source_service *s, rpc_server *srv)
{
	static const rpc_handler_fn handlers[1] = {source_lookup_handler};
	return rpc_server_add_service(srv, source_desc(s->kind), handlers, s);
}

int source_service_held(source_service *s)
{
	pthread_mutex_lock(&s->mu);
	int n = s->held;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void source_service_release(source_service *s)
{
	pthread_mutex_lock(&s->mu);
	s->closing = true;
	/* A handler still running may be about to start a timer: wait for
	 * it, so that every timer is started before we cancel them. */
	while (s->active > 0)
		pthread_cond_wait(&s->cv, &s->mu);
	int held = s->held;
	pthread_mutex_unlock(&s->mu);
	if (held > 0)
		log_info("source.release", "held=%d", held);
	/* Stopping a sleeping aio cancels it and waits for its callback,
	 * which answers the call. */
	for (int i = 0; i < s->nslots; i++)
		nng_aio_stop(s->slots[i].aio);
	s->released = true;
}

void source_service_free(source_service *s)
{
	if (s == NULL)
		return;
	if (!s->released)
		source_service_release(s);
	for (int i = 0; s->slots != NULL && i < s->nslots; i++)
		if (s->slots[i].aio != NULL)
			nng_aio_free(s->slots[i].aio);
	free(s->slots);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}
