/* SPDX-License-Identifier: MIT */
/*
 * The RPC foundation against a real heduid on loopback over mutual TLS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/rpc.pb-c.h"
#include "rpc_client.h"
#include "tsupport.h"

#define MAX_INFLIGHT 4
#define RECV_MAX 65536

static tproc *heduid;
static int port;
static rpc_client *client;

static int setup(void **state)
{
	(void)state;
	static const char *const extra[] = {"--debug-service",
	    "--max-inflight", "4", "--recv-max-bytes", "65536", NULL};
	heduid = theduid_start(&port, extra);
	if (heduid == NULL)
		return -1;
	client = tclient(port, "agency-330106");
	return client == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	rpc_client_free(client);
	/* A clean SIGTERM shutdown is part of the contract. */
	int st = tproc_stop(heduid);
	return st == 0 ? 0 : -1;
}

static void assert_still_serving(void)
{
	int serving;
	assert_int_equal(thealth(client, 3000, &serving), RPC_OK);
	assert_int_equal(serving,
	    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}

static rpc_code echo(rpc_client *c, const char *method, uint32_t sleep_ms,
    size_t size, uint32_t deadline_ms, rpc_status *st)
{
	Hedui__V1__EchoRequest req = HEDUI__V1__ECHO_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	req.sleep_ms = sleep_ms;
	uint8_t *data = calloc(1, size + 1);
	req.data.data = data;
	req.data.len = size;
	rpc_call_opts o = {.deadline_ms = deadline_ms};
	rpc_code code = rpc_client_call(c, method, &req.base,
	    &hedui__v1__echo_response__descriptor, &resp, &o, st);
	if (resp != NULL) {
		assert_int_equal(
		    ((Hedui__V1__EchoResponse *)resp)->data.len, size);
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	free(data);
	return code;
}

static void health_serving(void **state)
{
	(void)state;
	assert_still_serving();
	/* Named services, like grpc.health.v1. */
	Hedui__V1__HealthCheckRequest req =
	    HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *resp;
	rpc_status st;
	rpc_call_opts o = {.deadline_ms = 3000};
	req.service = "hedui.v1.Debug";
	assert_int_equal(
	    rpc_client_call(client, "hedui.v1.Health/Check", &req.base,
	        &hedui__v1__health_check_response__descriptor, &resp, &o, &st),
	    RPC_OK);
	assert_int_equal(((Hedui__V1__HealthCheckResponse *)resp)->status,
	    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	protobuf_c_message_free_unpacked(resp, NULL);
	req.service = "no.such.Service";
	assert_int_equal(
	    rpc_client_call(client, "hedui.v1.Health/Check", &req.base,
	        &hedui__v1__health_check_response__descriptor, &resp, &o, &st),
	    RPC_OK);
	assert_int_equal(((Hedui__V1__HealthCheckResponse *)resp)->status,
	    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN);
	protobuf_c_message_free_unpacked(resp, NULL);
}

static void methods_listed(void **state)
{
	(void)state;
	Hedui__V1__ListMethodsRequest req =
	    HEDUI__V1__LIST_METHODS_REQUEST__INIT;
	ProtobufCMessage *resp;
	rpc_status st;
	rpc_call_opts o = {.deadline_ms = 3000};
	assert_int_equal(
	    rpc_client_call(client, "hedui.v1.Reflection/ListMethods",
	        &req.base, &hedui__v1__list_methods_response__descriptor,
	        &resp, &o, &st),
	    RPC_OK);
	Hedui__V1__ListMethodsResponse *r =
	    (Hedui__V1__ListMethodsResponse *)resp;
	bool health = false, echo_m = false;
	for (size_t i = 0; i < r->n_methods; i++) {
		health |= strcmp(r->methods[i], "hedui.v1.Health/Check") == 0;
		echo_m |= strcmp(r->methods[i], "hedui.v1.Debug/Echo") == 0;
	}
	assert_true(health);
	assert_true(echo_m);
	protobuf_c_message_free_unpacked(resp, NULL);
}

static void unknown_method_and_service(void **state)
{
	(void)state;
	rpc_status st;
	assert_int_equal(echo(client, "hedui.v1.Health/Nope", 0, 1, 3000, &st),
	    RPC_UNIMPLEMENTED);
	assert_false(st.local);
	assert_int_equal(echo(client, "no.such.Service/Echo", 0, 1, 3000, &st),
	    RPC_UNIMPLEMENTED);
	assert_non_null(strstr(st.message, "unknown method"));
	/* gRPC's path spelling with a leading slash also works. */
	assert_int_equal(
	    echo(client, "/hedui.v1.Debug/Echo", 0, 1, 3000, &st), RPC_OK);
}

static rpc_code raw_status(const void *bytes, size_t len, const char *who)
{
	uint8_t *reply;
	size_t rlen;
	int rv = traw_call(port, who, bytes, len, 3000, &reply, &rlen);
	assert_int_equal(rv, 0);
	Hedui__V1__RpcReply *r =
	    hedui__v1__rpc_reply__unpack(NULL, rlen, reply);
	assert_non_null(r);
	rpc_code code = r->status != NULL ? (rpc_code)r->status->code : RPC_OK;
	hedui__v1__rpc_reply__free_unpacked(r, NULL);
	free(reply);
	return code;
}

static void garbage_is_invalid_argument(void **state)
{
	(void)state;
	const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02};
	assert_int_equal(raw_status(junk, sizeof junk, "agency-330106"),
	    RPC_INVALID_ARGUMENT);
	assert_int_equal(raw_status("", 0, "agency-330106"),
	    RPC_INVALID_ARGUMENT); /* empty: no method */
	assert_still_serving();
}

static void wrong_payload_is_invalid_argument(void **state)
{
	(void)state;
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	const uint8_t notmsg[] = {0x0a, 0x50, 'x'}; /* field 1 runs past end */
	env.method = "hedui.v1.Health/Check";
	env.request_id = "r1";
	env.payload.data = (uint8_t *)notmsg;
	env.payload.len = sizeof notmsg;
	uint8_t buf[256];
	size_t len = hedui__v1__rpc_request__pack(&env, buf);
	assert_int_equal(
	    raw_status(buf, len, "agency-330106"), RPC_INVALID_ARGUMENT);
	/* Bad metadata key. */
	Hedui__V1__Metadata md = HEDUI__V1__METADATA__INIT;
	Hedui__V1__Metadata *mdp[1] = {&md};
	md.key = "Upper";
	md.value = "v";
	env.payload.len = 0;
	env.metadata = mdp;
	env.n_metadata = 1;
	len = hedui__v1__rpc_request__pack(&env, buf);
	assert_int_equal(
	    raw_status(buf, len, "agency-330106"), RPC_INVALID_ARGUMENT);
	assert_still_serving();
}

static void zero_timeout_already_expired(void **state)
{
	(void)state;
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	Hedui__V1__Timeout t = HEDUI__V1__TIMEOUT__INIT;
	env.method = "hedui.v1.Health/Check";
	env.request_id = "r2";
	env.timeout = &t;
	uint8_t buf[256];
	size_t len = hedui__v1__rpc_request__pack(&env, buf);
	assert_int_equal(
	    raw_status(buf, len, "agency-330106"), RPC_DEADLINE_EXCEEDED);
}

static void oversize_refused_server_survives(void **state)
{
	(void)state;
	rpc_status st;
	/* Our client refuses to send past its own limit... */
	assert_int_equal(
	    echo(client, "hedui.v1.Debug/Echo", 0, 5 << 20, 3000, &st),
	    RPC_RESOURCE_EXHAUSTED);
	assert_true(st.local);
	/* ...and a frame over the server's limit costs the sender its
	 * connection as soon as its length is read, nobody else anything.
	 * (Sent with OpenSSL: nng 1.5.2's client can hang closing such a
	 * connection, see traw_tls.c.) */
	assert_int_equal(traw_oversize(port, "agency-330106", RECV_MAX + 1,
	                     RECV_MAX + 1, 3000),
	    0);
	assert_int_equal(
	    traw_oversize(port, "agency-330106", RECV_MAX * 64, 0, 3000), 0);
	/* The control: a frame within the limit keeps the connection open
	 * while the server waits for the rest of it. */
	assert_int_equal(
	    traw_oversize(port, "agency-330106", RECV_MAX - 512, 0, 500), 1);
	assert_still_serving();
	/* Just under the limit is fine. */
	assert_int_equal(
	    echo(client, "hedui.v1.Debug/Echo", 0, RECV_MAX - 512, 3000, &st),
	    RPC_OK);
}

static void deadline_on_slow_method(void **state)
{
	(void)state;
	rpc_status st;
	uint64_t t0 = tnow_ms();
	assert_int_equal(echo(client, "hedui.v1.Debug/Echo", 500, 1, 1, &st),
	    RPC_DEADLINE_EXCEEDED);
	assert_true(tnow_ms() - t0 < 400);
	/* The server's own deadline: the raw client waits 3 s, the request
	 * says 100 ms, the handler sleeps 1 s. */
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	Hedui__V1__Timeout t = HEDUI__V1__TIMEOUT__INIT;
	Hedui__V1__EchoRequest er = HEDUI__V1__ECHO_REQUEST__INIT;
	uint8_t payload[32], buf[256];
	er.sleep_ms = 1000;
	env.method = "hedui.v1.Debug/Echo";
	env.request_id = "slow";
	t.ms = 100;
	env.timeout = &t;
	env.payload.data = payload;
	env.payload.len = hedui__v1__echo_request__pack(&er, payload);
	size_t len = hedui__v1__rpc_request__pack(&env, buf);
	t0 = tnow_ms();
	assert_int_equal(
	    raw_status(buf, len, "agency-330106"), RPC_DEADLINE_EXCEEDED);
	uint64_t took = tnow_ms() - t0;
	assert_true(took >= 90 && took < 800);
	/* The context is recycled once the handler lets go. */
	usleep(1100 * 1000);
	assert_still_serving();
}

typedef struct tally {
	pthread_mutex_t mu;
	int ok, exhausted, other, done;
	uint64_t exhausted_max_ms, t0;
} tally;

static void tally_done(
    rpc_code code, const rpc_status *st, ProtobufCMessage *resp, void *arg)
{
	(void)st;
	tally *t = arg;
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	pthread_mutex_lock(&t->mu);
	if (code == RPC_OK)
		t->ok++;
	else if (code == RPC_RESOURCE_EXHAUSTED) {
		t->exhausted++;
		uint64_t took = tnow_ms() - t->t0;
		if (took > t->exhausted_max_ms)
			t->exhausted_max_ms = took;
	} else
		t->other++;
	t->done++;
	pthread_mutex_unlock(&t->mu);
}

static void inflight_bound(void **state)
{
	(void)state;
	enum { N = 12 };
	tally t = {.mu = PTHREAD_MUTEX_INITIALIZER, .t0 = tnow_ms()};
	Hedui__V1__EchoRequest req = HEDUI__V1__ECHO_REQUEST__INIT;
	req.sleep_ms = 600;
	rpc_call_opts o = {.deadline_ms = 5000};
	for (int i = 0; i < N; i++)
		assert_int_equal(
		    rpc_client_call_async(client, "hedui.v1.Debug/Echo",
		        &req.base, &hedui__v1__echo_response__descriptor, &o,
		        tally_done, &t),
		    HD_OK);
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&t.mu);
		int done = t.done;
		pthread_mutex_unlock(&t.mu);
		if (done == N)
			break;
		usleep(10000);
	}
	assert_int_equal(t.done, N);
	assert_int_equal(t.ok, MAX_INFLIGHT);
	assert_int_equal(t.exhausted, N - MAX_INFLIGHT);
	assert_int_equal(t.other, 0);
	/* Refusals are immediate, not queued behind the slow ones. */
	assert_true(t.exhausted_max_ms < 400);
	assert_still_serving();
}

