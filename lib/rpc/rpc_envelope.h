/* SPDX-License-Identifier: MIT */
/*
 * rpc_envelope: the rules of hedui.v1.RpcRequest / RpcReply that both
 * ends share, kept free of sockets so that they can be tested alone.
 */
#ifndef HEDUI_RPC_ENVELOPE_H
#define HEDUI_RPC_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "hedui/v1/rpc.pb-c.h"
#include "rpc_status.h"

/* Metadata keys: 1 to 64 characters of [a-z0-9._-], as gRPC's lower-case
 * header names. */
bool rpc_envelope_key_ok(const char *key);

/* Checks a decoded request beyond what protobuf checks. False with the
 * reason in why when the server must answer INVALID_ARGUMENT. */
bool rpc_envelope_request_ok(
    const Hedui__V1__RpcRequest *env, char *why, size_t whylen);

/*
 * The absolute deadline (in nng_clock() milliseconds) for a request that
 * arrived at now. An absent timeout gets the server's maximum; a larger one
 * is cut to it; a timeout of 0 has expired already (*expired = true).
 */
uint64_t rpc_envelope_deadline(
    uint64_t now, const Hedui__V1__Timeout *t, uint32_t max_ms, bool *expired);

/* A reply envelope as a new nng message; NULL on allocation failure. */
nng_msg *rpc_envelope_reply(const char *request_id, rpc_code code,
    const char *message, const uint8_t *payload, size_t payload_len);

/* The status carried by a decoded reply; codes outside gRPC's 17 become
 * UNKNOWN, a missing status is OK. */
rpc_code rpc_envelope_reply_status(
    const Hedui__V1__RpcReply *reply, rpc_status *st);

#endif
