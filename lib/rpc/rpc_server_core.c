/* SPDX-License-Identifier: MIT */
/*
 * rpc_server_core: the server's set-up and tear-down: options, services,
 * the listener, connections and their sweeper. What its calls ask of it
 * (method table, admission, metrics) is in rpc_server_state.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>

#include "log.h"
#include "log_limit.h"
#include "rpc_close.h"
#include "rpc_server_impl.h"

#define RPC_DEFAULT_MAX_INFLIGHT 256
#define RPC_DEFAULT_REJECT_CONTEXTS 16
#define RPC_DEFAULT_RECV_MAX (1024 * 1024)
#define RPC_DEFAULT_MAX_DEADLINE_MS 30000
/* How long a drained server waits before closing its pipes. */
#define RPC_SERVER_LINGER_MS 200
/* Descriptors kept apart from clients' connections: the report store,
 * the source connections, the wedge probe, logs and a margin. */
#define RPC_FD_RESERVE 128
#define RPC_SWEEP_MS 1000

rpc_server *rpc_server_alloc(const rpc_server_opts *opts)
{
	rpc_server *srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		return NULL;
	srv->opts = *opts;
	if (srv->opts.max_inflight <= 0)
		srv->opts.max_inflight = RPC_DEFAULT_MAX_INFLIGHT;
	if (srv->opts.reject_contexts <= 0)
		srv->opts.reject_contexts = RPC_DEFAULT_REJECT_CONTEXTS;
	if (srv->opts.recv_max_bytes == 0)
		srv->opts.recv_max_bytes = RPC_DEFAULT_RECV_MAX;
	if (srv->opts.max_deadline_ms == 0)
		srv->opts.max_deadline_ms = RPC_DEFAULT_MAX_DEADLINE_MS;
	rpc_limits_resolve(&srv->opts.limits);
	srv->url = strdup(opts->url != NULL ? opts->url : "");
	srv->serving_all = 1;
	if (srv->url == NULL || nng_mtx_alloc(&srv->mtx) != 0) {
		free(srv->url);
		free(srv);
		return NULL;
	}
	srv->opts.url = srv->url;
	rpc_server_metrics_declare(srv);
	return srv;
}

void rpc_server_free(rpc_server *srv)
{
	if (srv == NULL)
		return;
	/* After a drain, the last replies may still be on their way through
	 * the pipes (a REP send completes when the pipe takes the message,
	 * before TLS has written it), and closing the listener closes every
	 * pipe it accepted: give them a moment. Seen as a client getting
	 * UNAVAILABLE instead of its verdict at shutdown under ASan. */
	if (srv->started && rpc_server_draining(srv))
		nng_msleep(RPC_SERVER_LINGER_MS);
	rpc_server_watch_stop(srv);
	rpc_server_sweeper_stop(srv);
	if (srv->listening)
		nng_listener_close(srv->listener);
	rpc_server_calls_stop(srv);
	rpc_server_calls_free(srv);
	/* An abandoned close leaves nng using all of it: leak, not free. */
	if (srv->sock_open &&
	    !rpc_close_bounded(srv->sock, RPC_CLOSE_BOUND_MS, "rpc.server"))
		return;
	/* The socket is closed: no pipe event can come any more. */
	rpc_conns_free(srv->conns);
	if (srv->tls != NULL)
		nng_tls_config_free(srv->tls);
	for (size_t i = 0; i < srv->nmethods; i++)
		free(srv->methods[i].full_name);
	free(srv->methods);
	free(srv->method_names);
	for (size_t i = 0; i < srv->nservices; i++)
		free(srv->services[i].name);
	free(srv->services);
	nng_mtx_free(srv->mtx);
	free(srv->url);
	free(srv);
}

