/* SPDX-License-Identifier: MIT */
#include "stats_backfill.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "stats_summary.h"

struct stats_backfill {
	store *s;
	pthread_t thread;
	pthread_mutex_t mu;
	bool stopping;
};

static bool stats_backfill_stopping(stats_backfill *b)
{
	pthread_mutex_lock(&b->mu);
	bool stop = b->stopping;
	pthread_mutex_unlock(&b->mu);
	return stop;
}

static void *stats_backfill_main(void *arg)
{
	stats_backfill *b = arg;
	long total = 0;
	hd_err e = HD_OK;
	int n = 0;
	while (!stats_backfill_stopping(b)) {
		e = store_backfill_counts(
		    b->s, STATS_BACKFILL_BATCH, stats_summarize, &n);
		if (e != HD_OK || n == 0)
			break;
		total += n;
		/* Room for the commits queued behind this batch. */
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (e != HD_OK)
		log_warn("stats.backfill",
		    "reports=%ld error=\"%s\" action=\"the rest is counted "
		    "after the next start\"",
		    total, hd_strerror(e));
	else
		log_info("stats.backfill", "reports=%ld done=%s", total,
		    n == 0 ? "true" : "false");
	return NULL;
}

stats_backfill *stats_backfill_start(store *s)
{
	if (store_backfill_due(s) != HD_OK)
		return NULL;
	stats_backfill *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	b->s = s;
	pthread_mutex_init(&b->mu, NULL);
	if (pthread_create(&b->thread, NULL, stats_backfill_main, b) != 0) {
		log_warn("stats.backfill", "error=\"cannot start a thread\"");
		pthread_mutex_destroy(&b->mu);
		free(b);
		return NULL;
	}
	log_info("stats.backfill", "started=true");
	return b;
}

void stats_backfill_stop(stats_backfill *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	b->stopping = true;
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	pthread_mutex_destroy(&b->mu);
	free(b);
}
