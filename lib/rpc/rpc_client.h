/* SPDX-License-Identifier: MIT */
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

#include <hedui/client.h>

#include "hd_err.h"
#include "rpc_status.h"
#include "tls_setup.h"

typedef struct rpc_client rpc_client;

/* The public option structs (include/hedui/client.h) under the names the
 * tree uses; their comments are there. An arena's allocator (lib/
 * pb_arena.h) is a good one for rpc_call_opts.allocator. */
typedef hedui_client_opts rpc_client_opts;
typedef hedui_metadata rpc_metadata;
typedef hedui_call_opts rpc_call_opts;

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
typedef hedui_client_done_fn rpc_client_done_fn;

hd_err rpc_client_call_async(rpc_client *c, const char *method,
    const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *resp_desc, const rpc_call_opts *opts,
    rpc_client_done_fn done, void *arg);

#endif
