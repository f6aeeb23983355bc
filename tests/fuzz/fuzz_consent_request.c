/* SPDX-License-Identifier: MIT */
/*
 * hedui.v1.Consents: the first byte picks the method (RegisterConsent,
 * RevokeConsent, GetConsent, ListConsents), the rest is its request,
 * through the real service over the in-process server (fuzz_server.h; its
 * clock is real, so fuzzed requests end at the timestamp check there),
 * and straight through the same steps with the seeds' clock: the body's
 * decoding, the agency signature and the registration rules.
 */
#include "fuzz_auth.h"
#include "fuzz_server.h"

#include "consent_form.h"
#include "hedui/v1/consent.pb-c.h"

static const char *const methods[4] = {
    "RegisterConsent", "RevokeConsent", "GetConsent", "ListConsents"};
static const ProtobufCMessageDescriptor *const bodies[4] = {
    &hedui__v1__consent__descriptor,
    &hedui__v1__consent_revocation__descriptor,
    &hedui__v1__consent_key__descriptor,
    &hedui__v1__consent_query__descriptor};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_server_start();
	fuzz_auth_start();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int k = data[0] % 4;
	char method[64];
	snprintf(method, sizeof method, "hedui.v1.Consents/%s", methods[k]);
	int code = fuzz_server_call(method, data + 1, size - 1);
	FUZZ_ASSERT(code != RPC_OK && code != RPC_INTERNAL);

	/* Every Consents request is { bytes body = 1; AgencyAuth auth = 2 }.
	 */
	Hedui__V1__RegisterConsentRequest *req =
	    hedui__v1__register_consent_request__unpack(
	        NULL, size - 1, data + 1);
	if (req == NULL)
		return 0;
	ProtobufCMessage *body = protobuf_c_message_unpack(
	    bodies[k], NULL, req->consent.len, req->consent.data);
	agency_identity who;
	if (body != NULL &&
	    fuzz_auth_check(req->auth, method, req->consent.data,
	        req->consent.len, FUZZ_NOW_MS, &who) == RPC_OK &&
	    k == 0) {
		consent_form f;
		consent_problem p;
		if (consent_form_check(
		        (Hedui__V1__Consent *)body, 20270115, &f, &p))
			(void)agency_auth_covers(&who, f.region);
		else
			FUZZ_ASSERT(fuzz_str_utf8(p.reason));
	}
	if (body != NULL)
		protobuf_c_message_free_unpacked(body, NULL);
	hedui__v1__register_consent_request__free_unpacked(req, NULL);
	return 0;
}
