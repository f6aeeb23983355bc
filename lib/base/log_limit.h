/* SPDX-License-Identifier: MIT */
/*
 * log_limit: a flood must not turn into a flood of log lines.
 *
 * Events a peer can cause at will (refusals, rejected calls, connections
 * closed for limits) go through a limiter: at most `burst` lines of that
 * event in each window, then the rest are only counted, and the count is
 * said in one line when the window has passed:
 *
 *   event=log.suppressed of=rpc.reject count=15210 window_ms=10000
 *
 * A limiter is a static object at its call site; log_limit_flush() (the
 * RPC server calls it every second) says what was suppressed even when
 * no further event of that kind comes.
 */
#ifndef HEDUI_LOG_LIMIT_H
#define HEDUI_LOG_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

typedef struct log_limit {
	const char *event;
	unsigned burst;     /* lines per window */
	unsigned window_ms; /* the window */
	/* State, guarded by a lock of log_limit.c. */
	bool registered;
	uint64_t window_start;
	unsigned used;
	uint64_t suppressed;
	struct log_limit *next;
} log_limit;

#define LOG_LIMIT_INIT(ev, burst_, window_ms_)                                \
	{                                                                     \
		.event = (ev), .burst = (burst_), .window_ms = (window_ms_)   \
	}

/* Logs the event as log_event would, unless its limiter's burst for this
 * window is used up. */
void log_limited(log_limit *l, log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Says, for every limiter whose window has passed, how many lines it held
 * back. Cheap when there is nothing to say. */
void log_limit_flush(void);

#endif
