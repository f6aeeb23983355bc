/* SPDX-License-Identifier: MIT */
/*
 * hedui-bench: a closed-loop load generator for heduid (make bench).
 *
 * Written against the client library (rpc_client) and the agency signing
 * code (agency_sig), as an agency's system would be. See
 * docs/PERFORMANCE.md.
 */
#ifndef HEDUI_BENCH_H
#define HEDUI_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agency_sig.h"
#include "hedui/v1/verifier.pb-c.h"
#include "household.h"

#define BENCH_VERIFY_METHOD "hedui.v1.Verifier/VerifyHousehold"
#define BENCH_BATCH_METHOD "hedui.v1.Verifier/VerifyBatch"
#define BENCH_ECHO_METHOD "hedui.v1.Debug/Echo"
#define BENCH_MAX_WATCH 8
#define BENCH_MAX_BATCH 4096

typedef enum bench_mode { BENCH_ECHO, BENCH_VERIFY, BENCH_BATCH } bench_mode;

/* ID numbers of the generated population, 18 characters each. */
typedef struct bench_pop {
	char (*ids)[IDNUM_LEN + 1];
	size_t n;
} bench_pop;

/* Reads the ID numbers from DIR/bank.db (at most limit of them; 0: all).
 * False after saying why on stderr. */
bool bench_pop_load(const char *dir, size_t limit, bench_pop *pop);
void bench_pop_free(bench_pop *pop);

/* One concurrent caller's request being built: its household and the
 * buffers behind it, reused from call to call. */
typedef struct bench_req {
	Hedui__V1__Household hh;
	Hedui__V1__Member m[HOUSEHOLD_MAX_MEMBERS];
	Hedui__V1__Member *mp[HOUSEHOLD_MAX_MEMBERS];
	char ids[HOUSEHOLD_MAX_MEMBERS][IDNUM_LEN + 1];
	char request_id[48];
	Hedui__V1__VerifyHouseholdRequest req;
	Hedui__V1__AgencyAuth auth;
	uint8_t body[8192];
	uint64_t rng;
} bench_req;

/* Fills r with a household of size members drawn at random from pop and
 * signs it; the request is r->req, its id r->request_id. */
bool bench_req_make(bench_req *r, const bench_pop *pop, size_t size,
    agency_signer *signer, uint64_t seq);
/* Releases what the last bench_req_make allocated. */
void bench_req_done(bench_req *r);

/* One caller's VerifyBatch being built: n households of size members,
 * each with its own request_id, packed into one HouseholdBatch, signed
 * once. The buffers are reused from call to call. */
typedef struct bench_batch {
	bench_req one;  /* builds each household in turn */
	uint8_t *bytes; /* the households, one after another */
	size_t cap;
	ProtobufCBinaryData *hh;
	size_t n;
	uint8_t *batch; /* the packed HouseholdBatch */
	size_t batch_cap;
	char request_id[48];
	Hedui__V1__VerifyBatchRequest req;
	Hedui__V1__AgencyAuth auth;
} bench_batch;

bool bench_batch_make(bench_batch *b, const bench_pop *pop, size_t n,
    size_t size, agency_signer *signer, uint64_t seq);
void bench_batch_done(bench_batch *b);
void bench_batch_free(bench_batch *b);

/* A latency histogram in microseconds: exact below 2 ms, then 1024
 * steps per power of two. Lock-free. */
#define BENCH_HIST_BUCKETS (2048 + 22 * 1024)
typedef struct bench_hist {
	atomic_uint_fast32_t b[BENCH_HIST_BUCKETS];
	atomic_uint_fast64_t n;
	atomic_uint_fast64_t max_us;
} bench_hist;

void bench_hist_add(bench_hist *h, uint64_t us);
/* The value at quantile q (0..1) in microseconds. */
uint64_t bench_hist_quantile(const bench_hist *h, double q);

/* CPU time (user + system, microseconds) and peak/current RSS (KiB) of a
 * process; pid 0 is this one. False when it is gone. */
typedef struct bench_proc_sample {
	uint64_t cpu_us;
	uint64_t hwm_kib;
	uint64_t rss_kib;
} bench_proc_sample;

bool bench_proc_read(int pid, bench_proc_sample *s);

/* A free TCP port on 127.0.0.1 (bound and released), 0 on failure. */
int bench_free_port(void);

#endif