static void metadata_echoed(void **state)
{
	(void)state;
	Hedui__V1__EchoRequest req = HEDUI__V1__ECHO_REQUEST__INIT;
	ProtobufCMessage *resp;
	rpc_status st;
	rpc_metadata md[2] = {
	    {"operator-id", "officer-7"}, {"trace-id", "t1"}};
	rpc_call_opts o = {
	    .deadline_ms = 3000, .metadata = md, .metadata_count = 2};
	assert_int_equal(
	    rpc_client_call(client, "hedui.v1.Debug/Echo", &req.base,
	        &hedui__v1__echo_response__descriptor, &resp, &o, &st),
	    RPC_OK);
	Hedui__V1__EchoResponse *r = (Hedui__V1__EchoResponse *)resp;
	assert_int_equal(r->n_metadata, 2);
	assert_string_equal(r->metadata[0]->key, "operator-id");
	assert_string_equal(r->metadata[0]->value, "officer-7");
	protobuf_c_message_free_unpacked(resp, NULL);
	/* Status code and message round trip. */
	req.fail_code = RPC_FAILED_PRECONDITION;
	req.fail_message = "precondition text";
	assert_int_equal(
	    rpc_client_call(client, "hedui.v1.Debug/Echo", &req.base,
	        &hedui__v1__echo_response__descriptor, &resp, &o, &st),
	    RPC_FAILED_PRECONDITION);
	assert_null(resp);
	assert_string_equal(st.message, "precondition text");
}

