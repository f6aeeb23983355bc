/*
 * rpc_status: gRPC's 17 status codes, their names, and the mapping from
 * hd_err. The numbers are those of hedui.v1.StatusCode (= gRPC's).
 */
#ifndef HEDUI_RPC_STATUS_H
#define HEDUI_RPC_STATUS_H

#include <stdbool.h>

#include "hd_err.h"

typedef enum rpc_code {
	RPC_OK = 0,
	RPC_CANCELLED = 1,
	RPC_UNKNOWN = 2,
	RPC_INVALID_ARGUMENT = 3,
	RPC_DEADLINE_EXCEEDED = 4,
	RPC_NOT_FOUND = 5,
	RPC_ALREADY_EXISTS = 6,
	RPC_PERMISSION_DENIED = 7,
	RPC_RESOURCE_EXHAUSTED = 8,
	RPC_FAILED_PRECONDITION = 9,
	RPC_ABORTED = 10,
	RPC_OUT_OF_RANGE = 11,
	RPC_UNIMPLEMENTED = 12,
	RPC_INTERNAL = 13,
	RPC_UNAVAILABLE = 14,
	RPC_DATA_LOSS = 15,
	RPC_UNAUTHENTICATED = 16,
} rpc_code;

#define RPC_CODE_COUNT 17

/* "INVALID_ARGUMENT"; "UNKNOWN" for a number outside 0..16. */
const char *rpc_code_name(int code);
/* Parses a name back; false when it is none of the 17. */
bool rpc_code_parse(const char *name, rpc_code *out);
/* What the code means, in one sentence, as gRPC documents it. */
const char *rpc_code_meaning(int code);
/* The status a caller sees for an internal failure. */
rpc_code rpc_code_from_err(hd_err err);

/* A status as a caller receives it: code and a message (no personal data). */
typedef struct rpc_status {
	rpc_code code;
	bool local; /* made by our client library (transport, deadline,
	               limits), not answered by the server */
	char message[256];
} rpc_status;

void rpc_status_set(rpc_status *st, rpc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
