/*
 * agency_sig: how a requesting agency signs a request, and the signing
 * input both ends compute (see AgencyAuth in proto/hedui/v1/verifier.proto).
 */
#ifndef HEDUI_AGENCY_SIG_H
#define HEDUI_AGENCY_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"
#include "hedui/v1/verifier.pb-c.h"

#define AGENCY_SIG_INPUT_MAX 512

/* The exact text signed. Returns its length, 0 if it does not fit. */
size_t agency_sig_input(const char *method, const char *request_id,
    int64_t timestamp_ms, const uint8_t *body, size_t body_len, char *out,
    size_t outlen);

typedef struct agency_signer agency_signer;

/* Loads the agency certificate and key (PEM). NULL with a reason in err
 * (no secrets in it) when they cannot be read or do not match. */
agency_signer *agency_signer_load(
    const char *cert_path, const char *key_path, char *err, size_t errlen);
void agency_signer_free(agency_signer *s);

/* Fills auth: certificate, timestamp and signature. The buffers belong to
 * the signer (certificate) and to auth->signature.data, which the caller
 * frees with agency_auth_release. */
hd_err agency_signer_sign(agency_signer *s, const char *method,
    const char *request_id, const uint8_t *body, size_t body_len,
    int64_t now_ms, Hedui__V1__AgencyAuth *auth);
void agency_auth_release(Hedui__V1__AgencyAuth *auth);

/* Unix time in milliseconds. */
int64_t agency_sig_now_ms(void);

#endif
