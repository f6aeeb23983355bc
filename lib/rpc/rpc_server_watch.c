/* SPDX-License-Identifier: MIT */
/*
 * rpc_server_watch: notices when the server can no longer do its job in
 * ways that nothing inside it would otherwise see.
 *
 * - nng can no longer close connections. nng 1.5.2 could wedge its only
 *   reaper thread for good (rpc_close.h; our nng patches remove the
 *   causes we know). A server in that state still answers, but every
 *   connection that ends from then on is never freed: its descriptor and
 *   memory leak until the process runs out. Nothing inside the process
 *   can unwedge it, so the watch logs why and exits with RPC_WEDGED_EXIT
 *   for its supervisor to restart it: reports are committed before they
 *   are answered, so a restart loses nothing.
 * - The listener no longer accepts. Connections opened before keep
 *   working, so the outage hides from everyone already connected
 *   (issue 12: one close_notify did this to nng 1.5.2). The watch
 *   connects to its own address (rpc_listen_probe.h); after two failed
 *   probes in a row Health says NOT_SERVING, and SERVING again once a
 *   probe succeeds.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rpc_close.h"
#include "rpc_listen_probe.h"
#include "rpc_server_impl.h"

#define RPC_WATCH_DEFAULT_EVERY_MS 30000
#define RPC_WATCH_DEFAULT_BOUND_MS 5000
#define RPC_WATCH_LISTEN_FAILS 2

static void rpc_watch_wedged(rpc_server *srv, uint32_t bound)
{
	nng_mtx_lock(srv->mtx);
	srv->wedged = true;
	nng_mtx_unlock(srv->mtx);
	log_error("rpc.wedged",
	    "url=\"%s\" probe_bound_ms=%u health=NOT_SERVING "
	    "action=\"%s\" reason=\"nng cannot close connections any "
	    "more; each one that ends from now on is leaked\"",
	    srv->url, bound,
	    srv->opts.stay_when_wedged ? "restart this process"
	                               : "exiting for the supervisor to "
	                                 "restart this process");
	/* No cleanup: it would wait for the stuck reaper. Everything
	 * answered is committed; everything else is the caller's to retry. */
	if (!srv->opts.stay_when_wedged)
		_exit(RPC_WEDGED_EXIT);
}

/* One listener probe; flips listener_stuck after repeated failures. */
static void rpc_watch_listener(rpc_server *srv, uint32_t bound, int *fails)
{
	if (srv->lprobe == NULL)
		return;
	if (rpc_listen_probe_run(srv->lprobe, bound)) {
		nng_mtx_lock(srv->mtx);
		bool was = srv->listener_stuck;
		srv->listener_stuck = false;
		nng_mtx_unlock(srv->mtx);
		if (was)
			log_info("rpc.listener",
			    "url=\"%s\" result=accepting health=SERVING",
			    srv->url);
		*fails = 0;
		return;
	}
	if (++*fails < RPC_WATCH_LISTEN_FAILS) {
		log_warn("rpc.listener",
		    "url=\"%s\" result=no_answer probe_bound_ms=%u "
		    "next=\"probing again\"",
		    srv->url, bound);
		return;
	}
	nng_mtx_lock(srv->mtx);
	bool was = srv->listener_stuck;
	srv->listener_stuck = true;
	nng_mtx_unlock(srv->mtx);
	if (!was)
		log_error("rpc.listener",
		    "url=\"%s\" result=not_accepting probes=%d "
		    "health=NOT_SERVING action=\"restart this process\" "
		    "reason=\"new connections get no TLS handshake; "
		    "connections made before still work\"",
		    srv->url, *fails);
}

static void rpc_watch_main(void *arg)
{
	rpc_server *srv = arg;
	uint32_t every = srv->opts.wedge_probe_ms;
	uint32_t bound = srv->opts.wedge_bound_ms;
	int listen_fails = 0;

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
		if (!rpc_close_probe(bound)) {
			rpc_watch_wedged(srv, bound);
			/* Each further probe would leak a pair of sockets. */
			return;
		}
		rpc_watch_listener(srv, bound, &listen_fails);
	}
}

hd_err rpc_server_watch_start(rpc_server *srv)
{
	if (srv->opts.wedge_probe_ms == 0)
		srv->opts.wedge_probe_ms = RPC_WATCH_DEFAULT_EVERY_MS;
	if (srv->opts.wedge_bound_ms == 0)
		srv->opts.wedge_bound_ms = RPC_WATCH_DEFAULT_BOUND_MS;
	srv->watch_stop = false;
	/* The address as bound: a URL with port 0 (any free port) is
	 * probed on the port the kernel gave. NULL for inproc:// (and any
	 * URL it cannot probe). */
	char url[300];
	int port = 0;
	const char *colon = strrchr(srv->url, ':');
	if (colon != NULL && strcmp(colon, ":0") == 0 && srv->listening &&
	    nng_listener_get_int(
	        srv->listener, NNG_OPT_TCP_BOUND_PORT, &port) == 0 &&
	    (size_t)(colon - srv->url) + 8 < sizeof url)
		snprintf(url, sizeof url, "%.*s:%d", (int)(colon - srv->url),
		    srv->url, port);
	else
		snprintf(url, sizeof url, "%s", srv->url);
	srv->lprobe = rpc_listen_probe_alloc(url, &srv->opts.tls);
	if (nng_mtx_alloc(&srv->watch_mu) != 0 ||
	    nng_cv_alloc(&srv->watch_cv, srv->watch_mu) != 0 ||
	    nng_thread_create(&srv->watch_thr, rpc_watch_main, srv) != 0) {
		nng_cv_free(srv->watch_cv);
		nng_mtx_free(srv->watch_mu);
		rpc_listen_probe_free(srv->lprobe);
		srv->lprobe = NULL;
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
	rpc_listen_probe_free(srv->lprobe);
	srv->lprobe = NULL;
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

bool rpc_server_listener_stuck(const rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	bool s = srv->listener_stuck;
	nng_mtx_unlock(srv->mtx);
	return s;
}
