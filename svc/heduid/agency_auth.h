/* SPDX-License-Identifier: MIT */
/*
 * agency_auth: who is asking. The requesting agency signs each request
 * (lib/hedui/agency_sig.h) and sends its certificate; this module checks that
 * the certificate is the very one the request's TLS connection was made
 * with, its chain against our CA (and CRL), the signature, the timestamp
 * window and replays, and reads the agency's identity (its whole subject)
 * and region prefix from the certificate.
 *
 * Certificates are identified by the SHA-256 of their DER encoding, never
 * by their PEM text: a certificate re-encoded (another line ending, a
 * trailing newline, text before "-----BEGIN") is the same certificate,
 * and a request under it is the same request.
 */
#ifndef HEDUI_AGENCY_AUTH_H
#define HEDUI_AGENCY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "hedui/v1/verifier.pb-c.h"
#include "rpc_peer.h"
#include "rpc_status.h"

#define AGENCY_AUTH_WINDOW_MS (5 * 60 * 1000)

typedef struct agency_auth agency_auth;

typedef struct agency_identity {
	/* The certificate subject's CN: for display (Verdict.agency) and
	 * logs, never to decide anything. */
	char name[64];
	char region_prefix[7]; /* 2 to 6 digits, from OU=region:NNNN */
	/* The whole subject, RFC 2253 as rpc_peer has it ("CN=...,OU=
	 * region:330106,O=...,C=CN"): the agency's identity for report
	 * ownership, idempotency keys and the audit trail. Two certificates
	 * with one CN and another OU are two agencies. */
	char subject[RPC_PEER_SUBJECT_MAX];
} agency_identity;

/* What a request says about its sender, and what it came with. */
typedef struct agency_request {
	const Hedui__V1__AgencyAuth *auth; /* from the request; NULL: none */
	/* The TLS client certificate of the request's connection
	 * (rpc_call_peer). The signing certificate must be this one. */
	const rpc_peer *peer;
	const char *method;      /* full method name */
	const char *request_id;  /* the envelope's */
	const char *operator_id; /* the operator-id metadata, "" if none */
	const uint8_t *body;     /* the bytes signed */
	size_t body_len;
} agency_request;

agency_auth *agency_auth_alloc(
    const char *ca_file, const char *crl_file, char *err, size_t errlen);
void agency_auth_free(agency_auth *a);

/*
 * Replicas: requests seen by the other heduid processes of one database
 * too. After this process's own cache found the request new, fn is asked
 * (with the replay key, a SHA-256, and until when to keep it): 1 new
 * everywhere, 0 seen by another replica (refused as a replay), -1 cannot
 * tell (refused UNAVAILABLE: fail closed, and the request may be sent
 * again). Set before the first check; fn must be thread-safe.
 */
typedef int (*agency_replay_fn)(const unsigned char key[32], int64_t now_ms,
    int64_t expires_ms, void *arg);
void agency_auth_set_shared_replay(
    agency_auth *a, agency_replay_fn fn, void *arg);

/*
 * RPC_OK with *who filled, or UNAUTHENTICATED (no auth, no TLS identity
 * or another certificate than the TLS one, bad chain, revoked, bad
 * signature, stale timestamp, replay) with the reason in why (safe to
 * return to the caller: no personal data, nothing the caller chose);
 * UNAVAILABLE when the shared replay cache cannot be asked.
 * Thread-safe.
 */
rpc_code agency_auth_check(agency_auth *a, const agency_request *req,
    int64_t now_ms, agency_identity *who, char *why, size_t whylen);

/* The kind of a refusal agency_auth_check explained in why, as a short
 * fixed word for the audit trail's refusal summaries: "unsigned",
 * "not-this-connection", "timestamp", "certificate", "signature",
 * "replay", else "other". */
const char *agency_auth_refusal_kind(const char *why);

/* True when region_code is within the agency's jurisdiction. */
int agency_auth_covers(const agency_identity *who, const char *region_code);

#endif
