/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by rpc_server_core.c (set-up and tear-down),
 * rpc_server.c (the per-context state machine), rpc_server_state.c (the
 * method table, admission, the calls' metrics) and rpc_server_watch.c.
 * Calls go one way: core -> rpc_server.c -> state, core -> state, core ->
 * watch. Not installed.
 */
#ifndef HEDUI_RPC_SERVER_IMPL_H
#define HEDUI_RPC_SERVER_IMPL_H

#include <stdbool.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "hedui/v1/rpc.pb-c.h"
#include "metrics.h"
#include "rpc_conns.h"
#include "rpc_server.h"

typedef struct rpc_method {
	char *full_name;          /* "hedui.v1.Health/Check" */
	const char *service_name; /* "hedui.v1.Health" */
	const ProtobufCMethodDescriptor *desc;
	rpc_handler_fn fn;
	void *arg;
	int service_index;
} rpc_method;

typedef enum rpc_call_state {
	RPC_CALL_IDLE = 0,
	RPC_CALL_RECV,     /* waiting for a request */
	RPC_CALL_HANDLING, /* a handler owns the request */
	RPC_CALL_SENDING,  /* a reply is on its way */
	RPC_CALL_ORPHAN,   /* replied (deadline) but the handler runs on */
} rpc_call_state;

struct rpc_call {
	rpc_server *srv;
	nng_ctx ctx;
	bool ctx_open;
	nng_aio *aio;
	nng_mtx *mtx; /* guards state, handler_done, timed_out */
	rpc_call_state state;
	bool handler_done;
	bool timed_out;
	Hedui__V1__RpcRequest *env;
	ProtobufCMessage *msg;
	const rpc_method *method;
	nng_time received_at;
	uint64_t received_us; /* CLOCK_MONOTONIC: the call's latency metric */
	nng_time deadline;
	char request_id[65];
	nng_pipe pipe; /* the request's connection */
	bool counted;  /* rpc_conns_begin was called for it */
	bool light;    /* holds a health slot, not an in-flight one */
	rpc_peer peer; /* who sent it */
};

typedef struct rpc_service_state {
	char *name;
	int serving;
} rpc_service_state;

struct rpc_server {
	rpc_server_opts opts;
	char *url;
	nng_socket sock;
	bool sock_open;
	nng_listener listener;
	bool listening;
	nng_tls_config *tls;
	nng_mtx *mtx; /* guards inflight, draining, serving flags */
	int inflight;
	int light_inflight; /* Health calls running (health_inflight) */
	bool draining;
	bool started;
	int serving_all;
	char not_serving_why[200]; /* told to callers refused meanwhile */
	bool wedged;               /* sticky; see rpc_server_wedged */
	bool listener_stuck;       /* see rpc_server_listener_stuck */

	/* The wedge watch (rpc_server_watch.c): its own thread, because a
	 * probe may block for the whole bound. */
	nng_thread *watch_thr; /* NULL: not running */
	nng_mtx *watch_mu;
	nng_cv *watch_cv;
	bool watch_stop;
	struct rpc_listen_probe *lprobe; /* NULL for inproc:// */

	rpc_method *methods;
	size_t nmethods;
	const char **method_names;
	rpc_service_state *services;
	size_t nservices;

	/* Connections: identities, bounds, idle closing (rpc_conns.h), and
	 * the timer that sweeps them once a second. */
	rpc_conns *conns;
	nng_aio *sweeper;
	nng_mtx *sweeper_mtx;
	bool sweeper_stopped;
	uint64_t hs_seen[3]; /* handshake counters already logged */

	rpc_call *calls;
	int ncalls;
	/* The reaper sleeps until the earliest deadline of a running call.
	 * A call whose deadline comes before that cancels the sleep, and the
	 * reaper looks again. Guarded by reaper_mtx. */
	nng_aio *reaper;
	nng_mtx *reaper_mtx;
	nng_time reaper_at; /* when it runs next (NNG_TIME_NEVER: not set) */
	bool reaper_armed;  /* its sleep is scheduled */
	bool reaper_stopped;
};

/* Starts and stops the wedge watch; stop waits for a probe under way. */
hd_err rpc_server_watch_start(rpc_server *srv);
void rpc_server_watch_stop(rpc_server *srv);

/* Tells the reaper about a call whose handler starts now. */
void rpc_reaper_note(rpc_server *srv, nng_time deadline);

/* The method table and admission (rpc_server_state.c). */
const rpc_method *rpc_server_find_method(rpc_server *srv, const char *name);
bool rpc_server_draining(rpc_server *srv);
bool rpc_server_is_serving_method(rpc_server *srv, const rpc_method *m);
/* Admission: false when max_inflight handlers run already. A light call
 * (Health) has its own small bound instead, so that a server busy to its
 * limit still says it is serving. */
bool rpc_server_inflight_take(rpc_server *srv, bool light);
void rpc_server_inflight_give(rpc_server *srv, bool light);
/* Whether the method is exempt from the in-flight bound, the rate limit
 * and the allow list: hedui.v1.Health. */
bool rpc_server_method_light(const rpc_method *m);
/* Whether the peer may call this method (allow_peers). */
bool rpc_server_peer_allowed(
    const rpc_server *srv, const rpc_method *m, const rpc_peer *peer);

/* Connections (rpc_server_core.c): the table and its pipe events, the
 * transport's handshake bounds, and the sweeper. */
hd_err rpc_server_conns_open(rpc_server *srv, bool inproc);
/* The server's metrics (opts.metrics, rpc_server_state.c): declared at
 * alloc, one call counted and timed when it is answered. */
void rpc_server_metrics_declare(rpc_server *srv);
void rpc_server_metrics_call(rpc_server *srv, const rpc_method *method,
    rpc_code code, uint64_t since_us);
/* CLOCK_MONOTONIC in microseconds (nng_clock() counts milliseconds). */
uint64_t rpc_server_now_us(void);
hd_err rpc_server_bound_handshakes(rpc_server *srv);
hd_err rpc_server_sweeper_start(rpc_server *srv);
void rpc_server_sweeper_stop(rpc_server *srv);

/*
 * The socket-free half of dispatch, also what the fuzz targets drive.
 * rpc_server_decode decodes and checks an envelope and finds its method:
 * on a non-OK code why holds the message for the caller; *env (when not
 * NULL) is the caller's to free either way, *meth may be set on
 * UNIMPLEMENTED. rpc_server_decode_payload decodes the method's request,
 * NULL with why filled when it does not decode or holds a string that is
 * not UTF-8.
 */
rpc_code rpc_server_decode(rpc_server *srv, const uint8_t *body, size_t len,
    Hedui__V1__RpcRequest **env, const rpc_method **meth, char *why,
    size_t whylen);
ProtobufCMessage *rpc_server_decode_payload(const rpc_method *meth,
    const Hedui__V1__RpcRequest *env, char *why, size_t whylen);
/* name with anything outside [A-Za-z0-9._/-] as '?', at most 100 chars. */
void rpc_server_safe_method(const char *name, char *out, size_t outlen);

hd_err rpc_server_calls_start(rpc_server *srv);
void rpc_server_calls_stop(rpc_server *srv);
void rpc_server_calls_free(rpc_server *srv);

#endif
