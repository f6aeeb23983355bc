/* SPDX-License-Identifier: MIT */
/*
 * api_agency: the public agency signer (include/hedui/agency.h) over
 * agency_sig.
 *
 * The public result is a plain struct, not the generated
 * Hedui__V1__AgencyAuth: libhedui's generated code is not exported, and an
 * integrator's own generated struct is theirs to fill.
 */
#include <stdlib.h>
#include <string.h>

#include <hedui/agency.h>

#include "agency_sig.h"

hedui_agency_signer *hedui_agency_signer_load(
    const char *cert_path, const char *key_path, char *err, size_t errlen)
{
	char why[256] = "";
	agency_signer *s =
	    agency_signer_load(cert_path, key_path, why, sizeof why);
	if (s == NULL && err != NULL && errlen > 0) {
		strncpy(err, why, errlen - 1);
		err[errlen - 1] = '\0';
	}
	return (hedui_agency_signer *)s;
}

void hedui_agency_signer_free(hedui_agency_signer *s)
{
	agency_signer_free((agency_signer *)s);
}

hedui_err hedui_agency_signer_sign(hedui_agency_signer *s, const char *method,
    const char *request_id, const char *operator_id, const uint8_t *body,
    size_t body_len, int64_t now_ms, hedui_agency_auth *auth)
{
	if (s == NULL || auth == NULL)
		return HD_EINVAL;
	Hedui__V1__AgencyAuth a = HEDUI__V1__AGENCY_AUTH__INIT;
	hd_err e = agency_signer_sign((agency_signer *)s, method, request_id,
	    operator_id, body, body_len, now_ms, &a);
	if (e != HD_OK)
		return e;
	auth->certificate = a.certificate.data;
	auth->certificate_len = a.certificate.len;
	auth->timestamp_ms = a.timestamp_ms;
	auth->signature = a.signature.data;
	auth->signature_len = a.signature.len;
	return HD_OK;
}

void hedui_agency_auth_release(hedui_agency_auth *auth)
{
	if (auth == NULL)
		return;
	free(auth->signature);
	memset(auth, 0, sizeof *auth);
}

int64_t hedui_agency_now_ms(void)
{
	return agency_sig_now_ms();
}
