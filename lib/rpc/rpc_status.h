/* SPDX-License-Identifier: MIT */
/*
 * rpc_status: gRPC's 17 status codes, their names, and the mapping from
 * hd_err. The numbers are those of hedui.v1.StatusCode (= gRPC's).
 */
#ifndef HEDUI_RPC_STATUS_H
#define HEDUI_RPC_STATUS_H

#include <stdbool.h>

#include <hedui/status.h>

#include "hd_err.h"

/* The public enum (include/hedui/status.h) under the name the tree
 * uses. */
typedef hedui_code rpc_code;
#define RPC_OK HEDUI_CODE_OK
#define RPC_CANCELLED HEDUI_CODE_CANCELLED
#define RPC_UNKNOWN HEDUI_CODE_UNKNOWN
#define RPC_INVALID_ARGUMENT HEDUI_CODE_INVALID_ARGUMENT
#define RPC_DEADLINE_EXCEEDED HEDUI_CODE_DEADLINE_EXCEEDED
#define RPC_NOT_FOUND HEDUI_CODE_NOT_FOUND
#define RPC_ALREADY_EXISTS HEDUI_CODE_ALREADY_EXISTS
#define RPC_PERMISSION_DENIED HEDUI_CODE_PERMISSION_DENIED
#define RPC_RESOURCE_EXHAUSTED HEDUI_CODE_RESOURCE_EXHAUSTED
#define RPC_FAILED_PRECONDITION HEDUI_CODE_FAILED_PRECONDITION
#define RPC_ABORTED HEDUI_CODE_ABORTED
#define RPC_OUT_OF_RANGE HEDUI_CODE_OUT_OF_RANGE
#define RPC_UNIMPLEMENTED HEDUI_CODE_UNIMPLEMENTED
#define RPC_INTERNAL HEDUI_CODE_INTERNAL
#define RPC_UNAVAILABLE HEDUI_CODE_UNAVAILABLE
#define RPC_DATA_LOSS HEDUI_CODE_DATA_LOSS
#define RPC_UNAUTHENTICATED HEDUI_CODE_UNAUTHENTICATED

#define RPC_CODE_COUNT 17

/* "INVALID_ARGUMENT"; "UNKNOWN" for a number outside 0..16. */
const char *rpc_code_name(int code);
/* Parses a name back; false when it is none of the 17. */
bool rpc_code_parse(const char *name, rpc_code *out);
/* What the code means, in one sentence, as gRPC documents it. */
const char *rpc_code_meaning(int code);
/* The status a caller sees for an internal failure. */
rpc_code rpc_code_from_err(hd_err err);

/* A status as a caller receives it (include/hedui/status.h). */
typedef hedui_status rpc_status;

void rpc_status_set(rpc_status *st, rpc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
