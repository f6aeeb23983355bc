/*
 * rpc_client: calls to an rpc_server over one nng REQ socket.
 *
 * Thread-safe: any number of threads may call at once; each call uses its
 * own nng context. nng's own resend is disabled (its timers are O(n^2) with
 * many outstanding contexts and its resends would duplicate work); a call
 * has one deadline and the caller decides about retries, reusing the
 * request id so that the server can recognise them.
 */
#ifndef HEDUI_RPC_CLIENT_H
#define HEDUI_RPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "hd_err.h"
#include "rpc_status.h"
#include "tls_setup.h"

typedef struct rpc_client rpc_client;

typedef struct rpc_client_opts {
	const char *url;       /* "tls+tcp://127.0.0.1:7443", or several
	                          replicas' addresses separated by commas
	                          (at most 8): each call goes to one that
	                          is up */
	tls_opts tls;          /* client side */
	size_t recv_max_bytes; /* largest reply accepted; default 1 MiB */
	size_t send_max_bytes; /* largest request sent; default 1 MiB */
	/* The server must also be this identity (rpc_peer_matches: "CN=NAME",
	 * a whole subject or "sha256:HEX"); a connection to any other
	 * certificate of the CA is closed before it carries a call. NULL:
	 * any server the CA and the server name admit. */
	const char *expect_peer;
} rpc_client_opts;

typedef struct rpc_metadata {
	const char *key; /* lower case */
	const char *value;
} rpc_metadata;

typedef struct rpc_call_opts {
	uint32_t deadline_ms;   /* 0: no deadline sent (server maximum) */
	const char *request_id; /* NULL: a fresh random one */
	const rpc_metadata *metadata;
	size_t metadata_count;
	/* The call may be sent twice: asking again changes nothing (a
	 * lookup). When the connection is lost after the request went out
	 * and before its reply came (a server closing an idle connection
	 * just then, a reset), it is sent once more, on another connection,
	 * within the same deadline. Never for a signed request: the second
	 * one would be refused as a replay. */
	bool idempotent;
	/* The response is decoded with this allocator, and is to be freed
	 * with protobuf_c_message_free_unpacked(response, allocator) (an
	 * arena's, say: lib/pb_arena.h). NULL: malloc. */
	ProtobufCAllocator *allocator;
} rpc_call_opts;

/* Starts dialing in the background; calls wait for the connection within
 * their own deadline. NULL when the options are unusable (logged). */
rpc_client *rpc_client_alloc(const rpc_client_opts *opts);
void rpc_client_free(rpc_client *c); /* accepts NULL */

/*
 * Calls method ("hedui.v1.Health/Check") with request and waits for the
 * reply. On RPC_OK, *response is decoded with resp_desc and owned by the
 * caller (free with protobuf_c_message_free_unpacked). On any other code,
 * *response is NULL and st says why. Transport failures map to UNAVAILABLE,
 * a passed deadline to DEADLINE_EXCEEDED.
 */
rpc_code rpc_client_call(rpc_client *c, const char *method,
    const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **response,
    const rpc_call_opts *opts, rpc_status *st);

/* The same with an already-encoded request payload and the raw reply
 * payload (malloc'd, the caller frees it). For interop and benchmarks. */
rpc_code rpc_client_call_raw(rpc_client *c, const char *method,
    const uint8_t *payload, size_t len, uint8_t **reply, size_t *reply_len,
    const rpc_call_opts *opts, rpc_status *st);

/* Asynchronous form: done runs once on an nng thread with the outcome.
 * The response (NULL unless OK) then belongs to the callback. */
typedef void (*rpc_client_done_fn)(rpc_code code, const rpc_status *st,
    ProtobufCMessage *response, void *arg);

hd_err rpc_client_call_async(rpc_client *c, const char *method,
    const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *resp_desc, const rpc_call_opts *opts,
    rpc_client_done_fn done, void *arg);

#endif
