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
#include "log.h"
#include "rpc_close.h"
#include "rpc_server_impl.h"

#define RPC_WATCH_DEFAULT_EVERY_MS 30000
#define RPC_WATCH_DEFAULT_BOUND_MS 5000

static void rpc_watch_main(void *arg)
{
	rpc_server *srv = arg;
	uint32_t every = srv->opts.wedge_probe_ms;
	uint32_t bound = srv->opts.wedge_bound_ms;

	for (;;) {
		nng_time until = nng_clock() + every;
		nng_mtx_lock(srv->watch_mu);
		while (!srv->watch_stop &&
		       nng_cv_until(srv->watch_cv, until) != NNG_ETIMEDOUT)
			;
		bool stop = srv->watch_stop;
		nng_mtx_unlock(srv->watch_mu);
		if (stop)
			return;
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
		return;
	}
}

hd_err rpc_server_watch_start(rpc_server *srv)
{
	if (srv->opts.wedge_probe_ms == 0)
		srv->opts.wedge_probe_ms = RPC_WATCH_DEFAULT_EVERY_MS;
	if (srv->opts.wedge_bound_ms == 0)
		srv->opts.wedge_bound_ms = RPC_WATCH_DEFAULT_BOUND_MS;
	srv->watch_stop = false;
	if (nng_mtx_alloc(&srv->watch_mu) != 0 ||
	    nng_cv_alloc(&srv->watch_cv, srv->watch_mu) != 0 ||
	    nng_thread_create(&srv->watch_thr, rpc_watch_main, srv) != 0) {
		nng_cv_free(srv->watch_cv);
		nng_mtx_free(srv->watch_mu);
		srv->watch_cv = NULL;
		srv->watch_mu = NULL;
		return HD_ENOMEM;
	}
	return HD_OK;
}

void rpc_server_watch_stop(rpc_server *srv)
{
	if (srv->watch_thr == NULL)
		return;
	nng_mtx_lock(srv->watch_mu);
	srv->watch_stop = true;
	nng_cv_wake(srv->watch_cv);
	nng_mtx_unlock(srv->watch_mu);
	nng_thread_destroy(srv->watch_thr); /* joins */
	nng_cv_free(srv->watch_cv);
	nng_mtx_free(srv->watch_mu);
	srv->watch_thr = NULL;
	srv->watch_cv = NULL;
	srv->watch_mu = NULL;
}

bool rpc_server_wedged(const rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	bool w = srv->wedged;
	nng_mtx_unlock(srv->mtx);
	return w;
}
