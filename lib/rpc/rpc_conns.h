/* SPDX-License-Identifier: MIT */
/*
 * rpc_conns: the RPC server's view of its connections, one entry per nng
 * pipe from the moment nng offers it (NNG_PIPE_EV_ADD_PRE) until it is
 * gone (REM_POST). Not installed; only rpc_server*.c use it.
 *
 * Each entry knows the peer (its certificate, rpc_peer.h), its address,
 * when it was last active and how many of its requests are being worked
 * on. That is what the server's bounds need:
 *   - at most max_connections in all and max_per_peer from one address:
 *     a connection beyond a bound closes the longest-idle one (in all, or
 *     of that address) that has nothing outstanding, or is refused when
 *     every one is busy;
 *   - a connection idle for idle_timeout_ms with nothing outstanding is
 *     closed (rpc_conns_sweep);
 *   - rate: each TLS identity (certificate) gets `rate` requests a second
 *     with bursts of `burst` (token bucket), across all its connections.
 *
 * Thread-safe: nng calls the pipe events from its own threads, requests
 * come from any context's callback.
 */
#ifndef HEDUI_RPC_CONNS_H
#define HEDUI_RPC_CONNS_H

#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>

#include "rpc_peer.h"

typedef struct rpc_conns rpc_conns;

typedef struct rpc_conns_opts {
	int max_connections;
	int max_per_peer;
	uint32_t idle_timeout_ms;
	uint32_t rate;  /* requests a second per identity; 0: no limit */
	uint32_t burst; /* bucket size */
	/* The identity of inproc:// peers (fuzz targets); NULL: unknown. */
	const rpc_peer *inproc_peer;
	const char *who; /* the server's URL, for the log */
} rpc_conns_opts;

rpc_conns *rpc_conns_alloc(const rpc_conns_opts *o);
void rpc_conns_free(rpc_conns *t);

/* The pipe event callback (nng_pipe_notify), arg the table. */
void rpc_conns_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg);

/* A request arrived on pipe: copies its peer into *peer (unknown when the
 * pipe is not in the table) and counts the request outstanding. Returns
 * false when the pipe's identity is over its rate: the caller refuses
 * the request, and must still call rpc_conns_done. Rate-exempt requests
 * (health checks) pass exempt = true. */
bool rpc_conns_begin(rpc_conns *t, nng_pipe pipe, bool exempt, rpc_peer *peer);
/* The request's reply is sent (or the call ended): not outstanding. */
void rpc_conns_done(rpc_conns *t, nng_pipe pipe);

/* Closes connections idle too long; logs what the bounds did. Call every
 * second or so. */
void rpc_conns_sweep(rpc_conns *t);

typedef struct rpc_conns_stats {
	int open;             /* connections in the table now */
	uint64_t evicted;     /* closed to make room for another */
	uint64_t refused;     /* refused: every connection was busy */
	uint64_t idle_closed; /* closed for being idle */
	uint64_t rate_limited;
} rpc_conns_stats;
void rpc_conns_get_stats(rpc_conns *t, rpc_conns_stats *st);

#endif
