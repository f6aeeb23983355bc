/* SPDX-License-Identifier: MIT */
/*
 * The agency auth metadata (hedui.v1.AgencyAuth) as agency_auth_check
 * reads it: certificate PEM, its binding to the connection's certificate
 * (the seeds' agency), chain, timestamp window (any int64, INT64_MIN
 * included), signature, replay cache. The body signed is fixed; the
 * server clock is the seeds' one, then the Unix epoch.
 */
#include "fuzz_auth.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "agency_sig.h"

static const uint8_t fuzz_body[] = "fuzz-body";

/* The other valid ECDSA signature over the same input, (r, n - s); 0 when
 * sig is not a DER ECDSA signature. */
static size_t fuzz_malleate(
    const uint8_t *sig, size_t len, uint8_t *out, size_t outlen)
{
	const unsigned char *p = sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	size_t n = 0;
	if (es == NULL)
		return 0;
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	const BIGNUM *r0, *s0;
	ECDSA_SIG_get0(es, &r0, &s0);
	BIGNUM *r = BN_dup(r0), *s = BN_new();
	unsigned char *der = NULL;
	if (g != NULL && r != NULL && s != NULL &&
	    BN_sub(s, EC_GROUP_get0_order(g), s0) == 1 &&
	    ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL;
		int dl = i2d_ECDSA_SIG(es, &der);
		if (dl > 0 && (size_t)dl <= outlen) {
			memcpy(out, der, (size_t)dl);
			n = (size_t)dl;
		}
	}
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	EC_GROUP_free(g);
	ECDSA_SIG_free(es);
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_auth_start();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hedui__V1__AgencyAuth *auth =
	    hedui__v1__agency_auth__unpack(NULL, size, data);
	if (auth == NULL)
		return 0;
	agency_identity who;
	static const char *const methods[] = {
	    "hedui.v1.Verifier/VerifyHousehold",
	    "hedui.v1.Verifier/GetReport"};
	rpc_code c = fuzz_auth_check(auth, methods[0], fuzz_body,
	    sizeof fuzz_body - 1, FUZZ_NOW_MS, &who);
	if (c == RPC_OK) {
		FUZZ_ASSERT(strlen(who.region_prefix) >= 2);
		/* The very same request again is a replay, and so is the
		 * same request under the other valid ECDSA signature. */
		FUZZ_ASSERT(fuzz_auth_check(auth, methods[0], fuzz_body,
		                sizeof fuzz_body - 1, FUZZ_NOW_MS,
		                &who) == RPC_UNAUTHENTICATED);
		uint8_t other[512];
		size_t n = fuzz_malleate(auth->signature.data,
		    auth->signature.len, other, sizeof other);
		if (n > 0) {
			Hedui__V1__AgencyAuth m = *auth;
			m.signature.data = other;
			m.signature.len = n;
			FUZZ_ASSERT(fuzz_auth_check(&m, methods[0], fuzz_body,
			                sizeof fuzz_body - 1, FUZZ_NOW_MS,
			                &who) == RPC_UNAUTHENTICATED);
		}
		/* And so is the same request under the same certificate
		 * re-encoded: its identity is its DER, not its PEM text. */
		size_t cl = auth->certificate.len;
		uint8_t *pem = malloc(cl * 2 + 16);
		if (pem == NULL)
			abort();
		size_t o = 0;
		memcpy(pem, "junk\r\n", 6);
		o = 6;
		for (size_t i = 0; i < cl; i++) {
			if (auth->certificate.data[i] == '\n')
				pem[o++] = '\r';
			pem[o++] = auth->certificate.data[i];
		}
		pem[o++] = '\n';
		Hedui__V1__AgencyAuth r = *auth;
		r.certificate.data = pem;
		r.certificate.len = o;
		FUZZ_ASSERT(fuzz_auth_check(&r, methods[0], fuzz_body,
		                sizeof fuzz_body - 1, FUZZ_NOW_MS,
		                &who) == RPC_UNAUTHENTICATED);
		free(pem);
	}
	(void)fuzz_auth_check(
	    auth, methods[0], fuzz_body, sizeof fuzz_body - 1, 0, &who);
	char input[AGENCY_SIG_INPUT_MAX];
	(void)agency_sig_input(methods[0], FUZZ_REQUEST_ID, "",
	    auth->timestamp_ms, fuzz_body, sizeof fuzz_body - 1, input,
	    sizeof input);
	hedui__v1__agency_auth__free_unpacked(auth, NULL);
	return 0;
}
