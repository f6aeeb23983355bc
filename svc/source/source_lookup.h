/* SPDX-License-Identifier: MIT */
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
 * A batch (LookupRequest.households) is checked household by household,
 * then read from the store in one go (srcdb_lookup_groups: one read
 * transaction for the whole request, not one per household), each
 * household's faults applied as for a request of its own, and answered as
 * one response listing every household's persons in order. A household with a
 * timeout fault is left out of that response (only a batch where every
 * household is held is held), so that one household's fault never stalls
 * the others; unavailable and malformed stay per person as above. Limits:
 * SOURCE_BATCH_MAX_HOUSEHOLDS households of 1 to SRCDB_MAX_IDS ID numbers,
 * SOURCE_BATCH_MAX_IDS in all; id_numbers and households are exclusive.
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

/* A batch of households per request, and their ID numbers in all: 128
 * and 1024 (they were 32 and 256; per-request costs, spread over four
 * times as many households, were a third of a source's CPU in a batch). */
#define SOURCE_BATCH_MAX_HOUSEHOLDS 128
#define SOURCE_BATCH_MAX_IDS 1024

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
	/* A batch: one answer per household (whose arenas the response
	 * points into), how many were held, persons asked about. */
	struct source_answer *parts;
	size_t n_parts;
	int held_households;
	size_t persons;
} source_answer;

/* Always fills ans; release it with source_answer_free. */
void source_lookup(
    srcdb *db, const Hedui__V1__LookupRequest *req, source_answer *ans);
void source_answer_free(source_answer *ans); /* accepts NULL */

/* The response descriptor for a kind, for clients and tests. */
const ProtobufCMessageDescriptor *source_response_descriptor(srcdb_kind k);

#endif
