/*
 * source_lookup: one LookupRequest answered from a store, before any
 * transport. Checks the request, looks the household up in one go and
 * applies the per-person faults the store records:
 *
 *   unavailable  that person's PersonHeader.status is UNAVAILABLE, not
 *                found, no facts; the other members answer normally
 *   malformed    that person's facts hold a negative amount
 *   timeout      the whole request is never answered (hold)
 *
 * Bad requests (no ID numbers, more than SRCDB_MAX_IDS, an invalid ID
 * number, a bad as_of) are INVALID_ARGUMENT with a message that names the
 * field or index, never a number.
 */
#ifndef HEDUI_SOURCE_LOOKUP_H
#define HEDUI_SOURCE_LOOKUP_H

#include <stdbool.h>

#include "hedui/v1/source.pb-c.h"
#include "rpc_status.h"
#include "srcdb.h"

typedef struct source_answer {
	rpc_code code;     /* RPC_OK, or the status of the whole request */
	char message[200]; /* for a non-OK code; safe to send and log */
	bool hold;         /* a timeout fault: do not answer at all */
	int unavailable;   /* persons answered UNAVAILABLE */
	int malformed;     /* persons answered with a negative amount */
	int found;         /* persons found */
	srcdb_result res;  /* owns the response and everything in it */
	/* The kind's response (Tax/Bank/PropertyLookupResponse) when code is
	 * RPC_OK and hold is false. */
	ProtobufCMessage *response;
} source_answer;

/* Always fills ans; release it with source_answer_free. */
void source_lookup(
    srcdb *db, const Hedui__V1__LookupRequest *req, source_answer *ans);
void source_answer_free(source_answer *ans); /* accepts NULL */

/* The response descriptor for a kind, for clients and tests. */
const ProtobufCMessageDescriptor *source_response_descriptor(srcdb_kind k);

#endif