/* A client whose identity the server must refuse cannot get an answer. */
static void assert_refused(const char *identity)
{
	if (identity != NULL) {
		rpc_client *c = tclient(port, identity);
		assert_non_null(c);
		int serving;
		rpc_code code = thealth(c, 1500, &serving);
		assert_int_not_equal(code, RPC_OK);
		assert_true(
		    code == RPC_UNAVAILABLE || code == RPC_DEADLINE_EXCEEDED);
		rpc_client_free(c);
	} else {
		Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
		uint8_t buf[64], *reply;
		size_t rlen;
		env.method = "hedui.v1.Health/Check";
		size_t len = hedui__v1__rpc_request__pack(&env, buf);
		assert_int_not_equal(
		    traw_call(port, NULL, buf, len, 1500, &reply, &rlen), 0);
	}
}

static void mutual_tls_refusals(void **state)
{
	(void)state;
	assert_refused(NULL);               /* no client certificate */
	assert_refused("expired-client");   /* expired */
	assert_refused("rogue-client");     /* another CA */
	assert_refused("wrong-eku-client"); /* not for client auth */
	assert_still_serving();
	/* The second example agency is accepted. */
	rpc_client *c = tclient(port, "agency-1101");
	int serving;
	assert_int_equal(thealth(c, 3000, &serving), RPC_OK);
	rpc_client_free(c);
}

