/* SPDX-License-Identifier: MIT */
/*
 * audit_chain: the pure computation behind heduid's audit trail, shared by
 * the service (which appends) and `hedui audit verify` (which checks).
 *
 * Each record's hash is HMAC-SHA256(key, previous hash || the record's
 * fields), so a record cannot be edited, dropped or moved without breaking
 * the chain, and the chain cannot be recomputed without the key. Persons are
 * kept as HMAC-SHA256(key, ID number) in hex: never the numbers themselves.
 */
#ifndef HEDUI_AUDIT_CHAIN_H
#define HEDUI_AUDIT_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_LEN 32
#define AUDIT_PERSON_HEX 65 /* 64 hex digits and a NUL */

typedef struct audit_record {
	int64_t seq;        /* 1, 2, 3 ... with no gaps */
	int64_t time_ms;    /* Unix time */
	const char *agency; /* certificate subject; "" when unauthenticated */
	const char *operator_id;
	const char *case_id;
	const char *method;    /* full RPC method name */
	const char *report_id; /* "" when none */
	const char *persons;   /* comma-separated person hashes */
	int outcome;           /* the rpc_code answered */
	/* A summary of refusals that were not recorded one by one (requests
	 * no agency signed): how many (0 or 1: one request), the TLS
	 * identity that sent them (certificate subject) and the kind of
	 * refusal. A record with count <= 1 and both empty hashes exactly
	 * as before these fields existed, so older chains still verify. */
	int64_t count;
	const char *peer;
	const char *reason;
	/* The consents the record is about (the registry, docs/CONSENT.md):
	 * "REGION/NUMBER" items, comma-separated; "" when none. Appended
	 * to the hash only when not empty, so older chains still verify. */
	const char *consents;
	uint8_t prev[AUDIT_HASH_LEN];
	uint8_t hash[AUDIT_HASH_LEN];
} audit_record;

/* out = HMAC-SHA256(key, r->prev || r's fields); r->hash is ignored. */
void audit_chain_hash(const uint8_t *key, size_t keylen, const audit_record *r,
    uint8_t out[AUDIT_HASH_LEN]);

/* out = lower-case hex HMAC-SHA256(key, id_number). */
void audit_person_hash(const uint8_t *key, size_t keylen,
    const char *id_number, char out[AUDIT_PERSON_HEX]);

/* The key prepared once (HMAC-SHA256 with it set up), for the many hashes
 * heduid computes with it; the functions above set it up per call. NULL
 * when out of memory. Thread-safe to use from several threads. */
typedef struct audit_key audit_key;
audit_key *audit_key_new(const uint8_t *key, size_t keylen);
void audit_key_free(audit_key *k); /* accepts NULL */
void audit_chain_hash_k(
    const audit_key *k, const audit_record *r, uint8_t out[AUDIT_HASH_LEN]);
void audit_person_hash_k(
    const audit_key *k, const char *id_number, char out[AUDIT_PERSON_HEX]);

/* Walks a chain record by record, in the order the store returns them
 * (ascending seq). */
typedef struct audit_walk {
	const uint8_t *key;
	size_t keylen;
	int64_t expect_seq;
	uint8_t last[AUDIT_HASH_LEN];
} audit_walk;

void audit_walk_init(audit_walk *w, const uint8_t *key, size_t keylen);

/* true when r follows the chain so far; false with the first problem in
 * why, naming the sequence number (a deleted, reordered or edited record). */
bool audit_walk_next(
    audit_walk *w, const audit_record *r, char *why, size_t whylen);

#endif
