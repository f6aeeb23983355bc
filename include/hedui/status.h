/* SPDX-License-Identifier: MIT */
/*
 * hedui/status.h: the status of a call, gRPC's 17 codes.
 *
 * The numbers are those of hedui.v1.StatusCode in proto/hedui/v1/rpc.proto,
 * which are gRPC's.
 */
#ifndef HEDUI_PUBLIC_STATUS_H
#define HEDUI_PUBLIC_STATUS_H

#include <stdbool.h>

#include <hedui/export.h>

typedef enum hedui_code {
	HEDUI_CODE_OK = 0,
	HEDUI_CODE_CANCELLED = 1,
	HEDUI_CODE_UNKNOWN = 2,
	HEDUI_CODE_INVALID_ARGUMENT = 3,
	HEDUI_CODE_DEADLINE_EXCEEDED = 4,
	HEDUI_CODE_NOT_FOUND = 5,
	HEDUI_CODE_ALREADY_EXISTS = 6,
	HEDUI_CODE_PERMISSION_DENIED = 7,
	HEDUI_CODE_RESOURCE_EXHAUSTED = 8,
	HEDUI_CODE_FAILED_PRECONDITION = 9,
	HEDUI_CODE_ABORTED = 10,
	HEDUI_CODE_OUT_OF_RANGE = 11,
	HEDUI_CODE_UNIMPLEMENTED = 12,
	HEDUI_CODE_INTERNAL = 13,
	HEDUI_CODE_UNAVAILABLE = 14,
	HEDUI_CODE_DATA_LOSS = 15,
	HEDUI_CODE_UNAUTHENTICATED = 16,
} hedui_code;

/* A status as a caller receives it: a code and a message, which never
 * holds personal data (ID numbers, names, figures). */
typedef struct hedui_status {
	hedui_code code;
	bool local; /* made by libhedui itself (transport, deadline, limits),
	               not answered by the server */
	char message[256];
} hedui_status;

/* "INVALID_ARGUMENT"; "UNKNOWN" for a number outside 0..16. A static
 * string. */
HEDUI_EXPORT const char *hedui_code_name(int code);
/* Parses a name back ("NOT_FOUND"); false, *out untouched, when it is none
 * of the 17. */
HEDUI_EXPORT bool hedui_code_parse(const char *name, hedui_code *out);
/* What the code means, in one sentence, as gRPC documents it. A static
 * string. */
HEDUI_EXPORT const char *hedui_code_meaning(int code);

#endif
