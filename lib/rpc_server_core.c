/*
 * rpc_server_core: the server's set-up, method table and admission control.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>

#include "log.h"
#include "rpc_close.h"
#include "rpc_server_impl.h"

#define RPC_DEFAULT_MAX_INFLIGHT 256
#define RPC_DEFAULT_REJECT_CONTEXTS 16
#define RPC_DEFAULT_RECV_MAX (1024 * 1024)
#define RPC_DEFAULT_MAX_DEADLINE_MS 30000
/* How long a drained server waits before closing its pipes. */
#define RPC_SERVER_LINGER_MS 200

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
	srv->url = strdup(opts->url != NULL ? opts->url : "");
	srv->serving_all = 1;
	if (srv->url == NULL || nng_mtx_alloc(&srv->mtx) != 0) {
		free(srv->url);
		free(srv);
		return NULL;
	}
	srv->opts.url = srv->url;
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
	if (srv->listening)
		nng_listener_close(srv->listener);
	rpc_server_calls_stop(srv);
	rpc_server_calls_free(srv);
	/* An abandoned close leaves nng using all of it: leak, not free. */
	if (srv->sock_open &&
	    !rpc_close_bounded(srv->sock, RPC_CLOSE_BOUND_MS, "rpc.server"))
		return;
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

const rpc_method *rpc_server_find_method(rpc_server *srv, const char *name)
{
	if (name == NULL)
		return NULL;
	/* gRPC paths carry a leading slash; accept both spellings. */
	if (name[0] == '/')
		name++;
	for (size_t i = 0; i < srv->nmethods; i++)
		if (strcmp(srv->methods[i].full_name, name) == 0)
			return &srv->methods[i];
	return NULL;
}

size_t rpc_server_methods(const rpc_server *srv, const char *const **names)
{
	*names = srv->method_names;
	return srv->nmethods;
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
	if ((err = rpc_server_calls_start(srv)) != HD_OK)
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
	    "tls_engine=%s tls_max=%s",
	    srv->url, srv->opts.max_inflight, srv->opts.recv_max_bytes,
	    tls_setup_engine_name(), tls_setup_max_version(&srv->opts.tls));
	return HD_OK;
}

void rpc_server_drain(rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	srv->draining = true;
	srv->serving_all = 0;
	nng_mtx_unlock(srv->mtx);
	/* The listener stays open: closing it would also close every pipe it
	 * accepted, and with them the replies still owed. New requests are
	 * answered UNAVAILABLE instead; those in flight finish. */
}

bool rpc_server_draining(rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	bool d = srv->draining;
	nng_mtx_unlock(srv->mtx);
	return d;
}

bool rpc_server_inflight_take(rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	bool ok = srv->inflight < srv->opts.max_inflight;
	if (ok)
		srv->inflight++;
	nng_mtx_unlock(srv->mtx);
	return ok;
}

void rpc_server_inflight_give(rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	srv->inflight--;
	nng_mtx_unlock(srv->mtx);
}

int rpc_server_inflight(const rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	int n = srv->inflight;
	nng_mtx_unlock(srv->mtx);
	return n;
}

void rpc_server_set_serving(rpc_server *srv, const char *service, int serving)
{
	nng_mtx_lock(srv->mtx);
	if (service == NULL || service[0] == '\0')
		srv->serving_all = serving;
	for (size_t i = 0; i < srv->nservices; i++)
		if (service != NULL &&
		    strcmp(srv->services[i].name, service) == 0)
			srv->services[i].serving = serving;
	nng_mtx_unlock(srv->mtx);
}

void rpc_server_set_not_serving_why(rpc_server *srv, const char *why)
{
	nng_mtx_lock(srv->mtx);
	snprintf(srv->not_serving_why, sizeof srv->not_serving_why, "%s",
	    why != NULL ? why : "");
	nng_mtx_unlock(srv->mtx);
}

void rpc_server_not_serving_why(rpc_server *srv, char *out, size_t cap)
{
	nng_mtx_lock(srv->mtx);
	snprintf(out, cap, "%s", srv->not_serving_why);
	nng_mtx_unlock(srv->mtx);
}

int rpc_server_is_serving(const rpc_server *srv, const char *service)
{
	int r = -1;
	nng_mtx_lock(srv->mtx);
	if (service == NULL || service[0] == '\0') {
		r = srv->serving_all && !srv->wedged;
	} else {
		for (size_t i = 0; i < srv->nservices; i++)
			if (strcmp(srv->services[i].name, service) == 0)
				r = srv->serving_all && !srv->wedged &&
				    srv->services[i].serving;
	}
	nng_mtx_unlock(srv->mtx);
	return r;
}

bool rpc_server_is_serving_method(rpc_server *srv, const rpc_method *m)
{
	nng_mtx_lock(srv->mtx);
	/* Health must answer even while the server is not serving. */
	bool ok =
	    strcmp(m->service_name, "hedui.v1.Health") == 0 ||
	    (srv->serving_all && srv->services[m->service_index].serving);
	nng_mtx_unlock(srv->mtx);
	return ok;
}
