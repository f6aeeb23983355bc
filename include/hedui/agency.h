/* SPDX-License-Identifier: MIT */
/*
 * hedui/agency.h: signing a request as a requesting agency.
 *
 * VerifyHousehold, the consent methods and GetReport carry an AgencyAuth
 * (proto/hedui/v1/verifier.proto): the agency's certificate, a timestamp
 * and its signature over the method, the request id, the operator id and
 * the request's serialized body. These make that signature; copy the
 * result into your own generated Hedui__V1__AgencyAuth.
 */
#ifndef HEDUI_PUBLIC_AGENCY_H
#define HEDUI_PUBLIC_AGENCY_H

#include <stddef.h>
#include <stdint.h>

#include <hedui/err.h>
#include <hedui/export.h>

typedef struct hedui_agency_signer hedui_agency_signer;

/* One signature, the fields of AgencyAuth. */
typedef struct hedui_agency_auth {
	/* The agency certificate, PEM: belongs to the signer, valid until
	 * hedui_agency_signer_free. */
	const uint8_t *certificate;
	size_t certificate_len;
	int64_t timestamp_ms; /* the time signed */
	/* DER ECDSA, or raw Ed25519: malloc'd, released by
	 * hedui_agency_auth_release. */
	uint8_t *signature;
	size_t signature_len;
} hedui_agency_auth;

/*
 * Loads the agency certificate and private key (PEM files). NULL, with a
 * reason in err (which holds no secret; errlen may be 0), when they cannot
 * be read or do not match. Free with hedui_agency_signer_free. A signer
 * may sign from several threads at once.
 */
HEDUI_EXPORT hedui_agency_signer *hedui_agency_signer_load(
    const char *cert_path, const char *key_path, char *err, size_t errlen);

/* Frees the signer; NULL is accepted. Every auth->certificate it gave
 * becomes invalid. */
HEDUI_EXPORT void hedui_agency_signer_free(hedui_agency_signer *s);

/*
 * Signs method ("hedui.v1.Verifier/VerifyHousehold"), request_id (the one
 * the call will send: pass it as hedui_call_opts.request_id), operator_id
 * (sent as operator-id metadata; NULL or "" when none is sent: at most 64
 * of [A-Za-z0-9._@-]) and body (the bytes of the request's signed field,
 * e.g. VerifyHouseholdRequest.household) at now_ms (hedui_agency_now_ms()).
 * On HEDUI_OK *auth is filled and the caller releases it with
 * hedui_agency_auth_release. On failure *auth is left as it was:
 * HEDUI_EINVAL when a field is refused (a line break, an operator id out
 * of form, too long), HEDUI_ENOMEM, HEDUI_ECRYPTO or another error of
 * the signature otherwise.
 */
HEDUI_EXPORT hedui_err hedui_agency_signer_sign(hedui_agency_signer *s,
    const char *method, const char *request_id, const char *operator_id,
    const uint8_t *body, size_t body_len, int64_t now_ms,
    hedui_agency_auth *auth);

/* Frees auth->signature and empties *auth; a released or zeroed auth is
 * accepted. */
HEDUI_EXPORT void hedui_agency_auth_release(hedui_agency_auth *auth);

/* Unix time in milliseconds, the clock the server compares to. */
HEDUI_EXPORT int64_t hedui_agency_now_ms(void);

#endif