hd_err rpc_server_add_service(rpc_server *srv,
    const ProtobufCServiceDescriptor *desc, const rpc_handler_fn *handlers,
    void *arg)
{
	if (srv->started || desc == NULL)
		return HD_EINVAL;
	size_t n = srv->nmethods + desc->n_methods;
	rpc_method *ms = realloc(srv->methods, n * sizeof *ms);
	if (ms == NULL)
		return HD_ENOMEM;
	srv->methods = ms;
	const char **names = realloc(srv->method_names, n * sizeof *names);
	if (names == NULL)
		return HD_ENOMEM;
	srv->method_names = names;
	rpc_service_state *ss =
	    realloc(srv->services, (srv->nservices + 1) * sizeof *ss);
	if (ss == NULL)
		return HD_ENOMEM;
	srv->services = ss;
	char *sname = strdup(desc->name);
	if (sname == NULL)
		return HD_ENOMEM;
	int si = (int)srv->nservices;
	srv->services[si].name = sname;
	srv->services[si].serving = 1;

	for (unsigned i = 0; i < desc->n_methods; i++) {
		rpc_method *m = &srv->methods[srv->nmethods];
		size_t len =
		    strlen(desc->name) + 1 + strlen(desc->methods[i].name);
		m->full_name = malloc(len + 1);
		if (m->full_name == NULL)
			return HD_ENOMEM;
		snprintf(m->full_name, len + 1, "%s/%s", desc->name,
		    desc->methods[i].name);
		m->service_name = sname;
		m->desc = &desc->methods[i];
		m->fn = handlers != NULL ? handlers[i] : NULL;
		m->arg = arg;
		m->service_index = si;
		srv->method_names[srv->nmethods] = m->full_name;
		srv->nmethods++;
	}
	srv->nservices++;
	return HD_OK;
}

hd_err rpc_server_start(rpc_server *srv)
{
	int rv;
	hd_err err;

	if (srv->started)
		return HD_EINVAL;
	/* inproc:// never leaves the process (the fuzz targets drive the real
	 * dispatch through it) and has no TLS; every network URL does. */
	bool inproc = strncmp(srv->url, "inproc://", 9) == 0;
	if (!inproc && (err = tls_setup_config(NNG_TLS_MODE_SERVER,
	                    &srv->opts.tls, &srv->tls)) != HD_OK)
		return err;
	if ((rv = nng_rep0_open(&srv->sock)) != 0) {
		log_error(
		    "rpc.start", "step=socket error=\"%s\"", nng_strerror(rv));
		return hd_err_from_nng(rv);
	}
	srv->sock_open = true;
	if ((err = rpc_server_conns_open(srv, inproc)) != HD_OK)
		return err;
	/* nng's default is unlimited: one peer could make us allocate any
	 * size. Over the limit, nng drops that connection. */
	if ((rv = nng_socket_set_size(srv->sock, NNG_OPT_RECVMAXSZ,
	         srv->opts.recv_max_bytes)) != 0 ||
	    (rv = nng_listener_create(&srv->listener, srv->sock, srv->url)) !=
	        0 ||
	    (!inproc && (rv = nng_listener_set_ptr(srv->listener,
	                     NNG_OPT_TLS_CONFIG, srv->tls)) != 0)) {
		log_error("rpc.start", "step=listener url=\"%s\" error=\"%s\"",
		    srv->url, nng_strerror(rv));
		return hd_err_from_nng(rv);
	}
	if (!inproc && (err = rpc_server_bound_handshakes(srv)) != HD_OK)
		return err;
	if ((err = rpc_server_calls_start(srv)) != HD_OK)
		return err;
	if ((err = rpc_server_sweeper_start(srv)) != HD_OK)
		return err;
	if ((rv = nng_listener_start(srv->listener, 0)) != 0) {
		log_error("rpc.start", "step=listen url=\"%s\" error=\"%s\"",
		    srv->url, nng_strerror(rv));
		return rv == NNG_EADDRINUSE ? HD_EUNAVAIL
		                            : hd_err_from_nng(rv);
	}
	srv->listening = true;
	srv->started = true;
	if ((err = rpc_server_watch_start(srv)) != HD_OK)
		return err;
	log_info("rpc.listen",
	    "url=\"%s\" max_inflight=%d recv_max_bytes=%zu "
	    "tls_engine=%s tls_max=%s handshake_timeout_ms=%d "
	    "max_handshakes=%d max_handshakes_per_peer=%d max_connections=%d "
	    "max_connections_per_peer=%d "
	    "idle_timeout_ms=%d rate_per_identity=%d allow_peers=%s",
	    srv->url, srv->opts.max_inflight, srv->opts.recv_max_bytes,
	    tls_setup_engine_name(), tls_setup_max_version(&srv->opts.tls),
	    srv->opts.limits.handshake_timeout_ms,
	    srv->opts.limits.max_handshakes,
	    srv->opts.limits.max_handshakes_per_peer,
	    srv->opts.limits.max_connections,
	    srv->opts.limits.max_connections_per_peer,
	    srv->opts.limits.idle_timeout_ms,
	    srv->opts.limits.rate_per_identity,
	    srv->opts.allow_peers != NULL ? "list" : "any");
	return HD_OK;
}

