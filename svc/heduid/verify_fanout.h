/* SPDX-License-Identifier: MIT */
/*
 * verify_fanout: the lookups of a household at each of bank, tax and
 * property, concurrently, on nng's threads; their answers become the facts
 * of a policy_household. A source that fails, times out or answers
 * something malformed marks its (member, source) lookups FAILED: the rules
 * engine turns that into needs_review or does_not_meet, never an error.
 *
 * Batching: a household's lookup goes out at once when nothing is out at
 * that source. Otherwise it waits, with the other households that arrive,
 * until a request to that source comes back, batch_max households
 * (VERIFY_BATCH_MAX_IDS ID numbers) are waiting, or the oldest has waited
 * VERIFY_BATCH_MAX_WAIT_MS (a hung source), and they go as one
 * LookupRequest.households; the answer is split back by ID number. A
 * household waits only if a request under way must end (answer or
 * deadline) before its own deadline; else it goes at once. A batch holds
 * households of the same as_of whose deadlines are within a tenth of the
 * remaining time (20 ms at least) of each other, and is sent with the
 * earliest of them.
 */
#ifndef HEDUI_VERIFY_FANOUT_H
#define HEDUI_VERIFY_FANOUT_H

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "policy.h"
#include "tls_setup.h"

typedef struct verify_sources verify_sources;

#define VERIFY_BATCH_MAX_HOUSEHOLDS 128 /* a source's limit per request */
#define VERIFY_BATCH_MAX_IDS 1024
#define VERIFY_BATCH_MAX_WAIT_MS 10

/* urls[POLICY_SOURCE_BANK] etc.; an empty or NULL url means the source is
 * not configured and every lookup there fails. batch_max: households per
 * source request, 1 (no batching) to VERIFY_BATCH_MAX_HOUSEHOLDS; 0 means
 * the most. */
verify_sources *verify_sources_alloc(
    const char *const urls[POLICY_SOURCE_COUNT],
    const char *const peers[POLICY_SOURCE_COUNT], const tls_opts *tls,
    int batch_max);
void verify_sources_free(verify_sources *s);
/* Source requests by source and status code, and their latency, into m
 * (metrics.h; borrowed, outlives s). Before the first lookup. */
struct metrics;
void verify_sources_set_metrics(verify_sources *s, struct metrics *m);

/* Called once, on an nng thread, when every source has answered or
 * failed; h is the household passed to start, facts filled in. */
typedef void (*verify_fanout_done_fn)(policy_household *h, void *arg);

/*
 * Asks the sources about every member of h (whose members' id_number are
 * set). deadline_ms bounds each source call. Returns HD_OK and later calls
 * done exactly once; on any other return done is never called.
 */
hd_err verify_fanout_start(verify_sources *s, policy_household *h,
    const char *as_of, const char *case_ref, uint32_t deadline_ms,
    verify_fanout_done_fn done, void *arg);

/*
 * Applies one source's decoded answer to the household: members it does
 * not name, or names with a bad item, become FAILED for src; persons of
 * other households (a batch's answer) are ignored. Separate from
 * the network so that tests and the fuzz target can feed it any reply.
 */
void verify_fanout_take(
    policy_household *h, policy_source src, const ProtobufCMessage *resp);
/*
 * The same for one household of a batched answer, whose persons are
 * expected from index at on, in the household's order (a source lists a
 * batch's households in request order): applied from there when they are,
 * else looked for in the whole answer as verify_fanout_take does. Returns
 * where the next household's persons are expected. Looking each person up
 * in the whole answer made a batch of 32 households cost 32 times a
 * household's lookups.
 */
size_t verify_fanout_take_at(policy_household *h, policy_source src,
    const ProtobufCMessage *resp, size_t at);
/* The response message of a source's Lookup. */
const ProtobufCMessageDescriptor *verify_fanout_response_desc(
    policy_source src);

#endif
