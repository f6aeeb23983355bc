/* SPDX-License-Identifier: MIT */
/*
 * agency_sig: how a requesting agency signs a request, and the signing
 * input both ends compute (see AgencyAuth in proto/hedui/v1/verifier.proto).
 */
#ifndef HEDUI_AGENCY_SIG_H
#define HEDUI_AGENCY_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"
#include "hedui/v1/verifier.pb-c.h"

#define AGENCY_SIG_INPUT_MAX 512
/* The signing input's first line: the version of its format. */
#define AGENCY_SIG_VERSION "hedui-agency-sig-v2"
#define AGENCY_OPERATOR_MAX 64

/*
 * Whether op can be an operator-id (the officer acting, recorded in the
 * audit trail and signed): "" for none, or 1 to 64 characters of
 * [A-Za-z0-9._@-]. NULL counts as "".
 */
bool agency_sig_operator_ok(const char *op);

/*
 * The exact text signed, version 2 (see AgencyAuth in verifier.proto):
 *
 *   "hedui-agency-sig-v2\n" method "\n" request_id "\n" operator_id "\n"
 *   timestamp_ms "\n" hex(SHA-256(body))
 *
 * operator_id is the operator-id metadata's value, "" (or NULL) when
 * absent. Returns the length, 0 if it does not fit, if the operator id is
 * not agency_sig_operator_ok, or if a field holds a line break (the lines
 * would no longer tell the fields apart).
 */
size_t agency_sig_input(const char *method, const char *request_id,
    const char *operator_id, int64_t timestamp_ms, const uint8_t *body,
    size_t body_len, char *out, size_t outlen);

typedef struct agency_signer agency_signer;

/* Loads the agency certificate and key (PEM). NULL with a reason in err
 * (no secrets in it) when they cannot be read or do not match. */
agency_signer *agency_signer_load(
    const char *cert_path, const char *key_path, char *err, size_t errlen);
void agency_signer_free(agency_signer *s);

/* Fills auth: certificate, timestamp and signature over the signing input
 * of these fields (the operator_id sent as operator-id metadata, NULL or
 * "" when none is sent). HD_EINVAL when agency_sig_input refuses them.
 * The buffers belong to the signer (certificate) and to
 * auth->signature.data, which the caller frees with agency_auth_release. */
hd_err agency_signer_sign(agency_signer *s, const char *method,
    const char *request_id, const char *operator_id, const uint8_t *body,
    size_t body_len, int64_t now_ms, Hedui__V1__AgencyAuth *auth);
void agency_auth_release(Hedui__V1__AgencyAuth *auth);

/* Unix time in milliseconds. */
int64_t agency_sig_now_ms(void);

#endif