/* Keeps clients' connections and handshakes within the descriptors the
 * process may open, less a reserve for its own files and connections, so
 * that it never fails to accept a supervisor's health check or to open
 * its store. Raises the soft limit to the hard one first. */
static void rpc_server_fit_fds(rpc_server *srv)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return;
	rpc_server_opts *o = &srv->opts;
	long room = (long)rl.rlim_cur - RPC_FD_RESERVE;
	long want = (long)o->limits.max_connections + o->limits.max_handshakes;
	if (o->limits.max_connections == 0 || o->limits.max_handshakes == 0 ||
	    want <= room)
		return;
	int hs = room / 8 > 1 ? (int)(room / 8) : 1;
	int conns = room - hs > 1 ? (int)(room - hs) : 1;
	log_warn("rpc.limit",
	    "url=\"%s\" bound=descriptors nofile=%ld reserve=%d "
	    "max_connections=%d->%d max_handshakes=%d->%d",
	    srv->url, (long)rl.rlim_cur, RPC_FD_RESERVE,
	    o->limits.max_connections, conns, o->limits.max_handshakes, hs);
	o->limits.max_connections = conns;
	o->limits.max_handshakes = hs;
	if (o->limits.max_connections_per_peer > conns)
		o->limits.max_connections_per_peer = conns;
	if (o->limits.max_handshakes_per_peer > hs)
		o->limits.max_handshakes_per_peer = hs;
}

hd_err rpc_server_conns_open(rpc_server *srv, bool inproc)
{
	int rv;
	if (!inproc)
		rpc_server_fit_fds(srv);
	rpc_conns_opts co = {
	    .max_connections = srv->opts.limits.max_connections,
	    .max_per_peer = srv->opts.limits.max_connections_per_peer,
	    .idle_timeout_ms = (uint32_t)srv->opts.limits.idle_timeout_ms,
	    .rate = (uint32_t)srv->opts.limits.rate_per_identity,
	    .burst = (uint32_t)srv->opts.limits.rate_burst,
	    .inproc_peer = srv->opts.inproc_peer,
	    .who = srv->url,
	};
	if ((srv->conns = rpc_conns_alloc(&co)) == NULL)
		return HD_ENOMEM;
	if ((rv = nng_pipe_notify(srv->sock, NNG_PIPE_EV_ADD_PRE,
	         rpc_conns_pipe_cb, srv->conns)) != 0 ||
	    (rv = nng_pipe_notify(srv->sock, NNG_PIPE_EV_REM_POST,
	         rpc_conns_pipe_cb, srv->conns)) != 0) {
		log_error("rpc.start", "step=pipe_notify error=\"%s\"",
		    nng_strerror(rv));
		return hd_err_from_nng(rv);
	}
	return HD_OK;
}

/* The bounds on connections still in their handshakes live in nng's
 * transport (our patch 0005): nothing above it sees them. */
