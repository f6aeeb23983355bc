/* SPDX-License-Identifier: MIT */
/*
 * agency_auth and agency_sig on their own (the dev PKI, $HEDUI_CERTS): the
 * signing input v2 byte for byte, the operator id's form, the binding of
 * the signing certificate to the connection's, certificates identified by
 * their DER whatever their PEM text, the whole subject as the identity,
 * and the chain checks behind the binding (revoked, foreign CA).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "agency_auth.h"
#include "agency_sig.h"

#define METHOD "hedui.v1.Verifier/VerifyHousehold"

static const char *cert_path(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("HEDUI_CERTS");
	snprintf(buf, len, "%s/%s", dir != NULL ? dir : "build/certs", name);
	return buf;
}

/* The TLS identity of a connection made with certificate NAME.crt. */
static void peer_of(const char *name, rpc_peer *out)
{
	char path[512], file[80];
	snprintf(file, sizeof file, "%s.crt", name);
	FILE *f = fopen(cert_path(file, path, sizeof path), "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	assert_true(rpc_peer_from_der(der, (size_t)n, out));
	OPENSSL_free(der);
	X509_free(x);
}

static agency_signer *signer_of(const char *name)
{
	char crt[512], key[512], a[80], b[80], err[256];
	snprintf(a, sizeof a, "%s.crt", name);
	snprintf(b, sizeof b, "%s.key", name);
	agency_signer *s = agency_signer_load(cert_path(a, crt, sizeof crt),
	    cert_path(b, key, sizeof key), err, sizeof err);
	if (s == NULL)
		fail_msg("%s: %s", name, err);
	return s;
}

typedef struct fx {
	agency_auth *auth;
	agency_signer *a330106;
	rpc_peer p330106, p1101;
} fx;

static int setup(void **state)
{
	char ca[512], crl[512], err[256];
	fx *f = calloc(1, sizeof *f);
	f->auth = agency_auth_alloc(cert_path("ca.crt", ca, sizeof ca),
	    cert_path("ca.crl", crl, sizeof crl), err, sizeof err);
	if (f->auth == NULL) {
		fprintf(stderr, "set-up: %s\n", err);
		return -1;
	}
	f->a330106 = signer_of("agency-330106");
	peer_of("agency-330106", &f->p330106);
	peer_of("agency-1101", &f->p1101);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	agency_auth_free(f->auth);
	agency_signer_free(f->a330106);
	free(f);
	return 0;
}

static const uint8_t body[] = "household";

static rpc_code check(fx *f, const Hedui__V1__AgencyAuth *a,
    const rpc_peer *peer, const char *rid, const char *op,
    agency_identity *who, char *why, size_t whylen)
{
	agency_request req = {.auth = a,
	    .peer = peer,
	    .method = METHOD,
	    .request_id = rid,
	    .operator_id = op,
	    .body = body,
	    .body_len = sizeof body - 1};
	why[0] = '\0';
	return agency_auth_check(
	    f->auth, &req, agency_sig_now_ms(), who, why, whylen);
}

/* What another implementation must sign, byte for byte (verifier.proto;
 * tests/interop/hedui_proto.py makes the same text). */
static void signing_input_v2(void **state)
{
	(void)state;
	char out[AGENCY_SIG_INPUT_MAX];
	size_t n = agency_sig_input(METHOD, "r-1", "officer-7", 1800000000000,
	    body, sizeof body - 1, out, sizeof out);
	/* The last line: SHA-256("household") in lower-case hex. */
	const char *want =
	    "hedui-agency-sig-v2\nhedui.v1.Verifier/VerifyHousehold\nr-1\n"
	    "officer-7\n1800000000000\n"
	    "bbcd628c07a0e35a5a86ea46c183f65df1eca93900d98d1b571d35352da25e43";
	assert_int_equal(n, strlen(want));
	assert_string_equal(out, want);
	/* No operator: an empty line, not a missing one. */
	n = agency_sig_input(
	    METHOD, "r-1", NULL, 5, body, sizeof body - 1, out, sizeof out);
	assert_true(n > 0);
	assert_non_null(strstr(out, "\nr-1\n\n5\n"));
	/* A line break would let two requests sign the same text. */
	assert_int_equal(
	    agency_sig_input(METHOD, "r\n1", "", 5, body, 1, out, sizeof out),
	    0);
	assert_int_equal(
	    agency_sig_input("m\r", "r", "", 5, body, 1, out, sizeof out), 0);
	assert_int_equal(
	    agency_sig_input(METHOD, "r", "a\nb", 5, body, 1, out, sizeof out),
	    0);
	assert_int_equal(
	    agency_sig_input(METHOD, "r", "", 5, body, 1, out, 40), 0);
}

static void operator_form(void **state)
{
	(void)state;
	assert_true(agency_sig_operator_ok(NULL));
	assert_true(agency_sig_operator_ok(""));
	assert_true(agency_sig_operator_ok("officer-7"));
	assert_true(agency_sig_operator_ok("wang.li_2@mz.hz.gov.cn"));
	assert_false(agency_sig_operator_ok("officer 7"));
	assert_false(agency_sig_operator_ok("王丽"));
	assert_false(agency_sig_operator_ok("a\"b"));
	assert_false(agency_sig_operator_ok("a/b"));
	char op[66];
	memset(op, 'a', 64);
	op[64] = '\0';
	assert_true(agency_sig_operator_ok(op));
	op[64] = 'a';
	op[65] = '\0';
	assert_false(agency_sig_operator_ok(op));
}

static void bound_to_the_connection(void **state)
{
	fx *f = *state;
	Hedui__V1__AgencyAuth a;
	agency_identity who;
	char why[256];
	rpc_peer unknown = {.known = false};
	assert_int_equal(agency_signer_sign(f->a330106, METHOD, "b-1", "",
	                     body, sizeof body - 1, agency_sig_now_ms(), &a),
	    HD_OK);
	/* No TLS identity at all (inproc://, an unreadable certificate). */
	assert_int_equal(check(f, &a, NULL, "b-1", "", &who, why, sizeof why),
	    RPC_UNAUTHENTICATED);
	assert_non_null(strstr(why, "no verified TLS client certificate"));
	assert_int_equal(
	    check(f, &a, &unknown, "b-1", "", &who, why, sizeof why),
	    RPC_UNAUTHENTICATED);
	/* Another agency's connection. */
	assert_int_equal(
	    check(f, &a, &f->p1101, "b-1", "", &who, why, sizeof why),
	    RPC_UNAUTHENTICATED);
	assert_non_null(strstr(why, "not the TLS client certificate"));
	/* Its own: accepted, and only now counted as used. */
	assert_int_equal(
	    check(f, &a, &f->p330106, "b-1", "", &who, why, sizeof why),
	    RPC_OK);
	assert_string_equal(who.name, "agency-330106");
	assert_string_equal(who.region_prefix, "330106");
	assert_string_equal(who.subject, f->p330106.subject);
	assert_non_null(strstr(who.subject, "OU=region:330106"));
	agency_auth_release(&a);
}

/* Copies pem with every "\n" as "\r\n", text before and after. */
static size_t reencode(const uint8_t *pem, size_t len, uint8_t *out,
    const char *before, const char *after, bool crlf)
{
	size_t o = strlen(before);
	memcpy(out, before, o);
	for (size_t i = 0; i < len; i++) {
		if (crlf && pem[i] == '\n')
			out[o++] = '\r';
		out[o++] = pem[i];
	}
	memcpy(out + o, after, strlen(after));
	return o + strlen(after);
}

static void reencoded_certificate_is_the_same(void **state)
{
	fx *f = *state;
	Hedui__V1__AgencyAuth a;
	agency_identity who;
	char why[256];
	static uint8_t pem[3][8192];
	assert_int_equal(agency_signer_sign(f->a330106, METHOD, "e-1", "",
	                     body, sizeof body - 1, agency_sig_now_ms(), &a),
	    HD_OK);
	const uint8_t *orig = a.certificate.data;
	size_t olen = a.certificate.len;
	size_t n[3] = {
	    reencode(orig, olen, pem[0], "", "", true),
	    reencode(orig, olen, pem[1], "", "\n", false),
	    reencode(orig, olen, pem[2], "Certificate:\n  issued to us\n", "",
	        false),
	};
	/* First use under a re-encoded certificate: it is still the
	 * connection's certificate. */
	a.certificate.data = pem[0];
	a.certificate.len = n[0];
	assert_int_equal(
	    check(f, &a, &f->p330106, "e-1", "", &who, why, sizeof why),
	    RPC_OK);
	/* Then every other encoding of it, and the original, is a replay. */
	for (int i = 1; i <= 3; i++) {
		a.certificate.data = i < 3 ? pem[i] : (uint8_t *)orig;
		a.certificate.len = i < 3 ? n[i] : olen;
		assert_int_equal(check(f, &a, &f->p330106, "e-1", "", &who,
		                     why, sizeof why),
		    RPC_UNAUTHENTICATED);
		assert_non_null(strstr(why, "replayed"));
	}
	/* Not a certificate at all. */
	static const uint8_t junk[] =
	    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	a.certificate.data = (uint8_t *)junk;
	a.certificate.len = sizeof junk - 1;
	assert_int_equal(
	    check(f, &a, &f->p330106, "e-2", "", &who, why, sizeof why),
	    RPC_UNAUTHENTICATED);
	a.certificate.data = (uint8_t *)orig;
	agency_auth_release(&a);
}

static void operator_is_signed(void **state)
{
	fx *f = *state;
	Hedui__V1__AgencyAuth a;
	agency_identity who;
	char why[256];
	assert_int_equal(
	    agency_signer_sign(f->a330106, METHOD, "o-1", "officer-7", body,
	        sizeof body - 1, agency_sig_now_ms(), &a),
	    HD_OK);
	assert_int_equal(check(f, &a, &f->p330106, "o-1", "officer-9", &who,
	                     why, sizeof why),
	    RPC_UNAUTHENTICATED);
	assert_non_null(strstr(why, "does not verify"));
	assert_int_equal(
	    check(f, &a, &f->p330106, "o-1", "", &who, why, sizeof why),
	    RPC_UNAUTHENTICATED);
	assert_int_equal(check(f, &a, &f->p330106, "o-1", "officer-7", &who,
	                     why, sizeof why),
	    RPC_OK);
	agency_auth_release(&a);
	/* The signer refuses what the checker would. */
	assert_int_equal(
	    agency_signer_sign(f->a330106, METHOD, "o-2", "officer 7", body,
	        sizeof body - 1, agency_sig_now_ms(), &a),
	    HD_EINVAL);
}

/* Behind the binding the chain is still checked: a revoked certificate
 * or one from another CA is refused even on its own connection (which
 * TLS would not have let it open). */
static void chain_still_checked(void **state)
{
	fx *f = *state;
	static const char *const names[] = {"revoked-client", "rogue-client"};
	static const char *const reasons[] = {"revoked", "not accepted"};
	for (int i = 0; i < 2; i++) {
		Hedui__V1__AgencyAuth a;
		agency_identity who;
		char why[256];
		rpc_peer p;
		agency_signer *s = signer_of(names[i]);
		peer_of(names[i], &p);
		assert_int_equal(agency_signer_sign(s, METHOD, "c-1", "", body,
		                     sizeof body - 1, agency_sig_now_ms(), &a),
		    HD_OK);
		assert_int_equal(
		    check(f, &a, &p, "c-1", "", &who, why, sizeof why),
		    RPC_UNAUTHENTICATED);
		assert_non_null(strstr(why, reasons[i]));
		agency_auth_release(&a);
		agency_signer_free(s);
	}
}

/* The replicas' replay cache (agency_auth_set_shared_replay): asked once
 * this process found a request new; its "seen" refuses the request as a
 * replay, its failure refuses it UNAVAILABLE without this process
 * keeping it, so that the request sent again is taken. */
static int shared_answer, shared_calls;
static int64_t shared_keep_ms;
static int shared_replay(
    const unsigned char key[32], int64_t now_ms, int64_t expires_ms, void *arg)
{
	(void)key;
	(void)arg;
	shared_calls++;
	shared_keep_ms = expires_ms - now_ms;
	return shared_answer;
}

static void replicas_share_replays(void **state)
{
	fx *f = *state;
	Hedui__V1__AgencyAuth a;
	agency_identity who;
	char why[256];
	agency_auth_set_shared_replay(f->auth, shared_replay, NULL);
	assert_int_equal(agency_signer_sign(f->a330106, METHOD, "s-1", "",
	                     body, sizeof body - 1, agency_sig_now_ms(), &a),
	    HD_OK);
	shared_answer = 0; /* another replica took it */
	assert_int_equal(
	    check(f, &a, &f->p330106, "s-1", "", &who, why, sizeof why),
	    RPC_UNAUTHENTICATED);
	assert_non_null(strstr(why, "replayed"));
	assert_int_equal(shared_calls, 1);
	assert_int_equal(shared_keep_ms, 2 * AGENCY_AUTH_WINDOW_MS);
	agency_auth_release(&a);

	assert_int_equal(agency_signer_sign(f->a330106, METHOD, "s-2", "",
	                     body, sizeof body - 1, agency_sig_now_ms(), &a),
	    HD_OK);
	shared_answer = -1; /* the database cannot be asked */
	assert_int_equal(
	    check(f, &a, &f->p330106, "s-2", "", &who, why, sizeof why),
	    RPC_UNAVAILABLE);
	shared_answer = 1;
	assert_int_equal(
	    check(f, &a, &f->p330106, "s-2", "", &who, why, sizeof why),
	    RPC_OK);
	/* Seen here: refused without asking the others. */
	assert_int_equal(
	    check(f, &a, &f->p330106, "s-2", "", &who, why, sizeof why),
	    RPC_UNAUTHENTICATED);
	assert_int_equal(shared_calls, 3);
	agency_auth_release(&a);
	agency_auth_set_shared_replay(f->auth, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(signing_input_v2),
	    cmocka_unit_test(operator_form),
	    cmocka_unit_test(bound_to_the_connection),
	    cmocka_unit_test(reencoded_certificate_is_the_same),
	    cmocka_unit_test(operator_is_signed),
	    cmocka_unit_test(chain_still_checked),
	    cmocka_unit_test(replicas_share_replays),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
