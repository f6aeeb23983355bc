/* SPDX-License-Identifier: MIT */
/*
 * The public API (include/hedui/, docs/API.md) against a real heduid:
 * a client made and called only through hedui_*, the asynchronous
 * callback on another thread than the caller's, a local failure's status,
 * and an agency signature made through hedui_agency_* that heduid's own
 * check accepts once copied into the generated AgencyAuth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hedui/hedui.h>

#include "agency_auth.h"
#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "rpc_peer.h"
#include "tsupport.h"

#define HEALTH "hedui.v1.Health/Check"
#define VERIFY "hedui.v1.Verifier/VerifyHousehold"

static tproc *heduid;
static int port;

static hedui_client *public_client(int to_port)
{
	hedui_client_opts o = {
	    .url = turl(to_port),
	    .tls = {.ca_file = tcert("ca.crt"),
	        .cert_file = tcert("agency-330106.crt"),
	        .key_file = tcert("agency-330106.key")},
	};
	return hedui_client_alloc(&o);
}

static int setup(void **state)
{
	(void)state;
	ttls_init();
	heduid = theduid_start(&port, NULL);
	return heduid == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return tproc_stop(heduid) == 0 ? 0 : -1;
}

static void names_are_the_trees(void **state)
{
	(void)state;
	assert_string_equal(
	    hedui_code_name(HEDUI_CODE_UNIMPLEMENTED), "UNIMPLEMENTED");
	assert_string_equal(hedui_code_name(99), "UNKNOWN");
	hedui_code c = HEDUI_CODE_OK;
	assert_true(hedui_code_parse("NOT_FOUND", &c));
	assert_int_equal(c, HEDUI_CODE_NOT_FOUND);
	assert_false(hedui_code_parse("NOPE", &c));
	assert_int_equal(c, HEDUI_CODE_NOT_FOUND);
	assert_non_null(hedui_code_meaning(HEDUI_CODE_INTERNAL));
	assert_string_equal(hedui_strerror(HEDUI_EINVAL), "invalid argument");
	assert_string_equal(hedui_strerror(HEDUI_ERR_COUNT), "unknown error");
	assert_string_equal(hedui_tls_engine_name(), "openssl");
	assert_non_null(hedui_tls_engine_description());
}

static void sync_call(void **state)
{
	(void)state;
	hedui_client *c = public_client(port);
	assert_non_null(c);
	Hedui__V1__HealthCheckRequest req =
	    HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	hedui_call_opts co = {.deadline_ms = 5000, .idempotent = true};
	ProtobufCMessage *resp = NULL;
	hedui_status st;
	hedui_code code = hedui_client_call(c, HEALTH, &req.base,
	    &hedui__v1__health_check_response__descriptor, &resp, &co, &st);
	assert_int_equal(code, HEDUI_CODE_OK);
	assert_non_null(resp);
	assert_int_equal(((Hedui__V1__HealthCheckResponse *)resp)->status,
	    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	protobuf_c_message_free_unpacked(resp, NULL);

	/* The raw form: the same call, bytes in and out. */
	uint8_t *reply = NULL;
	size_t reply_len = 0;
	code = hedui_client_call_raw(
	    c, HEALTH, NULL, 0, &reply, &reply_len, &co, &st);
	assert_int_equal(code, HEDUI_CODE_OK);
	Hedui__V1__HealthCheckResponse *h =
	    hedui__v1__health_check_response__unpack(NULL, reply_len, reply);
	assert_non_null(h);
	hedui__v1__health_check_response__free_unpacked(h, NULL);
	free(reply);
	hedui_client_free(c);
}

typedef struct waiter {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	bool done;
	hedui_code code;
	bool response;
	pthread_t thread;
} waiter;

static void on_done(hedui_code code, const hedui_status *st,
    ProtobufCMessage *response, void *arg)
{
	(void)st;
	waiter *w = arg;
	pthread_mutex_lock(&w->mtx);
	w->code = code;
	w->response = response != NULL;
	w->thread = pthread_self();
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mtx);
	if (response != NULL)
		protobuf_c_message_free_unpacked(response, NULL);
}

