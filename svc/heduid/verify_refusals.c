/* SPDX-License-Identifier: MIT */
#include "verify_refusals.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agency_sig.h"
#include "log.h"
#include "metrics.h"

/* Distinct (identity, method, status, kind) counted in one interval; a
 * table that fills is written out early, so memory stays bounded. */
#define REFUSALS_SLOTS 256

typedef struct refusal_slot {
	bool used;
	uint8_t who[32]; /* certificate SHA-256; zeros when unknown */
	char subject[RPC_PEER_SUBJECT_MAX];
	char method[128];
	int code;
	const char *kind; /* a string literal of the caller's */
	int64_t count;
	int64_t last_ms;
} refusal_slot;

struct verify_refusals {
	store *st;
	metrics *metrics;
	uint32_t every_ms;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thr;
	bool thr_started;
	bool stop;
	refusal_slot slots[REFUSALS_SLOTS];
	int used;
};

/* Writes and clears every slot. Called locked: store_append_audit_async
 * copies and queues, it never waits. */
static void refusals_write(verify_refusals *r)
{
	int64_t n_all = 0;
	for (int i = 0; i < REFUSALS_SLOTS; i++) {
		refusal_slot *sl = &r->slots[i];
		if (!sl->used)
			continue;
		store_audit a = {
		    .time_ms = sl->last_ms,
		    .agency = "",
		    .operator_id = "",
		    .case_id = "",
		    .method = sl->method,
		    .report_id = "",
		    .persons = "",
		    .outcome = sl->code,
		    .count = sl->count,
		    .peer = sl->subject,
		    .reason = sl->kind,
		};
		store_append_audit_async(r->st, &a, NULL, NULL);
		n_all += sl->count;
		sl->used = false;
	}
	if (r->used > 0)
		log_info("audit.refusals",
		    "summaries=%d refusals=%lld (unsigned requests, recorded "
		    "in aggregate)",
		    r->used, (long long)n_all);
	r->used = 0;
}

static void *refusals_main(void *arg)
{
	verify_refusals *r = arg;
	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += r->every_ms / 1000;
		ts.tv_nsec += (long)(r->every_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!r->stop &&
		       pthread_cond_timedwait(&r->cv, &r->mu, &ts) == 0)
			;
		refusals_write(r);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

void verify_refusals_set_metrics(verify_refusals *r, metrics *m)
{
	if (r == NULL || m == NULL)
		return;
	metrics_family(m, "hedui_refusals_total", METRICS_COUNTER,
	    "Requests refused before any source was asked, by kind "
	    "(unsigned, bad_signature, replay, stale, certificate, consent-*, "
	    "...) and status code.",
	    NULL, 0);
	r->metrics = m;
}

void verify_refusals_metric(metrics *m, const char *kind, rpc_code code)
{
	if (m == NULL)
		return;
	char l1[64], l2[64], labels[140];
	metrics_label(l1, sizeof l1, "kind", kind);
	metrics_label(l2, sizeof l2, "code", rpc_code_name(code));
	snprintf(labels, sizeof labels, "%s,%s", l1, l2);
	metrics_inc(metrics_get(m, "hedui_refusals_total", labels), 1);
}

verify_refusals *verify_refusals_alloc(store *st, uint32_t every_ms)
{
	verify_refusals *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->st = st;
	r->every_ms = every_ms > 0 ? every_ms : 60000;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&r->thr, NULL, refusals_main, r) != 0) {
		verify_refusals_free(r);
		return NULL;
	}
	r->thr_started = true;
	return r;
}

void verify_refusals_free(verify_refusals *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (r->thr_started)
		pthread_join(r->thr, NULL);
	pthread_mutex_lock(&r->mu);
	refusals_write(r);
	pthread_mutex_unlock(&r->mu);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

void verify_refusals_note(verify_refusals *r, const rpc_peer *peer,
    const char *method, rpc_code code, const char *kind)
{
	static const uint8_t zero[32];
	const uint8_t *who =
	    peer != NULL && peer->known ? peer->cert_sha256 : zero;
	if (r == NULL)
		return;
	verify_refusals_metric(r->metrics, kind, code);
	int64_t now = agency_sig_now_ms();
	pthread_mutex_lock(&r->mu);
	refusal_slot *free_slot = NULL, *hit = NULL;
	for (int i = 0; i < REFUSALS_SLOTS && hit == NULL; i++) {
		refusal_slot *sl = &r->slots[i];
		if (!sl->used) {
			if (free_slot == NULL)
				free_slot = sl;
			continue;
		}
		if (sl->code == (int)code && sl->kind == kind &&
		    memcmp(sl->who, who, 32) == 0 &&
		    strcmp(sl->method, method) == 0)
			hit = sl;
	}
	if (hit == NULL && free_slot == NULL) {
		refusals_write(r); /* full: this interval ends early */
		free_slot = &r->slots[0];
	}
	if (hit == NULL) {
		hit = free_slot;
		memset(hit, 0, sizeof *hit);
		hit->used = true;
		memcpy(hit->who, who, 32);
		snprintf(hit->subject, sizeof hit->subject, "%s",
		    peer != NULL && peer->known ? peer->subject : "");
		snprintf(hit->method, sizeof hit->method, "%s", method);
		hit->code = (int)code;
		hit->kind = kind;
		r->used++;
	}
	hit->count++;
	hit->last_ms = now;
	pthread_mutex_unlock(&r->mu);
}

void verify_refusals_flush(verify_refusals *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	refusals_write(r);
	pthread_mutex_unlock(&r->mu);
}
