/*
 * agency_auth: who is asking. The requesting agency signs each request
 * (lib/agency_sig.h) and sends its certificate; this module checks the
 * chain against our CA (and CRL), the signature, the timestamp window and
 * replays, and reads the agency's region prefix from the certificate.
 *
 * nng offers no API for the TLS peer's certificate, so the identity that
 * counts for jurisdiction is this signed one, not the TLS one.
 */
#ifndef HEDUI_AGENCY_AUTH_H
#define HEDUI_AGENCY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "hedui/v1/verifier.pb-c.h"
#include "rpc_status.h"

#define AGENCY_AUTH_WINDOW_MS (5 * 60 * 1000)

typedef struct agency_auth agency_auth;

typedef struct agency_identity {
	char name[64];         /* the certificate subject's CN */
	char region_prefix[7]; /* 2 to 6 digits, from OU=region:NNNN */
} agency_identity;

agency_auth *agency_auth_alloc(
    const char *ca_file, const char *crl_file, char *err, size_t errlen);
void agency_auth_free(agency_auth *a);

/*
 * RPC_OK with *who filled, or UNAUTHENTICATED (no auth, bad chain, revoked,
 * bad signature, stale timestamp, replay) with the reason in why (safe to
 * return to the caller). Thread-safe.
 */
rpc_code agency_auth_check(agency_auth *a, const Hedui__V1__AgencyAuth *auth,
    const char *method, const char *request_id, const uint8_t *body,
    size_t body_len, int64_t now_ms, agency_identity *who, char *why,
    size_t whylen);

/* True when region_code is within the agency's jurisdiction. */
int agency_auth_covers(const agency_identity *who, const char *region_code);

#endif
