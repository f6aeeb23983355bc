/* SPDX-License-Identifier: MIT */
/* monitor_calls: building, signing and sending VerifyBatch calls. */
#include "monitor_calls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

uint64_t mon_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

mon_call *mon_call_new(size_t cap)
{
	mon_call *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->jobs = calloc(cap, sizeof *c->jobs);
	if (c->jobs == NULL) {
		free(c);
		return NULL;
	}
	c->cap = cap;
	return c;
}

bool mon_call_add(mon_call *c, mon_job *job)
{
	if (c->n == c->cap ||
	    (c->n > 0 && c->bytes + job->len > MON_BATCH_BYTES_MAX))
		return false;
	c->jobs[c->n++] = *job;
	c->bytes += job->len;
	memset(job, 0, sizeof *job);
	return true;
}

void mon_call_free(mon_call *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->jobs[i].household);
	free(c->jobs);
	if (c->resp != NULL)
		protobuf_c_message_free_unpacked(&c->resp->base, NULL);
	free(c);
}

void mon_done_queue_init(mon_done_queue *q)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_mutex_init(&q->mtx, NULL);
	pthread_cond_init(&q->cv, &a);
	pthread_condattr_destroy(&a);
	q->head = q->tail = NULL;
}

void mon_done_queue_destroy(mon_done_queue *q)
{
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mtx);
}

mon_call *mon_done_queue_take(mon_done_queue *q, uint64_t wait_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(wait_ms / 1000);
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->mtx);
	while (q->head == NULL &&
	       pthread_cond_timedwait(&q->cv, &q->mtx, &until) == 0)
		;
	mon_call *list = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->mtx);
	return list;
}

static void mc_push(mon_done_queue *q, mon_call *c)
{
	pthread_mutex_lock(&q->mtx);
	c->next = NULL;
	if (q->tail != NULL)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mtx);
}

typedef struct mc_ctx {
	mon_done_queue *q;
	mon_call *call;
} mc_ctx;

/* On an nng thread: only hand the call over. */
static void mc_done(
    rpc_code code, const rpc_status *st, ProtobufCMessage *resp, void *arg)
{
	mc_ctx *x = arg;
	mon_call *c = x->call;
	mon_done_queue *q = x->q;
	free(x);
	c->code = code;
	c->st = *st;
	c->resp = (Hedui__V1__VerifyBatchResponse *)resp;
	mc_push(q, c);
}

hd_err mon_call_send(mon_sender *s, mon_call *c)
{
	Hedui__V1__HouseholdBatch batch = HEDUI__V1__HOUSEHOLD_BATCH__INIT;
	Hedui__V1__VerifyBatchRequest req =
	    HEDUI__V1__VERIFY_BATCH_REQUEST__INIT;
	Hedui__V1__AgencyAuth auth = HEDUI__V1__AGENCY_AUTH__INIT;
	ProtobufCBinaryData *hh = calloc(c->n, sizeof *hh);
	mc_ctx *x = malloc(sizeof *x);
	hd_err e = HD_ENOMEM;
	if (hh == NULL || x == NULL)
		goto out;
	for (size_t i = 0; i < c->n; i++) {
		hh[i].data = c->jobs[i].household;
		hh[i].len = c->jobs[i].len;
	}
	batch.n_households = c->n;
	batch.households = hh;
	req.batch.len = hedui__v1__household_batch__get_packed_size(&batch);
	req.batch.data = malloc(req.batch.len ? req.batch.len : 1);
	if (req.batch.data == NULL)
		goto out;
	hedui__v1__household_batch__pack(&batch, req.batch.data);

	/* The envelope's request id is what the signature covers; each
	 * sending gets its own (the households keep theirs). */
	unsigned char rnd[16];
	char rid[40], trace[33];
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		e = HD_ECRYPTO;
		goto out;
	}
	memcpy(rid, "mb-", 3);
	for (int i = 0; i < 16; i++)
		snprintf(rid + 3 + 2 * i, 3, "%02x", rnd[i]);
	memcpy(trace, rid + 3, 33);
	req.auth = &auth;
	e = agency_signer_sign(s->signer, MON_BATCH_METHOD, rid,
	    s->operator_id, req.batch.data, req.batch.len, agency_sig_now_ms(),
	    &auth);
	if (e != HD_OK)
		goto out;
	rpc_metadata md[2] = {
	    {"operator-id", s->operator_id}, {"trace-id", trace}};
	rpc_call_opts o = {.deadline_ms = s->deadline_ms,
	    .request_id = rid,
	    .metadata = md,
	    .metadata_count = 2};
	x->q = s->done;
	x->call = c;
	c->resp = NULL;
	/* The request is packed before this returns: ours to free. */
	e = rpc_client_call_async(s->client, MON_BATCH_METHOD, &req.base,
	    &hedui__v1__verify_batch_response__descriptor, &o, mc_done, x);
	if (e == HD_OK)
		x = NULL;
out:
	agency_auth_release(&auth);
	free(req.batch.data);
	free(hh);
	free(x);
	return e;
}
