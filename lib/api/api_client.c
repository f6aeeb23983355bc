/* SPDX-License-Identifier: MIT */
/*
 * api_client: the public client (include/hedui/client.h) over rpc_client.
 *
 * The option and status types are the same types under two names
 * (lib/rpc/rpc_client.h), so each wrapper only changes the handle's name:
 * hedui_client is never defined, it is an rpc_client seen from outside.
 */
#include <hedui/client.h>

#include "rpc_client.h"

hedui_client *hedui_client_alloc(const hedui_client_opts *opts)
{
	if (opts == NULL)
		return NULL;
	return (hedui_client *)rpc_client_alloc(opts);
}

void hedui_client_free(hedui_client *c)
{
	rpc_client_free((rpc_client *)c);
}

hedui_code hedui_client_call(hedui_client *c, const char *method,
    const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **response,
    const hedui_call_opts *opts, hedui_status *st)
{
	return rpc_client_call(
	    (rpc_client *)c, method, request, resp_desc, response, opts, st);
}

hedui_code hedui_client_call_raw(hedui_client *c, const char *method,
    const uint8_t *payload, size_t len, uint8_t **reply, size_t *reply_len,
    const hedui_call_opts *opts, hedui_status *st)
{
	return rpc_client_call_raw(
	    (rpc_client *)c, method, payload, len, reply, reply_len, opts, st);
}

hedui_err hedui_client_call_async(hedui_client *c, const char *method,
    const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *resp_desc, const hedui_call_opts *opts,
    hedui_client_done_fn done, void *arg)
{
	return rpc_client_call_async(
	    (rpc_client *)c, method, request, resp_desc, opts, done, arg);
}