hd_err rpc_server_bound_handshakes(rpc_server *srv)
{
	int rv;
	if ((rv = nng_listener_set_ms(srv->listener,
	         NNG_OPT_TLS_HANDSHAKE_TIMEOUT,
	         srv->opts.limits.handshake_timeout_ms)) != 0 ||
	    (rv = nng_listener_set_int(srv->listener,
	         NNG_OPT_TLS_MAX_HANDSHAKES,
	         srv->opts.limits.max_handshakes)) != 0 ||
	    (rv = nng_listener_set_int(srv->listener,
	         NNG_OPT_TLS_MAX_HANDSHAKES_PER_PEER,
	         srv->opts.limits.max_handshakes_per_peer)) != 0) {
		log_error("rpc.start", "step=handshake_bounds error=\"%s\"",
		    nng_strerror(rv));
		return hd_err_from_nng(rv);
	}
	return HD_OK;
}

/* Logs what the handshake bounds did since the last sweep. */
static void rpc_server_log_handshakes(rpc_server *srv)
{
	static const char *const opts[3] = {NNG_OPT_TLS_HANDSHAKES_EVICTED,
	    NNG_OPT_TLS_HANDSHAKES_FAILED, NNG_OPT_TLS_HANDSHAKES_TIMEDOUT};
	uint64_t now[3], d[3];
	bool any = false;
	if (!srv->listening || strncmp(srv->url, "inproc://", 9) == 0)
		return;
	for (int i = 0; i < 3; i++) {
		if (nng_listener_get_uint64(srv->listener, opts[i], &now[i]) !=
		    0)
			return;
		d[i] = now[i] - srv->hs_seen[i];
		srv->hs_seen[i] = now[i];
		any = any || d[i] > 0;
	}
	if (!any)
		return;
	int open = 0;
	(void)nng_listener_get_int(
	    srv->listener, NNG_OPT_TLS_HANDSHAKES, &open);
	/* Failed handshakes happen (scanners, expired certificates); those
	 * closed for the bounds mean someone holds connections open. */
	log_event(d[0] > 0 ? LOG_LVL_WARN : LOG_LVL_INFO, "rpc.handshakes",
	    "url=\"%s\" evicted=%llu failed=%llu timed_out=%llu "
	    "in_progress=%d max_handshakes=%d max_handshakes_per_peer=%d",
	    srv->url, (unsigned long long)d[0], (unsigned long long)d[1],
	    (unsigned long long)d[2], open, srv->opts.limits.max_handshakes,
	    srv->opts.limits.max_handshakes_per_peer);
}

static void rpc_sweeper_cb(void *arg)
{
	rpc_server *srv = arg;
	nng_mtx_lock(srv->sweeper_mtx);
	bool stopped = srv->sweeper_stopped;
	nng_mtx_unlock(srv->sweeper_mtx);
	if (stopped || nng_aio_result(srv->sweeper) == NNG_ECANCELED)
		return;
	rpc_conns_sweep(srv->conns);
	rpc_server_log_handshakes(srv);
	log_limit_flush();
	nng_mtx_lock(srv->sweeper_mtx);
	if (!srv->sweeper_stopped)
		nng_sleep_aio(RPC_SWEEP_MS, srv->sweeper);
	nng_mtx_unlock(srv->sweeper_mtx);
}

hd_err rpc_server_sweeper_start(rpc_server *srv)
{
	if (nng_mtx_alloc(&srv->sweeper_mtx) != 0 ||
	    nng_aio_alloc(&srv->sweeper, rpc_sweeper_cb, srv) != 0)
		return HD_ENOMEM;
	nng_sleep_aio(RPC_SWEEP_MS, srv->sweeper);
	return HD_OK;
}

void rpc_server_sweeper_stop(rpc_server *srv)
{
	if (srv->sweeper_mtx == NULL)
		return;
	nng_mtx_lock(srv->sweeper_mtx);
	srv->sweeper_stopped = true;
	nng_mtx_unlock(srv->sweeper_mtx);
	if (srv->sweeper != NULL) {
		nng_aio_stop(srv->sweeper);
		nng_aio_free(srv->sweeper);
		srv->sweeper = NULL;
	}
	nng_mtx_free(srv->sweeper_mtx);
	srv->sweeper_mtx = NULL;
}
