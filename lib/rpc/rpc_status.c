/* SPDX-License-Identifier: MIT */
#include "rpc_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const rpc_code_names[RPC_CODE_COUNT] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

/* gRPC's own one-line descriptions (doc/statuscodes.md). */
static const char *const rpc_code_meanings[RPC_CODE_COUNT] = {
    "Not an error; returned on success.",
    "The operation was cancelled, typically by the caller.",
    "Unknown error.",
    "The client specified an invalid argument.",
    "The deadline expired before the operation could complete.",
    "Some requested entity was not found.",
    "The entity that a client attempted to create already exists.",
    "The caller does not have permission to execute the operation.",
    "Some resource has been exhausted, or the server is at capacity.",
    "The system is not in a state required for the operation.",
    "The operation was aborted, typically due to a concurrency issue.",
    "The operation was attempted past the valid range.",
    "The operation is not implemented or not supported.",
    "Internal error: an invariant of the system is broken.",
    "The service is currently unavailable; retrying may help.",
    "Unrecoverable data loss or corruption.",
    "The request does not have valid authentication credentials.",
};

const char *rpc_code_name(int code)
{
	if (code < 0 || code >= RPC_CODE_COUNT)
		return "UNKNOWN";
	return rpc_code_names[code];
}

const char *rpc_code_meaning(int code)
{
	if (code < 0 || code >= RPC_CODE_COUNT)
		return rpc_code_meanings[RPC_UNKNOWN];
	return rpc_code_meanings[code];
}

bool rpc_code_parse(const char *name, rpc_code *out)
{
	for (int i = 0; i < RPC_CODE_COUNT; i++) {
		if (name != NULL && strcmp(name, rpc_code_names[i]) == 0) {
			*out = (rpc_code)i;
			return true;
		}
	}
	return false;
}

rpc_code rpc_code_from_err(hd_err err)
{
	switch (err) {
	case HD_OK:
		return RPC_OK;
	case HD_EINVAL:
	case HD_EDECODE:
		return RPC_INVALID_ARGUMENT;
	case HD_ETOOBIG:
	case HD_EBUSY:
	case HD_ENOMEM:
		return RPC_RESOURCE_EXHAUSTED;
	case HD_ETIMEDOUT:
		return RPC_DEADLINE_EXCEEDED;
	case HD_EUNAVAIL:
	case HD_ECLOSED:
	case HD_ETLS:
		return RPC_UNAVAILABLE;
	case HD_EAUTH:
	case HD_ECRYPTO:
		return RPC_UNAUTHENTICATED;
	case HD_EPERM:
		return RPC_PERMISSION_DENIED;
	case HD_ENOTFOUND:
		return RPC_NOT_FOUND;
	case HD_EEXIST:
		return RPC_ALREADY_EXISTS;
	case HD_ENOTSUP:
		return RPC_UNIMPLEMENTED;
	case HD_EDB:
	case HD_EIO:
		return RPC_UNAVAILABLE;
	case HD_EINTERNAL:
	case HD_ERR_COUNT:
		break;
	}
	return RPC_INTERNAL;
}

void rpc_status_set(rpc_status *st, rpc_code code, const char *fmt, ...)
{
	if (st == NULL)
		return;
	st->code = code;
	st->local = false;
	st->message[0] = '\0';
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(st->message, sizeof st->message, fmt, ap);
		va_end(ap);
	}
}
