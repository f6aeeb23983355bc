/* SPDX-License-Identifier: MIT */
#include "log_limit.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* One lock for every limiter: taken once per limited event, which is
 * cheap next to the formatting and write of a line. */
static pthread_mutex_t log_limit_mu = PTHREAD_MUTEX_INITIALIZER;
static log_limit *log_limit_all;

static uint64_t log_limit_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Closes l's window if it has passed; returns what it held back (the
 * caller logs it, unlocked). Called locked. */
static uint64_t log_limit_roll(log_limit *l, uint64_t now)
{
	if (now - l->window_start < l->window_ms)
		return 0;
	uint64_t held = l->suppressed;
	l->window_start = now;
	l->used = 0;
	l->suppressed = 0;
	return held;
}

static void log_limit_say(const log_limit *l, uint64_t held)
{
	if (held > 0)
		log_warn("log.suppressed", "of=%s count=%llu window_ms=%u",
		    l->event, (unsigned long long)held, l->window_ms);
}

void log_limited(log_limit *l, log_level level, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	uint64_t now = log_limit_now_ms();
	pthread_mutex_lock(&log_limit_mu);
	if (!l->registered) {
		l->registered = true;
		l->window_start = now;
		l->next = log_limit_all;
		log_limit_all = l;
	}
	uint64_t held = log_limit_roll(l, now);
	bool say = l->used < l->burst;
	if (say)
		l->used++;
	else
		l->suppressed++;
	pthread_mutex_unlock(&log_limit_mu);
	log_limit_say(l, held);
	if (!say)
		return;
	char line[1536];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_event(level, l->event, "%s", line);
}

void log_limit_flush(void)
{
	enum { MAX_SAY = 32 };
	const log_limit *who[MAX_SAY];
	uint64_t held[MAX_SAY];
	int n = 0;
	uint64_t now = log_limit_now_ms();
	pthread_mutex_lock(&log_limit_mu);
	for (log_limit *l = log_limit_all; l != NULL && n < MAX_SAY;
	     l = l->next) {
		if (l->suppressed == 0)
			continue;
		uint64_t h = log_limit_roll(l, now);
		if (h > 0) {
			who[n] = l;
			held[n++] = h;
		}
	}
	pthread_mutex_unlock(&log_limit_mu);
	for (int i = 0; i < n; i++)
		log_limit_say(who[i], held[i]);
}
