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
}

/* Checks auth as the server would for method and body; the reason must be
 * a decent message. */
static inline rpc_code fuzz_auth_check(const Hedui__V1__AgencyAuth *auth,
    const char *method, const uint8_t *body, size_t len, int64_t now_ms,
    agency_identity *who)
{
	char why[256] = "";
	rpc_code c = agency_auth_check(fuzz_auth, auth, method,
	    FUZZ_REQUEST_ID, body, len, now_ms, who, why, sizeof why);
	FUZZ_ASSERT(c == RPC_OK || why[0] != '\0');
	FUZZ_ASSERT(fuzz_str_utf8(why));
	return c;
}

#endif
