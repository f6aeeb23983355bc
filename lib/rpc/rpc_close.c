/* SPDX-License-Identifier: MIT */
/*
 * rpc_close: nng_close on a helper thread, waited for with a deadline.
 * The helper and the caller share one record; whichever lets go last
 * frees it, so an abandoned helper can still finish later (if nng ever
 * unwedges) without touching freed memory.
 *
 * The only pthreads of the RPC layer (the Makefile's rule: nng_mtx, nng_cv,
 * nng_thread): the helper must be detached, which nng_thread cannot be,
 * because a wedged close never returns it; and the wait must run on
 * CLOCK_MONOTONIC, while nng 1.5.2's condition variables wait on
 * CLOCK_REALTIME (its posix_config.h), which a clock step would cut short
 * or stretch. The record's lock and condition variable go with the thread.
 */
#include "rpc_close.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>

#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "log.h"

typedef struct rpc_closer {
	nng_socket sock;
	bool fini; /* nng_fini instead of closing sock */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	int refs;
} rpc_closer;

static atomic_bool rpc_close_any_abandoned;

static void rpc_closer_release(rpc_closer *c)
{
	pthread_mutex_lock(&c->mu);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&c->mu);
	if (!last)
		return;
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void *rpc_closer_main(void *arg)
{
	rpc_closer *c = arg;
	if (c->fini)
		nng_fini();
	else
		nng_close(c->sock);
	pthread_mutex_lock(&c->mu);
	c->done = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	rpc_closer_release(c);
	return NULL;
}

static bool rpc_close_run(
    nng_socket s, bool fini, unsigned bound_ms, const char *who)
{
	rpc_closer *c = calloc(1, sizeof *c);
	pthread_condattr_t ca;
	pthread_t t;

	if (c == NULL)
		goto unbounded;
	c->sock = s;
	c->fini = fini;
	c->refs = 2;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		goto unbounded;
	}
	/* A monotonic clock: a clock step must not cut the wait short. */
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&c->cv, &ca) != 0) {
		pthread_mutex_destroy(&c->mu);
		free(c);
		goto unbounded;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_create(&t, NULL, rpc_closer_main, c) != 0) {
		c->refs = 1;
		rpc_closer_release(c);
		goto unbounded;
	}
	pthread_detach(t);

	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += bound_ms / 1000;
	until.tv_nsec += (long)(bound_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mu);
	int rv = 0;
	while (!c->done && rv != ETIMEDOUT)
		rv = pthread_cond_timedwait(&c->cv, &c->mu, &until);
	bool done = c->done;
	pthread_mutex_unlock(&c->mu);
	rpc_closer_release(c);
	if (!done) {
		atomic_store(&rpc_close_any_abandoned, true);
		log_warn(who,
		    "step=%s result=abandoned after_ms=%u "
		    "reason=\"nng 1.5.2 close did not finish; %s\"",
		    fini ? "fini" : "close", bound_ms,
		    fini ? "exiting anyway" : "socket leaked");
	}
	return done;

unbounded:
	/* No thread to spare: an unbounded close beats a leaked socket. */
	if (fini)
		nng_fini();
	else
		nng_close(s);
	return true;
}

bool rpc_close_bounded(nng_socket s, unsigned bound_ms, const char *who)
{
	return rpc_close_run(s, false, bound_ms, who);
}

void rpc_close_all(const char *who)
{
	if (rpc_close_abandoned())
		return; /* nng_fini would wait for the stuck reaper too */
	nng_socket none = NNG_SOCKET_INITIALIZER;
	(void)rpc_close_run(none, true, RPC_CLOSE_BOUND_MS, who);
}

bool rpc_close_probe(unsigned bound_ms)
{
	static atomic_uint serial;
	char url[64];
	nng_socket rep, req;
	bool ok;

	snprintf(url, sizeof url, "inproc://hedui-close-probe-%u",
	    atomic_fetch_add(&serial, 1));
	if (nng_rep0_open(&rep) != 0)
		return true; /* cannot tell; not evidence of a hang */
	if (nng_req0_open(&req) != 0) {
		nng_close(rep);
		return true;
	}
	/* The pipe is what needs the reaper: connect before closing. */
	if (nng_listen(rep, url, NULL, 0) != 0 ||
	    nng_dial(req, url, NULL, 0) != 0) {
		nng_close(req);
		nng_close(rep);
		return true;
	}
	ok = rpc_close_bounded(req, bound_ms, "rpc.close_probe");
	ok = rpc_close_bounded(rep, bound_ms, "rpc.close_probe") && ok;
	return ok;
}

bool rpc_close_abandoned(void)
{
	return atomic_load(&rpc_close_any_abandoned);
}
