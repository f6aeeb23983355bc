/*
 * rpc_server_watch: notices when nng can no longer close connections.
 *
 * nng 1.5.2 can wedge its only reaper thread for good (rpc_close.h). A
 * server in that state still answers, but every connection that ends
 * from then on is never freed: its descriptor and memory leak until the
 * process runs out. Nothing inside the process can unwedge it, so the
 * watch probes now and then and, once the probe fails, turns Health to
 * NOT_SERVING and says why in the log: a restart is the cure, and
 * reports are committed before they are answered, so it loses nothing.
 */
#include <errno.h>
#include <time.h>

#include "log.h"
#include "rpc_close.h"
#include "rpc_server_impl.h"

#define RPC_WATCH_DEFAULT_EVERY_MS 30000
#define RPC_WATCH_DEFAULT_BOUND_MS 5000

static void rpc_watch_deadline(struct timespec *ts, uint32_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *rpc_watch_main(void *arg)
{
	rpc_server *srv = arg;
	uint32_t every = srv->opts.wedge_probe_ms;
	uint32_t bound = srv->opts.wedge_bound_ms;

	for (;;) {
		struct timespec until;
		rpc_watch_deadline(&until, every);
		pthread_mutex_lock(&srv->watch_mu);
		int rv = 0;
		while (!srv->watch_stop && rv != ETIMEDOUT)
			rv = pthread_cond_timedwait(
			    &srv->watch_cv, &srv->watch_mu, &until);
		bool stop = srv->watch_stop;
		pthread_mutex_unlock(&srv->watch_mu);
		if (stop)
			return NULL;
		if (rpc_close_probe(bound))
			continue;
		nng_mtx_lock(srv->mtx);
		srv->wedged = true;
		nng_mtx_unlock(srv->mtx);
		log_error("rpc.wedged",
		    "url=\"%s\" probe_bound_ms=%u health=NOT_SERVING "
		    "action=\"restart this process\" reason=\"nng cannot "
		    "close connections any more (nng 1.5.2 reaper hang); "
		    "each one that ends from now on is leaked\"",
		    srv->url, bound);
		/* Each further probe would leak a pair of sockets. */
		return NULL;
	}
}

hd_err rpc_server_watch_start(rpc_server *srv)
{
	pthread_condattr_t ca;

	if (srv->opts.wedge_probe_ms == 0)
		srv->opts.wedge_probe_ms = RPC_WATCH_DEFAULT_EVERY_MS;
	if (srv->opts.wedge_bound_ms == 0)
		srv->opts.wedge_bound_ms = RPC_WATCH_DEFAULT_BOUND_MS;
	if (pthread_mutex_init(&srv->watch_mu, NULL) != 0)
		return HD_ENOMEM;
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&srv->watch_cv, &ca) != 0) {
		pthread_mutex_destroy(&srv->watch_mu);
		return HD_ENOMEM;
	}
	pthread_condattr_destroy(&ca);
	srv->watch_stop = false;
	if (pthread_create(&srv->watch_thr, NULL, rpc_watch_main, srv) != 0) {
		pthread_cond_destroy(&srv->watch_cv);
		pthread_mutex_destroy(&srv->watch_mu);
		return HD_ENOMEM;
	}
	srv->watch_running = true;
	return HD_OK;
}

void rpc_server_watch_stop(rpc_server *srv)
{
	if (!srv->watch_running)
		return;
	pthread_mutex_lock(&srv->watch_mu);
	srv->watch_stop = true;
	pthread_cond_signal(&srv->watch_cv);
	pthread_mutex_unlock(&srv->watch_mu);
	pthread_join(srv->watch_thr, NULL);
	pthread_cond_destroy(&srv->watch_cv);
	pthread_mutex_destroy(&srv->watch_mu);
	srv->watch_running = false;
}

bool rpc_server_wedged(const rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	bool w = srv->wedged;
	nng_mtx_unlock(srv->mtx);
	return w;
}
