/* SPDX-License-Identifier: MIT */
/*
 * verify_refusals: refusals of requests that no agency signed, recorded
 * in aggregate.
 *
 * A request that is not signed, or whose signature does not hold, names
 * no one accountable, and any holder of a certificate from the agency CA
 * can send thousands a second. One durable audit row each let such a
 * flood fill the disk (issue 13: ~2,900 rows a second until the store
 * stopped). Instead they are counted per TLS identity (the connection's
 * certificate, which the CA issued to someone), method, status and kind
 * of refusal, and each interval one audit record per combination says
 * how many there were: count, peer and reason in the same chain as every
 * other record. What an authenticated agency is refused is still
 * recorded one by one (its identity's rate limit bounds it).
 *
 * The counts of the current interval are in memory: a crash loses at
 * most one interval of refusals, never anything that was answered OK.
 */
#ifndef HEDUI_VERIFY_REFUSALS_H
#define HEDUI_VERIFY_REFUSALS_H

#include <stdint.h>

#include "rpc_peer.h"
#include "rpc_status.h"
#include "store.h"

typedef struct verify_refusals verify_refusals;

/* Writes a summary into st every every_ms (and when the table fills).
 * NULL on allocation failure. */
verify_refusals *verify_refusals_alloc(store *st, uint32_t every_ms);
/* Writes what is counted, then frees; before the store closes. Accepts
 * NULL. */
void verify_refusals_free(verify_refusals *r);

/* Counts one refusal. kind is a short fixed word ("unsigned", "replay",
 * ...); method the full method name. Thread-safe, never blocks on the
 * store. */
void verify_refusals_note(verify_refusals *r, const rpc_peer *peer,
    const char *method, rpc_code code, const char *kind);

/* Each refusal also counts in m's hedui_refusals_total by kind and code
 * (metrics.h; borrowed, outlives r). */
struct metrics;
void verify_refusals_set_metrics(verify_refusals *r, struct metrics *m);
/* The same count alone, for refusals audited one by one (consent). m
 * NULL: nothing. */
void verify_refusals_metric(
    struct metrics *m, const char *kind, rpc_code code);

/* Writes the summaries now (tests, shutdown). */
void verify_refusals_flush(verify_refusals *r);

#endif
