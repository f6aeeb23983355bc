/* SPDX-License-Identifier: MIT */
#include "source_chaos.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

void source_chaos_plan_for(
    const source_chaos *c, uint64_t draw, source_chaos_plan *plan)
{
	memset(plan, 0, sizeof *plan);
	plan->hang = c->hang;
	/* The low bits choose the jitter, the high bits the failure: two
	 * independent-enough numbers from one draw. */
	plan->delay_ms = c->latency_ms;
	if (c->jitter_ms > 0)
		plan->delay_ms += (uint32_t)((draw & 0xffffffffu) %
		                             ((uint64_t)c->jitter_ms + 1));
	plan->fail = (int)((draw >> 32) % 10000) < c->fail_bps;
}

uint64_t source_chaos_draw(void)
{
	/* splitmix64 over a shared counter: every caller gets its own
	 * number without a lock. */
	static _Atomic uint64_t counter;
	static atomic_flag seeded = ATOMIC_FLAG_INIT;
	if (!atomic_flag_test_and_set(&seeded)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		atomic_fetch_add(&counter,
		    (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	}
	uint64_t z = atomic_fetch_add(&counter, 0x9e3779b97f4a7c15ULL) +
	             0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

bool source_chaos_parse_rate(const char *text, int *bps)
{
	if (text == NULL || *text < '0' || *text > '9')
		return false;
	long whole = 0;
	const char *p = text;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > 10000)
			return false;
	}
	if (*p == '\0') {
		*bps = (int)whole;
		return true;
	}
	/* A percentage: whole and up to two decimals, in bps. */
	long frac = 0;
	int digits = 0;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++digits > 2)
				return false;
			frac = frac * 10 + (*p - '0');
		}
		if (digits == 0)
			return false;
	}
	if (digits == 1)
		frac *= 10;
	if (p[0] != '%' || p[1] != '\0')
		return false;
	long v = whole * 100 + frac;
	if (v > 10000)
		return false;
	*bps = (int)v;
	return true;
}