/* docs/API.md: the callback runs once, on one of nng's threads. */
static void async_call_calls_back_elsewhere(void **state)
{
	(void)state;
	hedui_client *c = public_client(port);
	assert_non_null(c);
	waiter w = {
	    .mtx = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	Hedui__V1__HealthCheckRequest req =
	    HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	hedui_call_opts co = {.deadline_ms = 5000};
	assert_int_equal(hedui_client_call_async(c, HEALTH, &req.base,
	                     &hedui__v1__health_check_response__descriptor,
	                     &co, on_done, &w),
	    HEDUI_OK);
	pthread_mutex_lock(&w.mtx);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mtx);
	pthread_mutex_unlock(&w.mtx);
	assert_int_equal(w.code, HEDUI_CODE_OK);
	assert_true(w.response);
	assert_false(pthread_equal(w.thread, pthread_self()));
	hedui_client_free(c);
}

static void local_failure_status(void **state)
{
	(void)state;
	assert_null(hedui_client_alloc(NULL));
	hedui_client *c = public_client(tport_free());
	assert_non_null(c);
	Hedui__V1__HealthCheckRequest req =
	    HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	hedui_call_opts co = {.deadline_ms = 300};
	ProtobufCMessage *resp = (ProtobufCMessage *)&req;
	hedui_status st;
	hedui_code code = hedui_client_call(c, HEALTH, &req.base,
	    &hedui__v1__health_check_response__descriptor, &resp, &co, &st);
	assert_true(code == HEDUI_CODE_UNAVAILABLE ||
	            code == HEDUI_CODE_DEADLINE_EXCEEDED);
	assert_int_equal(st.code, code);
	assert_true(st.local);
	assert_null(resp);
	hedui_client_free(c);
}

static void peer_of(const char *path, rpc_peer *out)
{
	FILE *f = fopen(path, "r");
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

static void agency_signature_accepted(void **state)
{
	(void)state;
	char err[256] = "";
	assert_null(hedui_agency_signer_load(tcert("agency-330106.crt"),
	    tcert("no-such.key"), err, sizeof err));
	assert_true(err[0] != '\0');
	hedui_agency_signer *s = hedui_agency_signer_load(
	    tcert("agency-330106.crt"), tcert("agency-330106.key"), NULL, 0);
	assert_non_null(s);

	static const uint8_t body[] = "household";
	int64_t now = hedui_agency_now_ms();
	hedui_agency_auth a = {0};
	/* Refused: auth untouched. */
	assert_int_equal(hedui_agency_signer_sign(s, VERIFY, "r-1",
	                     "bad operator", body, sizeof body - 1, now, &a),
	    HEDUI_EINVAL);
	assert_null(a.signature);
	assert_int_equal(hedui_agency_signer_sign(s, VERIFY, "r-1",
	                     "officer-7", body, sizeof body - 1, now, &a),
	    HEDUI_OK);
	assert_non_null(a.certificate);
	assert_true(a.signature_len > 0);
	assert_int_equal(a.timestamp_ms, now);

	/* As an integrator does: into the generated struct, then heduid's
	 * own check. */
	Hedui__V1__AgencyAuth wire = HEDUI__V1__AGENCY_AUTH__INIT;
	wire.certificate.data = (uint8_t *)a.certificate;
	wire.certificate.len = a.certificate_len;
	wire.timestamp_ms = a.timestamp_ms;
	wire.signature.data = a.signature;
	wire.signature.len = a.signature_len;
	agency_auth *check = agency_auth_alloc(
	    tcert("ca.crt"), tcert("ca.crl"), err, sizeof err);
	assert_non_null(check);
	rpc_peer peer;
	peer_of(tcert("agency-330106.crt"), &peer);
	agency_request req = {.auth = &wire,
	    .peer = &peer,
	    .method = VERIFY,
	    .request_id = "r-1",
	    .operator_id = "officer-7",
	    .body = body,
	    .body_len = sizeof body - 1};
	agency_identity who;
	char why[256] = "";
	assert_int_equal(
	    agency_auth_check(check, &req, now, &who, why, sizeof why),
	    HEDUI_CODE_OK);
	agency_auth_free(check);

	hedui_agency_auth_release(&a);
	assert_null(a.signature);
	assert_int_equal(a.signature_len, 0);
	hedui_agency_auth_release(&a); /* twice: accepted */
	hedui_agency_signer_free(s);
	hedui_agency_signer_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(names_are_the_trees),
	    cmocka_unit_test(sync_call),
	    cmocka_unit_test(async_call_calls_back_elsewhere),
	    cmocka_unit_test(local_failure_status),
	    cmocka_unit_test(agency_signature_accepted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
