/* SPDX-License-Identifier: MIT */
#include "retention.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "consent_form.h"
#include "log.h"
#include "stats_summary.h"

struct retention {
	store *s;
	int64_t keep_ms;
	uint32_t interval_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	bool scrub_due; /* a purge whose scrub was held back by a reader */
};

static int64_t retention_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits ms or until stopped; true when stopped. */
static bool retention_sleep(retention *r, uint32_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mu);
	while (!r->stopping &&
	       pthread_cond_timedwait(&r->cv, &r->mu, &ts) != ETIMEDOUT)
		;
	bool stopped = r->stopping;
	pthread_mutex_unlock(&r->mu);
	return stopped;
}

/* One pass: every report due, batch after batch. */
static void retention_pass(retention *r)
{
	int64_t before = retention_now_ms() - r->keep_ms;
	long total = 0;
	hd_err e = HD_OK;
	while ((e = store_purge_due(r->s, before)) == HD_OK) {
		int n = 0;
		if ((e = store_purge(r->s, before, RETENTION_BATCH,
		         stats_conclude, &n)) != HD_OK)
			break;
		total += n;
		/* Room for the commits queued behind this batch. */
		if (n < RETENTION_BATCH || retention_sleep(r, 20))
			break;
	}
	if (e != HD_OK && e != HD_ENOTFOUND)
		log_warn("retention.purge",
		    "purged=%ld error=\"%s\" "
		    "action=\"trying again later\"",
		    total, hd_strerror(e));
	if (total > 0) {
		char d[11];
		consent_date_format(consent_date_of_ms(before), d);
		log_info("retention.purged", "reports=%ld created_before=%s",
		    total, d);
		r->scrub_due = true;
	}
	if (r->scrub_due) {
		e = store_scrub(r->s);
		r->scrub_due = e != HD_OK;
		if (e != HD_OK)
			log_warn("retention.scrub",
			    "error=\"%s\" action=\"trying again later\"",
			    hd_strerror(e));
	}
}

static void *retention_main(void *arg)
{
	retention *r = arg;
	/* The first pass soon after start: a heduid that was down past
	 * a report's term purges it at once. */
	uint32_t wait = 1000;
	while (!retention_sleep(r, wait)) {
		retention_pass(r);
		/* A scrub held back is tried again soon. */
		wait = r->scrub_due ? 1000 : r->interval_ms;
	}
	return NULL;
}

retention *retention_start(
    store *s, int days, uint32_t interval_ms, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", "");
	if (days <= 0)
		return NULL;
	if (store_purge_due(s, 0) == HD_ENOTSUP) {
		snprintf(err, errlen,
		    "[store] retention_days needs a store that can purge "
		    "reports (SQLite, PostgreSQL); this store's backend "
		    "cannot");
		return NULL;
	}
	retention *r = calloc(1, sizeof *r);
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->s = s;
	r->keep_ms = (int64_t)days * 86400000LL;
	r->interval_ms = interval_ms > 0 ? interval_ms : 60000;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pthread_create(&r->thread, NULL, retention_main, r) != 0) {
		snprintf(err, errlen, "cannot start the retention thread");
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return NULL;
	}
	log_info("retention.start", "days=%d", days);
	return r;
}

void retention_stop(retention *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
