/* SPDX-License-Identifier: MIT */
/*
 * monitor_calls: VerifyBatch calls of a monitoring run: the households
 * they carry, signing, sending them asynchronously, and a queue of
 * completed calls that the run's one thread takes in turn (nng's threads
 * only queue: every file and every count is the run thread's).
 */
#ifndef HEDUI_MONITOR_CALLS_H
#define HEDUI_MONITOR_CALLS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agency_sig.h"
#include "hedui/v1/verifier.pb-c.h"
#include "monitor_record.h"
#include "rpc_client.h"

#define MON_BATCH_METHOD "hedui.v1.Verifier/VerifyBatch"
/* A batch's households take at most this many bytes, well within
 * heduid's default recv_max_bytes (1 MiB) with the envelope around it. */
#define MON_BATCH_BYTES_MAX (512 * 1024)

/* One household to verify: its packed bytes (request_id set) and the
 * record its outcome completes. */
typedef struct mon_job {
	uint8_t *household;
	size_t len;
	mon_record rec;
} mon_job;

typedef struct mon_call {
	mon_job *jobs;
	size_t n, cap, bytes;
	int attempt;         /* 0 the first time */
	uint64_t not_before; /* ms (monotonic) before which not to send */
	struct mon_call *next;
	/* Filled when the call completes. */
	rpc_code code;
	rpc_status st;
	Hedui__V1__VerifyBatchResponse *resp;
} mon_call;

mon_call *mon_call_new(size_t cap);
/* Takes the job (its bytes included); false when the call is full (by
 * count or by bytes): the job stays the caller's. */
bool mon_call_add(mon_call *c, mon_job *job);
void mon_call_free(mon_call *c); /* accepts NULL */

/* Completed calls, in the order they complete. */
typedef struct mon_done_queue {
	pthread_mutex_t mtx;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	mon_call *head, *tail;
} mon_done_queue;

void mon_done_queue_init(mon_done_queue *q);
void mon_done_queue_destroy(mon_done_queue *q);
/* Waits until a call completes or wait_ms pass; takes every completed
 * call (a list through ->next), or NULL. */
mon_call *mon_done_queue_take(mon_done_queue *q, uint64_t wait_ms);

typedef struct mon_sender {
	rpc_client *client;
	agency_signer *signer;
	const char *operator_id;
	uint32_t deadline_ms;
	mon_done_queue *done;
} mon_sender;

/* Signs the batch afresh (a retry is a new request: the service refuses
 * the same signed bytes twice) and sends it; the call lands in the done
 * queue whatever happens. HD_OK, or an error when it could not be sent at
 * all (the call is then not queued). */
hd_err mon_call_send(mon_sender *s, mon_call *c);

/* Milliseconds of the monotonic clock. */
uint64_t mon_now_ms(void);

#endif
