/* SPDX-License-Identifier: MIT */
/*
 * rpc_peer: who is at the other end of a connection, as its TLS
 * certificate says. The RPC server reads it once per connection (nng's
 * NNG_OPT_TLS_PEER_CERT, our patch 0004) and hands it to every call that
 * comes over that connection (rpc_call_peer), so that a service can tie
 * what a request claims to who sent it.
 */
#ifndef HEDUI_RPC_PEER_H
#define HEDUI_RPC_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPC_PEER_SUBJECT_MAX 512

typedef struct rpc_peer {
	/* A certificate the TLS handshake verified. False for inproc://
	 * calls and when the certificate could not be read: such a peer
	 * has no identity, and services must refuse what needs one. */
	bool known;
	uint8_t cert_sha256[32]; /* SHA-256 of the certificate (DER) */
	/* The subject, RFC 2253 (UTF-8, "CN=...,OU=...,O=...,C=CN"): a
	 * whole identity, compared exactly. A subject longer than this
	 * leaves the peer unknown rather than cut. */
	char subject[RPC_PEER_SUBJECT_MAX];
	char cn[128];  /* the subject's commonName, "" if none */
	char addr[48]; /* the remote IP address as text, "" if none */
} rpc_peer;

/* Fills *out from a DER certificate (addr untouched). False, with *out
 * unknown, when it does not parse or its subject does not fit. */
bool rpc_peer_from_der(const uint8_t *der, size_t len, rpc_peer *out);

/* The certificate's SHA-256 in lower-case hex (65 bytes with the NUL). */
void rpc_peer_fingerprint(const rpc_peer *p, char out[65]);

/* s fit for a quoted log value: '"' and '\\' as '?', at most cap-1
 * bytes (control characters are the logger's). */
void rpc_peer_log_safe(const char *s, char *out, size_t cap);

/* Whether the peer matches one entry of an allow list: "sha256:HEX"
 * (its certificate), "CN=NAME" or a bare NAME (its subject's CN), or a
 * whole RFC 2253 subject. An unknown peer matches nothing. */
bool rpc_peer_matches(const rpc_peer *p, const char *entry);

#endif