static void unreachable_is_unavailable(void **state)
{
	(void)state;
	rpc_client *c = tclient(tport_free(), "agency-330106");
	assert_non_null(c);
	int serving;
	uint64_t t0 = tnow_ms();
	rpc_status st;
	Hedui__V1__HealthCheckRequest req =
	    HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *resp;
	rpc_call_opts o = {.deadline_ms = 10000};
	assert_int_equal(
	    rpc_client_call(c, "hedui.v1.Health/Check", &req.base,
	        &hedui__v1__health_check_response__descriptor, &resp, &o, &st),
	    RPC_UNAVAILABLE);
	assert_true(st.local);
	assert_true(tnow_ms() - t0 < 5000); /* not the whole deadline */
	(void)serving;
	rpc_client_free(c);
}

/* An Echo the server answers by closing the connection (drop: 1 the
 * first time, 2 always); idempotent or not. */
static rpc_code echo_dropped(
    uint32_t drop, bool idempotent, const char *rid, rpc_status *st)
{
	Hedui__V1__EchoRequest req = HEDUI__V1__ECHO_REQUEST__INIT;
	req.drop_connection = drop;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts o = {
	    .deadline_ms = 5000, .request_id = rid, .idempotent = idempotent};
	rpc_code code = rpc_client_call(client, "hedui.v1.Debug/Echo",
	    &req.base, &hedui__v1__echo_response__descriptor, &resp, &o, st);
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	return code;
}

/* A connection lost after the request went out: an idempotent call (a
 * source lookup) is asked once more on the next connection and answered;
 * any other call reports the loss; and a server that drops every time is
 * not asked for ever. */
static void idempotent_call_survives_a_lost_connection(void **state)
{
	(void)state;
	rpc_status st;
	assert_int_equal(echo_dropped(1, true, "drop-once-1", &st), RPC_OK);
	assert_int_equal(
	    echo_dropped(1, false, "drop-once-2", &st), RPC_UNAVAILABLE);
	uint64_t t0 = tnow_ms();
	assert_int_equal(
	    echo_dropped(2, true, "drop-always-1", &st), RPC_UNAVAILABLE);
	assert_true(tnow_ms() - t0 < 4000);
	assert_still_serving();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(health_serving),
	    cmocka_unit_test(methods_listed),
	    cmocka_unit_test(unknown_method_and_service),
	    cmocka_unit_test(garbage_is_invalid_argument),
	    cmocka_unit_test(wrong_payload_is_invalid_argument),
	    cmocka_unit_test(zero_timeout_already_expired),
	    cmocka_unit_test(oversize_refused_server_survives),
	    cmocka_unit_test(deadline_on_slow_method),
	    cmocka_unit_test(inflight_bound),
	    cmocka_unit_test(metadata_echoed),
	    cmocka_unit_test(mutual_tls_refusals),
	    cmocka_unit_test(unreachable_is_unavailable),
	    cmocka_unit_test(idempotent_call_survives_a_lost_connection),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
