/* SPDX-License-Identifier: MIT */
/*
 * Regression tests of what fuzzing and review of hostile input found (see
 * docs/ATTACKS.md): the agency timestamp window with int64 extremes, the
 * replay cache against a malleated ECDSA signature, request bytes echoed
 * into replies as non-UTF-8, log lines forged with control characters, and
 * server text reaching the terminal with escape sequences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "agency_auth.h"
#include "agency_sig.h"
#include "cli.h"
#include "hedui/v1/health.pb-c.h"
#include "household.h"
#include "log.h"
#include "report_sig.h"
#include "rpc_envelope.h"
#include "rpc_server_impl.h"
#include "utf8.h"
#include "verdict_json.h"
#include "verdict_table.h"
#include "verdict_text.h"

#define VERIFY_METHOD "hedui.v1.Verifier/VerifyHousehold"

static const char *src_path(const char *rel, char *buf, size_t len)
{
	const char *src = getenv("HEDUI_SRC");
	snprintf(buf, len, "%s/%s", src != NULL ? src : ".", rel);
	return buf;
}

/* --- lib/utf8 ------------------------------------------------------------ */

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("abc", 3));
	assert_true(utf8_valid("张三", strlen("张三")));
	assert_true(utf8_valid("\xf0\x9f\x98\x80", 4)); /* U+1F600 */
	assert_false(utf8_valid("\xff", 1));
	assert_false(utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	assert_false(utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(utf8_valid("\xe5\xbc", 2));         /* cut short */
	assert_false(utf8_valid("a\x80", 2));
}

static void test_utf8_sanitize(void **state)
{
	(void)state;
	char out[16];
	assert_string_equal(
	    utf8_sanitize("a\xffz", out, sizeof out, false), "a?z");
	assert_string_equal(
	    utf8_sanitize("a\nb\x1b[2J", out, sizeof out, true), "a?b?[2J");
	assert_string_equal(
	    utf8_sanitize("a\nb", out, sizeof out, false), "a\nb");
	/* C1 (here U+009B, an 8-bit CSI) and DEL are controls too. */
	assert_string_equal(utf8_sanitize("a\xc2\x9b"
	                                  "1m\x7f",
	                        out, sizeof out, true),
	    "a?1m?");
	assert_string_equal(
	    utf8_sanitize("\xc2\xa0", out, sizeof out, true), "\xc2\xa0");
	/* Bidi overrides, embeddings, isolates and marks reorder what the
	 * officer sees: each becomes '?'. Their neighbours survive. */
	static const char *const bidi[] = {"\xe2\x80\xae", "\xe2\x80\xaa",
	    "\xe2\x81\xa6", "\xe2\x81\xa9", "\xe2\x80\x8f", "\xd8\x9c"};
	for (size_t i = 0; i < sizeof bidi / sizeof bidi[0]; i++) {
		char in[16];
		snprintf(in, sizeof in, "a%sb", bidi[i]);
		assert_string_equal(
		    utf8_sanitize(in, out, sizeof out, true), "a?b");
		assert_string_equal(
		    utf8_sanitize(in, out, sizeof out, false), in);
	}
	/* Characters next to them in the code charts are text. */
	assert_string_equal(
	    utf8_sanitize(
	        "\xe2\x80\xaf\xe2\x81\xa5\xe2\x80\x94", out, sizeof out, true),
	    "\xe2\x80\xaf\xe2\x81\xa5\xe2\x80\x94");
	/* Cut at a character boundary, never inside one. */
	char small[5];
	utf8_sanitize("ab张三", small, sizeof small, false);
	assert_string_equal(small, "ab");
	assert_true(utf8_valid(small, strlen(small)));
	assert_string_equal(utf8_sanitize(NULL, out, sizeof out, true), "");
}

static void test_utf8_message(void **state)
{
	(void)state;
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	Hedui__V1__Metadata md = HEDUI__V1__METADATA__INIT;
	Hedui__V1__Metadata *mdp[1] = {&md};
	const char *field = NULL;
	env.method = "hedui.v1.Health/Check";
	env.request_id = "r1";
	md.key = "trace-id";
	md.value = "ok 张三";
	env.metadata = mdp;
	env.n_metadata = 1;
	assert_true(utf8_message_valid(&env.base, &field));
	md.value = "bad \xfe";
	assert_false(utf8_message_valid(&env.base, &field));
	assert_string_equal(field, "value");
}

/* --- (c) request bytes echoed into replies ------------------------------- */

static void test_envelope_refuses_non_utf8(void **state)
{
	(void)state;
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	char why[160];
	env.method = "hedui.v1.Health/Check";
	env.request_id = "id-\xc3\x28";
	assert_false(rpc_envelope_request_ok(&env, why, sizeof why));
	assert_non_null(strstr(why, "UTF-8"));
	env.request_id = "id-1";
	env.method = "hedui.v1.Health/Ch\xe9"
	             "ck";
	assert_false(rpc_envelope_request_ok(&env, why, sizeof why));
	env.method = "hedui.v1.Health/Check";
	assert_true(rpc_envelope_request_ok(&env, why, sizeof why));
	/* Quotes would close request_id="..." in the log line. */
	env.request_id = "x\" code=OK";
	assert_false(rpc_envelope_request_ok(&env, why, sizeof why));
	env.request_id = "x\\";
	assert_false(rpc_envelope_request_ok(&env, why, sizeof why));
}

static void test_reply_is_always_utf8(void **state)
{
	(void)state;
	nng_msg *m = rpc_envelope_reply("id-\xff\xfe", RPC_UNIMPLEMENTED,
	    "unknown method \"\xc3\x28\x80\"", NULL, 0);
	assert_non_null(m);
	Hedui__V1__RpcReply *r = hedui__v1__rpc_reply__unpack(
	    NULL, nng_msg_len(m), nng_msg_body(m));
	assert_non_null(r);
	assert_true(utf8_valid(r->request_id, strlen(r->request_id)));
	assert_true(
	    utf8_valid(r->status->message, strlen(r->status->message)));
	assert_string_equal(r->request_id, "id-??");
	hedui__v1__rpc_reply__free_unpacked(r, NULL);
	nng_msg_free(m);
}

/* The server's own decode step: an unknown method's name goes back in the
 * message, limited to a safe charset; a payload string that is not UTF-8
 * is refused. */
static void dummy_handler(rpc_call *c, const ProtobufCMessage *m, void *a)
{
	(void)c;
	(void)m;
	(void)a;
}

static void test_server_decode(void **state)
{
	(void)state;
	rpc_server_opts o = {.url = "inproc://unused"};
	rpc_server *srv = rpc_server_alloc(&o);
	static const rpc_handler_fn h[] = {dummy_handler};
	assert_int_equal(rpc_server_add_service(
	                     srv, &hedui__v1__debug__descriptor, h, NULL),
	    HD_OK);

	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	env.method = "hedui.v1.Nope/X\xe2\x80\xae\"\n level=error";
	env.request_id = "r";
	uint8_t buf[512];
	size_t n = hedui__v1__rpc_request__pack(&env, buf);
	Hedui__V1__RpcRequest *got = NULL;
	const rpc_method *meth;
	char why[160];
	assert_int_equal(
	    rpc_server_decode(srv, buf, n, &got, &meth, why, sizeof why),
	    RPC_UNIMPLEMENTED);
	assert_string_equal(why, "unknown method \"hedui.v1.Nope/X?????"
	                         "?level?error\"");
	hedui__v1__rpc_request__free_unpacked(got, NULL);

	Hedui__V1__EchoRequest er = HEDUI__V1__ECHO_REQUEST__INIT;
	er.fail_code = 3;
	er.fail_message = "bad \xff";
	uint8_t pl[64];
	env.method = "hedui.v1.Debug/Echo";
	env.payload.data = pl;
	env.payload.len = hedui__v1__echo_request__pack(&er, pl);
	n = hedui__v1__rpc_request__pack(&env, buf);
	assert_int_equal(
	    rpc_server_decode(srv, buf, n, &got, &meth, why, sizeof why),
	    RPC_OK);
	assert_null(rpc_server_decode_payload(meth, got, why, sizeof why));
	assert_string_equal(
	    why, "payload field fail_message is not valid UTF-8");
	hedui__v1__rpc_request__free_unpacked(got, NULL);
	rpc_server_free(srv);
}

static void test_household_text_utf8(void **state)
{
	(void)state;
	Hedui__V1__Household h = HEDUI__V1__HOUSEHOLD__INIT;
	household_norm norm;
	household_problem p;
	h.case_id = "case-\xff";
	assert_false(household_check(&h, 20270115, &norm, &p));
	assert_string_equal(p.field, "case_id");
	assert_int_equal(p.code, RPC_INVALID_ARGUMENT);
	h.case_id = "case-1";
	h.request_id = "r\" agency=\"x";
	assert_false(household_check(&h, 20270115, &norm, &p));
	assert_string_equal(p.field, "request_id");
}

/* --- (a), (b) agency auth --------------------------------------------------
 */

typedef struct auth_fx {
	agency_auth *auth;
	agency_signer *signer;
	rpc_peer peer; /* the TLS identity: the signer's own certificate */
} auth_fx;

/* The TLS identity a connection made with the certificate at path has. */
static bool peer_of(const char *path, rpc_peer *out)
{
	FILE *f = fopen(path, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int n = x != NULL ? i2d_X509(x, &der) : -1;
	bool ok = n > 0 && rpc_peer_from_der(der, (size_t)n, out);
	OPENSSL_free(der);
	X509_free(x);
	if (f != NULL)
		fclose(f);
	return ok;
}

static rpc_code auth_check(auth_fx *f, const Hedui__V1__AgencyAuth *a,
    const char *rid, const uint8_t *body, size_t len, int64_t now,
    agency_identity *who, char *why, size_t whylen)
{
	agency_request req = {.auth = a,
	    .peer = &f->peer,
	    .method = VERIFY_METHOD,
	    .request_id = rid,
	    .operator_id = "",
	    .body = body,
	    .body_len = len};
	return agency_auth_check(f->auth, &req, now, who, why, whylen);
}

static int auth_setup(void **state)
{
	char ca[512], crt[512], key[512], err[256];
	auth_fx *f = calloc(1, sizeof *f);
	f->auth =
	    agency_auth_alloc(src_path("tests/fuzz/pki/ca.crt", ca, sizeof ca),
	        NULL, err, sizeof err);
	f->signer = agency_signer_load(
	    src_path("tests/fuzz/pki/agency-330106.crt", crt, sizeof crt),
	    src_path("tests/fuzz/pki/agency-330106.key", key, sizeof key), err,
	    sizeof err);
	if (f->auth == NULL || f->signer == NULL || !peer_of(crt, &f->peer)) {
		fprintf(stderr, "set-up: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int auth_teardown(void **state)
{
	auth_fx *f = *state;
	agency_auth_free(f->auth);
	agency_signer_free(f->signer);
	free(f);
	return 0;
}

static void test_timestamp_extremes(void **state)
{
	auth_fx *f = *state;
	static const uint8_t body[] = "household";
	const int64_t now = agency_sig_now_ms();
	const int64_t stamps[] = {INT64_MIN, INT64_MIN + 1, -1, 0, INT64_MAX,
	    INT64_MAX - 1, now - 5 * 60 * 1000 - 1, now + 5 * 60 * 1000 + 1};
	for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
		Hedui__V1__AgencyAuth a = HEDUI__V1__AGENCY_AUTH__INIT;
		agency_identity who;
		char why[256] = "";
		assert_int_equal(
		    agency_signer_sign(f->signer, VERIFY_METHOD, "ts-1", "",
		        body, sizeof body - 1, stamps[i], &a),
		    HD_OK);
		/* UBSan (make SAN=1) aborts here on a signed overflow. */
		assert_int_equal(
		    auth_check(f, &a, "ts-1", body, sizeof body - 1, now, &who,
		        why, sizeof why),
		    RPC_UNAUTHENTICATED);
		assert_non_null(strstr(why, "timestamp"));
		agency_auth_release(&a);
	}
}

/* (r, s) -> (r, n - s): the same signer, the same input, another valid
 * signature. */
static void malleate(Hedui__V1__AgencyAuth *a)
{
	const unsigned char *p = a->signature.data;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)a->signature.len);
	assert_non_null(sig);
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	const BIGNUM *r0, *s0;
	ECDSA_SIG_get0(sig, &r0, &s0);
	BIGNUM *r = BN_dup(r0), *s = BN_new();
	assert_int_equal(BN_sub(s, EC_GROUP_get0_order(g), s0), 1);
	assert_int_equal(ECDSA_SIG_set0(sig, r, s), 1);
	unsigned char *der = NULL;
	int len = i2d_ECDSA_SIG(sig, &der);
	assert_true(len > 0);
	free(a->signature.data);
	a->signature.data = malloc((size_t)len);
	memcpy(a->signature.data, der, (size_t)len);
	a->signature.len = (size_t)len;
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EC_GROUP_free(g);
}

static void test_replay_with_malleated_signature(void **state)
{
	auth_fx *f = *state;
	static const uint8_t body[] = "household";
	int64_t now = agency_sig_now_ms();
	Hedui__V1__AgencyAuth a = HEDUI__V1__AGENCY_AUTH__INIT;
	agency_identity who;
	char why[256];
	assert_int_equal(agency_signer_sign(f->signer, VERIFY_METHOD, "rp-1",
	                     "", body, sizeof body - 1, now, &a),
	    HD_OK);
	assert_int_equal(auth_check(f, &a, "rp-1", body, sizeof body - 1, now,
	                     &who, why, sizeof why),
	    RPC_OK);
	assert_int_equal(auth_check(f, &a, "rp-1", body, sizeof body - 1, now,
	                     &who, why, sizeof why),
	    RPC_UNAUTHENTICATED);
	assert_non_null(strstr(why, "replayed"));
	/* The malleated signature still verifies, but it is the same
	 * request: refused as a replay, not accepted as new. */
	malleate(&a);
	assert_int_equal(auth_check(f, &a, "rp-1", body, sizeof body - 1, now,
	                     &who, why, sizeof why),
	    RPC_UNAUTHENTICATED);
	assert_non_null(strstr(why, "replayed"));
	agency_auth_release(&a);

	/* A new request (another request_id) from the same agency is
	 * fine. */
	assert_int_equal(agency_signer_sign(f->signer, VERIFY_METHOD, "rp-2",
	                     "", body, sizeof body - 1, now, &a),
	    HD_OK);
	assert_int_equal(auth_check(f, &a, "rp-2", body, sizeof body - 1, now,
	                     &who, why, sizeof why),
	    RPC_OK);
	agency_auth_release(&a);
}

/* --- (d) log lines, (e) the terminal --------------------------------------
 */

/* Runs fn with stderr going to a file; returns what it wrote. */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
	static char buf[4096];
	fflush(stderr);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	int saved = dup(2);
	dup2(fileno(tmp), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(buf, 1, sizeof buf - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static void log_forged(void *arg)
{
	(void)arg;
	log_info("rpc.reject", "request_id=\"%s\"",
	    "x\" code=OK\nts=2026 level=info event=verify.done \x1b[2J\r\x7f");
}

static void test_log_line_forging(void **state)
{
	(void)state;
	char *out = capture_stderr(log_forged, NULL);
	/* One event, one line: the newline and escapes became '?'. */
	char *nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_string_equal(nl + 1, "");
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\r'));
	assert_non_null(strstr(out, "code=OK?ts=2026"));
}

static void test_safe_method(void **state)
{
	(void)state;
	char out[104];
	rpc_server_safe_method("hedui.v1.Health/Check", out, sizeof out);
	assert_string_equal(out, "hedui.v1.Health/Check");
	rpc_server_safe_method("a\"b c\n\xe5\xbc\xa0", out, sizeof out);
	assert_string_equal(out, "a?b?c????");
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	rpc_server_safe_method(longname, out, sizeof out);
	assert_int_equal(strlen(out), 100);
}

static void test_masked_id_escape(void **state)
{
	(void)state;
	char out[32];
	/* 18 characters from a hostile server, an escape sequence in the
	 * part that the mask shows. */
	verdict_text_mask_id("\x1b[2J11abcdefgh\x1b]0;", out, sizeof out);
	assert_null(strchr(out, '\x1b'));
	assert_int_equal(strlen(out), 18);
	verdict_text_mask_id("11010519491231002X", out, sizeof out);
	assert_string_equal(out, "110105********002X");
}

static void status_forged(void *arg)
{
	(void)arg;
	rpc_status st = {.code = RPC_INTERNAL, .local = false};
	snprintf(st.message, sizeof st.message,
	    "boom\x1b]0;pwned\x07\nhedui: verify: OK\xff");
	cli_report_status("verify", RPC_INTERNAL, &st);
}

static void test_cli_status_escape(void **state)
{
	(void)state;
	char *out = capture_stderr(status_forged, NULL);
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\x07'));
	assert_string_equal(out,
	    "hedui: verify: INTERNAL: boom?]0;pwned??hedui: verify: OK?\n");
}

/* The verdict as `hedui verify` prints it, table and JSON, with DEL and
 * C1 controls (U+009B is an 8-bit CSI) in the server's text. */
static void test_verdict_output_controls(void **state)
{
	(void)state;
	Hedui__V1__Verdict v = HEDUI__V1__VERDICT__INIT;
	Hedui__V1__VerifyHouseholdResponse r =
	    HEDUI__V1__VERIFY_HOUSEHOLD_RESPONSE__INIT;
	v.report_id = "HD\x7f"
	              "1";
	v.case_id = "c\xc2\x9b"
	            "2J\x1b[2J";
	v.agency = "a\xc2\x9d"
	           "0;t\xc2\x9c";
	v.conclusion = "needs_review";
	r.verdict = &v;
	for (int json = 0; json < 2; json++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		assert_int_equal(json ? verdict_json_print(f, &r)
		                      : verdict_table_print(f, &r),
		    HD_OK);
		fclose(f);
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)buf[i];
			assert_true(c == '\n' || (c >= 0x20 && c != 0x7f));
			assert_false(c == 0xc2 && i + 1 < len &&
			             (unsigned char)buf[i + 1] < 0xa0);
		}
		assert_non_null(strstr(buf, "c?2J?[2J"));
		free(buf);
	}
}

/* `hedui report verify` prints fields of a saved, validly signed report:
 * a hostile report (signed by a compromised or buggy service) must not
 * reach the terminal with escape sequences. */
static void test_report_verify_output(void **state)
{
	(void)state;
	const char *certs = getenv("HEDUI_CERTS");
	const char *bin = getenv("HEDUI_BIN");
	if (certs == NULL || bin == NULL) {
		skip();
		return;
	}
	char key[512], crt[512], file[] = "/tmp/hedui-report-XXXXXX", err[256];
	snprintf(key, sizeof key, "%s/heduid.key", certs);
	snprintf(crt, sizeof crt, "%s/heduid.crt", certs);
	report_signer *signer = report_signer_load(key, NULL, err, sizeof err);
	assert_non_null(signer);

	Hedui__V1__Verdict v = HEDUI__V1__VERDICT__INIT;
	v.report_id = "HD-1\x1b]0;pwned\x07";
	v.case_id = "c\xc2\x9b"
	            "2J\x1b[2J";
	v.agency = "agency\r\nOK: forged";
	v.region_code = "330106";
	v.program = "dibao";
	v.conclusion = "meets\x7f";
	uint8_t report[512], sig[REPORT_SIG_MAX];
	size_t len = hedui__v1__verdict__pack(&v, report), siglen = 0;
	assert_int_equal(
	    report_signer_sign(signer, report, len, sig, &siglen), HD_OK);
	report_signer_free(signer);
	Hedui__V1__VerifyHouseholdResponse r =
	    HEDUI__V1__VERIFY_HOUSEHOLD_RESPONSE__INIT;
	r.report.data = report;
	r.report.len = len;
	r.signature.data = sig;
	r.signature.len = siglen;
	r.signature_alg = REPORT_SIG_ALG;
	uint8_t saved[1024];
	size_t n = hedui__v1__verify_household_response__pack(&r, saved);
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, saved, n), (ssize_t)n);
	close(fd);

	char cmd[2048];
	snprintf(cmd, sizeof cmd,
	    "'%s/hedui' report verify '%s' --cert '%s' "
	    "2>&1",
	    bin, file, crt);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char out[2048];
	size_t got = fread(out, 1, sizeof out - 1, p);
	out[got] = '\0';
	int rc = pclose(p);
	unlink(file);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "OK: report HD-1?]0;pwned?"));
	for (size_t i = 0; i < got; i++) {
		unsigned char c = (unsigned char)out[i];
		assert_true(c == '\n' || (c >= 0x20 && c != 0x7f));
		assert_false(c == 0xc2 && i + 1 < got &&
		             (unsigned char)out[i + 1] < 0xa0);
	}
	/* One line: the forged "OK:" stays on it. */
	assert_ptr_equal(strchr(out, '\n'), out + got - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_valid),
	    cmocka_unit_test(test_utf8_sanitize),
	    cmocka_unit_test(test_utf8_message),
	    cmocka_unit_test(test_envelope_refuses_non_utf8),
	    cmocka_unit_test(test_reply_is_always_utf8),
	    cmocka_unit_test(test_server_decode),
	    cmocka_unit_test(test_household_text_utf8),
	    cmocka_unit_test_setup_teardown(
	        test_timestamp_extremes, auth_setup, auth_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_replay_with_malleated_signature, auth_setup,
	        auth_teardown),
	    cmocka_unit_test(test_log_line_forging),
	    cmocka_unit_test(test_safe_method),
	    cmocka_unit_test(test_masked_id_escape),
	    cmocka_unit_test(test_cli_status_escape),
	    cmocka_unit_test(test_verdict_output_controls),
	    cmocka_unit_test(test_report_verify_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
