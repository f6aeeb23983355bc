/* SPDX-License-Identifier: MIT */
/*
 * source_chaos: misbehaviour of a whole source, set by flags, for tests
 * and demos: a fixed and a random added latency, a rate of failed
 * requests, and a switch that makes the source hang (hold every request
 * until the caller gives up).
 */
#ifndef HEDUI_SOURCE_CHAOS_H
#define HEDUI_SOURCE_CHAOS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct source_chaos {
	uint32_t latency_ms; /* added to every answer */
	uint32_t jitter_ms;  /* plus uniform 0..jitter_ms */
	int fail_bps;        /* requests failed UNAVAILABLE, in 1/10000 */
	bool hang;           /* never answer */
} source_chaos;

/* What happens to one request. */
typedef struct source_chaos_plan {
	uint32_t delay_ms;
	bool fail;
	bool hang;
} source_chaos_plan;

/* The plan for one request from a 64-bit random draw. */
void source_chaos_plan_for(
    const source_chaos *c, uint64_t draw, source_chaos_plan *plan);

/* A fresh random draw; thread-safe, lock-free. */
uint64_t source_chaos_draw(void);

/* A failure rate: "250" is 250 bps, "2.5%" is 250 bps; 0..10000 bps, at
 * most two decimals before "%". */
bool source_chaos_parse_rate(const char *text, int *bps);

#endif
