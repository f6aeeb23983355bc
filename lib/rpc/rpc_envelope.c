/* SPDX-License-Identifier: MIT */
#include "rpc_envelope.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

bool rpc_envelope_key_ok(const char *k)
{
	if (k == NULL || k[0] == '\0' || strlen(k) > 64)
		return false;
	for (const char *p = k; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		        *p == '-' || *p == '_' || *p == '.'))
			return false;
	}
	return true;
}

bool rpc_envelope_request_ok(
    const Hedui__V1__RpcRequest *env, char *why, size_t whylen)
{
	if (env->method == NULL || env->method[0] == '\0') {
		snprintf(why, whylen, "method is empty");
		return false;
	}
	if (env->request_id != NULL && strlen(env->request_id) > 64) {
		snprintf(
		    why, whylen, "request_id is longer than 64 characters");
		return false;
	}
	/* proto3 strings are UTF-8; Google's decoders refuse anything else,
	 * and these come back to the caller in the reply. */
	if (!utf8_valid(env->method, strlen(env->method)) ||
	    (env->request_id != NULL &&
	        !utf8_valid(env->request_id, strlen(env->request_id)))) {
		snprintf(
		    why, whylen, "method or request_id is not valid UTF-8");
		return false;
	}
	/* It is echoed and logged as request_id="...": a quote or a
	 * control character would let a caller write fields of its own
	 * into our log line. */
	for (const char *c = env->request_id != NULL ? env->request_id : "";
	     *c != '\0'; c++) {
		unsigned char u = (unsigned char)*c;
		if (u < 0x20 || u == 0x7f || u == '"' || u == '\\') {
			snprintf(why, whylen,
			    "request_id must not hold control "
			    "characters, quotes or backslashes");
			return false;
		}
	}
	if (env->n_metadata > 64) {
		snprintf(why, whylen, "more than 64 metadata entries");
		return false;
	}
	for (size_t i = 0; i < env->n_metadata; i++) {
		if (!rpc_envelope_key_ok(env->metadata[i]->key)) {
			snprintf(why, whylen,
			    "metadata key %zu must be 1-64 characters of "
			    "[a-z0-9._-]",
			    i);
			return false;
		}
		if (strlen(env->metadata[i]->value) > 1024) {
			snprintf(why, whylen,
			    "metadata value %zu is longer than 1024 bytes", i);
			return false;
		}
		if (!utf8_valid(env->metadata[i]->value,
		        strlen(env->metadata[i]->value))) {
			snprintf(why, whylen,
			    "metadata value %zu is not valid UTF-8", i);
			return false;
		}
	}
	return true;
}

uint64_t rpc_envelope_deadline(
    uint64_t now, const Hedui__V1__Timeout *t, uint32_t max_ms, bool *expired)
{
	uint32_t budget = max_ms;
	*expired = false;
	if (t != NULL) {
		if (t->ms == 0) {
			*expired = true;
			return now;
		}
		if (t->ms < budget)
			budget = t->ms;
	}
	return now + budget;
}

nng_msg *rpc_envelope_reply(const char *request_id, rpc_code code,
    const char *message, const uint8_t *payload, size_t payload_len)
{
	Hedui__V1__RpcReply reply = HEDUI__V1__RPC_REPLY__INIT;
	Hedui__V1__Status status = HEDUI__V1__STATUS__INIT;
	nng_msg *m = NULL;
	char rid[260];
	char msg[1024];

	/* Both may carry bytes from the request: never let them make the
	 * reply undecodable for a strict (Google) protobuf decoder. */
	reply.request_id = utf8_sanitize(request_id, rid, sizeof rid, false);
	status.code = (Hedui__V1__StatusCode)code;
	status.message = utf8_sanitize(message, msg, sizeof msg, false);
	reply.status = &status;
	reply.payload.data = (uint8_t *)payload;
	reply.payload.len = payload_len;

	/* Sized once and packed in place: nng_msg_insert is unsafe at some
	 * sizes in 1.5.2, and one allocation is cheaper anyway. */
	size_t len = hedui__v1__rpc_reply__get_packed_size(&reply);
	if (nng_msg_alloc(&m, len) != 0)
		return NULL;
	hedui__v1__rpc_reply__pack(&reply, nng_msg_body(m));
	return m;
}

rpc_code rpc_envelope_reply_status(
    const Hedui__V1__RpcReply *r, rpc_status *st)
{
	st->code = RPC_OK;
	st->local = false;
	st->message[0] = '\0';
	if (r->status != NULL) {
		int code = (int)r->status->code;
		st->code = code >= 0 && code < RPC_CODE_COUNT ? (rpc_code)code
		                                              : RPC_UNKNOWN;
		snprintf(st->message, sizeof st->message, "%s",
		    r->status->message != NULL ? r->status->message : "");
	}
	return st->code;
}
