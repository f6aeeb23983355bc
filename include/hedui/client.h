/* SPDX-License-Identifier: MIT */
/*
 * hedui/client.h: calls to heduid (or any hedui RPC server) over one
 * connection pool of nng REQ over tls+tcp://.
 *
 * Requests and responses are protobuf-c messages of the .proto files
 * installed in share/hedui/proto: generate their C with protoc-c into
 * your own program and pass their descriptors here. libhedui does not
 * export generated code of its own (docs/API.md says why).
 *
 * Thread-safe: any number of threads may call at once on one client; each
 * call uses its own nng context. A call has one deadline and the caller
 * decides about retries, reusing the request id so that the server can
 * recognise them.
 */
#ifndef HEDUI_PUBLIC_CLIENT_H
#define HEDUI_PUBLIC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include <hedui/err.h>
#include <hedui/export.h>
#include <hedui/status.h>
#include <hedui/tls.h>

typedef struct hedui_client hedui_client;

/* Read by hedui_client_alloc; the strings are copied or read then, none
 * is kept. */
typedef struct hedui_client_opts {
	const char *url;       /* "tls+tcp://127.0.0.1:7443", or several
	                          replicas' addresses separated by commas
	                          (at most 8): each call goes to one that
	                          is up */
	hedui_tls_opts tls;    /* the client's side */
	size_t recv_max_bytes; /* largest reply accepted; 0: 1 MiB */
	size_t send_max_bytes; /* largest request sent; 0: 1 MiB */
	/* The server must also be this identity ("CN=NAME", a whole
	 * subject or "sha256:HEX" of its certificate); a connection to any
	 * other certificate of the CA is closed before it carries a call.
	 * NULL: any server the CA and the server name admit. */
	const char *expect_peer;
} hedui_client_opts;

/* One metadata entry of a call ("operator-id", "trace-id", ...). */
typedef struct hedui_metadata {
	const char *key; /* lower case */
	const char *value;
} hedui_metadata;

/* A call's options; NULL for all of them at their defaults. Read during
 * the call that receives them (for an asynchronous call: before it
 * returns), except allocator, which must outlive the response. */
typedef struct hedui_call_opts {
	uint32_t deadline_ms;   /* 0: no deadline sent (server maximum) */
	const char *request_id; /* NULL: a fresh random one */
	const hedui_metadata *metadata;
	size_t metadata_count; /* at most 32 */
	/* The call may be sent twice: asking again changes nothing (a
	 * lookup). When the connection is lost after the request went out
	 * and before its reply came, it is sent once more, on another
	 * connection, within the same deadline. Never for a signed request:
	 * the second one would be refused as a replay. */
	bool idempotent;
	/* The response is decoded with this allocator and is to be freed
	 * with protobuf_c_message_free_unpacked(response, allocator). NULL:
	 * malloc. */
	ProtobufCAllocator *allocator;
} hedui_call_opts;

/*
 * Makes a client and starts dialing in the background; calls wait for
 * the connection within their own deadline. Reads the TLS files now.
 * NULL when the options are unusable or the files unreadable (the reason
 * is logged). Call hedui_tls_setup_engine() first.
 */
HEDUI_EXPORT hedui_client *hedui_client_alloc(const hedui_client_opts *opts);

/* Closes the connections and frees the client; NULL is accepted. Only
 * once no call is in progress: every synchronous call has returned and
 * every asynchronous call's callback has run. */
HEDUI_EXPORT void hedui_client_free(hedui_client *c);

/*
 * Calls method ("hedui.v1.Health/Check") with request and waits for the
 * reply. On HEDUI_CODE_OK, *response is decoded with resp_desc and
 * belongs to the caller (protobuf_c_message_free_unpacked). On any other
 * code, *response is NULL and st (which may not be NULL) says why:
 * transport failures are UNAVAILABLE, a passed deadline DEADLINE_EXCEEDED,
 * with st->local set. The request stays the caller's.
 */
HEDUI_EXPORT hedui_code hedui_client_call(hedui_client *c, const char *method,
    const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **response,
    const hedui_call_opts *opts, hedui_status *st);

/* The same with an already-encoded request payload and the raw reply
 * payload: on OK, *reply is malloc'd and the caller frees it; otherwise
 * NULL. For gateways and benchmarks. */
HEDUI_EXPORT hedui_code hedui_client_call_raw(hedui_client *c,
    const char *method, const uint8_t *payload, size_t len, uint8_t **reply,
    size_t *reply_len, const hedui_call_opts *opts, hedui_status *st);

/*
 * Completion of an asynchronous call: runs once, on one of nng's threads
 * (never on the caller's), with the outcome. response is NULL unless code
 * is OK, and then belongs to the callback. st is valid during the
 * callback only. The callback must not block for long (it holds one of
 * nng's few threads) and must not call hedui_client_free.
 */
typedef void (*hedui_client_done_fn)(hedui_code code, const hedui_status *st,
    ProtobufCMessage *response, void *arg);

/*
 * Starts a call and returns at once. HEDUI_OK: done will run exactly once.
 * Anything else (HEDUI_ENOMEM, HEDUI_ETOOBIG over send_max_bytes,
 * HEDUI_EINVAL for too many metadata): the call was not started and done
 * will never run. resp_desc must outlive the call.
 */
HEDUI_EXPORT hedui_err hedui_client_call_async(hedui_client *c,
    const char *method, const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *resp_desc, const hedui_call_opts *opts,
    hedui_client_done_fn done, void *arg);

#endif
