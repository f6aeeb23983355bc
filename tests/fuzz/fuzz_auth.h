/* SPDX-License-Identifier: MIT */
/* The agency checker the auth-related targets share: the committed test
 * CA, and a fixed server clock that the seeds were signed at, so that
 * seeded requests get past the signature into what follows. */
#ifndef HEDUI_FUZZ_AUTH_H
#define HEDUI_FUZZ_AUTH_H

#include "fuzz_util.h"

#include "agency_auth.h"

/* 2027-01-15T08:00:00Z; tests/fuzz/make-seeds.py signs with it. */
#define FUZZ_NOW_MS INT64_C(1800000000000)
#define FUZZ_REQUEST_ID "fuzz-1"

static agency_auth *fuzz_auth;
/* The TLS identity of the seeds' agency (tests/fuzz/pki/agency-330106):
 * what the in-process server gives its calls (rpc_server_opts.
 * inproc_peer), so that seeded requests signed by it get past the binding
 * of signature and connection. */
static rpc_peer fuzz_peer;

static inline void fuzz_peer_load(void)
{
	char path[512];
	if (!fuzz_peer_of(fuzz_path("tests/fuzz/pki/agency-330106.crt", path,
	                      sizeof path),
	        &fuzz_peer)) {
		fprintf(stderr, "fuzz: cannot read the test agency\n");
		exit(1);
	}
}

static inline void fuzz_auth_start(void)
{
	char ca[512], err[256] = "";
	fuzz_auth = agency_auth_alloc(
	    fuzz_path("tests/fuzz/pki/ca.crt", ca, sizeof ca), NULL, err,
	    sizeof err);
	if (fuzz_auth == NULL) {
		fprintf(stderr, "fuzz: cannot load the test CA: %s\n", err);
		exit(1);
	}
	fuzz_peer_load();
}

/* Checks auth as the server would for method and body, on a connection
 * of the seeds' agency and without an operator-id; the reason must be a
 * decent message. */
static inline rpc_code fuzz_auth_check(const Hedui__V1__AgencyAuth *auth,
    const char *method, const uint8_t *body, size_t len, int64_t now_ms,
    agency_identity *who)
{
	char why[256] = "";
	agency_request req = {.auth = auth,
	    .peer = &fuzz_peer,
	    .method = method,
	    .request_id = FUZZ_REQUEST_ID,
	    .operator_id = "",
	    .body = body,
	    .body_len = len};
	rpc_code c =
	    agency_auth_check(fuzz_auth, &req, now_ms, who, why, sizeof why);
	FUZZ_ASSERT(c == RPC_OK || why[0] != '\0');
	FUZZ_ASSERT(fuzz_str_utf8(why));
	if (c == RPC_OK)
		FUZZ_ASSERT(strcmp(who->subject, fuzz_peer.subject) == 0);
	return c;
}

#endif
