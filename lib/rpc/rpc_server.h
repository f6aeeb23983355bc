/* SPDX-License-Identifier: MIT */
/*
 * rpc_server: a gRPC-like server over one nng REP socket.
 *
 * Many nng contexts, each driven by its own aio callback (the nng async
 * demo's pattern), receive RpcRequest envelopes, find the method in a table
 * built from protobuf-c service descriptors, decode the request message and
 * call the handler. Handlers may answer at once or later from any thread.
 *
 * Ownership: the decoded request belongs to the call and is freed when the
 * call finishes; a handler keeps nothing from it after rpc_call_reply or
 * rpc_call_fail. Response messages stay the handler's: they are encoded
 * before rpc_call_reply returns.
 */
#ifndef HEDUI_RPC_SERVER_H
#define HEDUI_RPC_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "hd_err.h"
#include "rpc_limits.h"
#include "rpc_peer.h"
#include "rpc_status.h"
#include "tls_setup.h"

typedef struct rpc_server rpc_server;
typedef struct rpc_call rpc_call;

typedef void (*rpc_handler_fn)(
    rpc_call *call, const ProtobufCMessage *request, void *arg);

typedef struct rpc_server_opts {
	const char *url;          /* "tls+tcp://127.0.0.1:7443"; also
	                             "inproc://NAME", in-process only and
	                             without TLS (the fuzz targets) */
	tls_opts tls;             /* server side; client certs required */
	int max_inflight;         /* handlers running at once; default 256 */
	int reject_contexts;      /* extra contexts that answer
	                             RESOURCE_EXHAUSTED; default 16 */
	size_t recv_max_bytes;    /* NNG_OPT_RECVMAXSZ; default 1 MiB */
	uint32_t max_deadline_ms; /* applied when the caller sets none;
	                             default 30000 */
	uint32_t wedge_probe_ms;  /* how often to check that nng can still
	                             close connections (rpc_close.h);
	                             default 30000 */
	uint32_t wedge_bound_ms;  /* how long such a close may take;
	                             default 5000 */
	/* Tests only: a wedged server stays up, NOT_SERVING, instead of
	 * exiting with RPC_WEDGED_EXIT for its supervisor to restart it. */
	bool stay_when_wedged;

	rpc_limits limits; /* what clients can hold (rpc_limits.h) */
	/* NULL: every peer whose certificate chains to the CA may call.
	 * Otherwise a NULL-terminated list (rpc_peer_matches: "CN=NAME",
	 * NAME, a whole subject, or "sha256:HEX"); other peers get
	 * PERMISSION_DENIED for everything but Health. */
	const char *const *allow_peers;
	/* The identity inproc:// calls carry (they have no TLS): the fuzz
	 * targets'. NULL: such calls have an unknown peer. */
	const rpc_peer *inproc_peer;
	/* Calls by method and status code, their latency, the calls in
	 * flight (metrics.h; borrowed, outlives the server). NULL: none. */
	struct metrics *metrics;
} rpc_server_opts;

rpc_server *rpc_server_alloc(const rpc_server_opts *opts);
void rpc_server_free(rpc_server *srv); /* stops first; accepts NULL */

/*
 * Registers a service. handlers[i] serves desc->methods[i]; a NULL entry
 * answers UNIMPLEMENTED. Must be called before rpc_server_start.
 */
hd_err rpc_server_add_service(rpc_server *srv,
    const ProtobufCServiceDescriptor *desc, const rpc_handler_fn *handlers,
    void *arg);

/* Starts listening. Fails with HD_EUNAVAIL if the address is in use. */
hd_err rpc_server_start(rpc_server *srv);

/* Stops receiving new requests (a draining server); in-flight calls may
 * still finish. */
void rpc_server_drain(rpc_server *srv);

/* Number of handlers currently running. */
int rpc_server_inflight(const rpc_server *srv);

/* Full method names served, "hedui.v1.Health/Check", in registration order.
 * The array stays valid while the server lives. */
size_t rpc_server_methods(const rpc_server *srv, const char *const **names);

/* Marks a whole service as serving or not, for hedui.v1.Health. */
void rpc_server_set_serving(rpc_server *srv, const char *service, int serving);
/* Why, for the message of calls refused while not serving ("" none). */
void rpc_server_set_not_serving_why(rpc_server *srv, const char *why);
void rpc_server_not_serving_why(rpc_server *srv, char *out, size_t cap);
/* Whether nng was found unable to close connections (its reaper stuck,
 * see rpc_close.h). Sticky: only a restart clears it. The process then
 * exits with RPC_WEDGED_EXIT (EX_SOFTWARE), so that its supervisor
 * restarts it: reports are committed before they are answered, so nothing
 * is lost. With stay_when_wedged (tests) Health says NOT_SERVING for
 * everything instead, while calls are still served. */
#define RPC_WEDGED_EXIT 70
bool rpc_server_wedged(const rpc_server *srv);
/* Whether the listener was found not accepting new connections (two
 * probes in a row): Health says NOT_SERVING until a probe succeeds. */
bool rpc_server_listener_stuck(const rpc_server *srv);
/* 1 serving, 0 not serving, -1 unknown service; "" is the whole server. */
int rpc_server_is_serving(const rpc_server *srv, const char *service);

/* --- inside a handler --------------------------------------------------- */

const char *rpc_call_method(const rpc_call *call);
const char *rpc_call_request_id(const rpc_call *call);
/* Metadata value for a lower-case key, or NULL. */
const char *rpc_call_metadata(const rpc_call *call, const char *key);
size_t rpc_call_metadata_count(const rpc_call *call);
void rpc_call_metadata_at(
    const rpc_call *call, size_t i, const char **key, const char **value);
/* Milliseconds left before the caller's deadline (0 when past). */
uint32_t rpc_call_remaining_ms(const rpc_call *call);
/* The raw payload bytes as received. */
const uint8_t *rpc_call_payload(const rpc_call *call, size_t *len);
rpc_server *rpc_call_server(const rpc_call *call);
/* Who sent the request: the TLS certificate of its connection. Valid
 * until the call is answered. */
const rpc_peer *rpc_call_peer(const rpc_call *call);

/* Answers OK with this message. Exactly one of reply / fail per call. */
void rpc_call_reply(rpc_call *call, const ProtobufCMessage *response);
/* Closes the call's connection without answering it, as a peer that
 * vanished would; the call ends (tests and the Debug service only). */
void rpc_call_drop_connection(rpc_call *call);

/* Answers OK with an already-encoded response message (the caller's
 * bytes, copied): for replies built from stored bytes without decoding
 * them again (svc/heduid/verify_wire.h). */
void rpc_call_reply_raw(rpc_call *call, const uint8_t *payload, size_t len);
/* The largest response payload the server sends (its recv_max_bytes: our
 * own peers accept no more); a larger one is answered RESOURCE_EXHAUSTED. */
size_t rpc_call_reply_max(const rpc_call *call);
/* Answers with a non-OK status. The message goes to the caller: no
 * personal data in it. */
void rpc_call_fail(rpc_call *call, rpc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
