/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rpc_envelope.h"

static void keys_are_lower_case_tokens(void **state)
{
	(void)state;
	assert_true(rpc_envelope_key_ok("operator-id"));
	assert_true(rpc_envelope_key_ok("trace_id.v2"));
	assert_false(rpc_envelope_key_ok("Operator-Id"));
	assert_false(rpc_envelope_key_ok("has space"));
	assert_false(rpc_envelope_key_ok(""));
	assert_false(rpc_envelope_key_ok(NULL));
	char longkey[66];
	memset(longkey, 'a', 65);
	longkey[65] = '\0';
	assert_false(rpc_envelope_key_ok(longkey));
	longkey[64] = '\0';
	assert_true(rpc_envelope_key_ok(longkey));
}

static void request_checks(void **state)
{
	(void)state;
	char why[160];
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	Hedui__V1__Metadata md = HEDUI__V1__METADATA__INIT;
	Hedui__V1__Metadata *mdp[1] = {&md};
	env.method = "";
	assert_false(rpc_envelope_request_ok(&env, why, sizeof why));
	assert_non_null(strstr(why, "method"));
	env.method = "hedui.v1.Health/Check";
	assert_true(rpc_envelope_request_ok(&env, why, sizeof why));
	md.key = "Bad Key";
	md.value = "v";
	env.metadata = mdp;
	env.n_metadata = 1;
	assert_false(rpc_envelope_request_ok(&env, why, sizeof why));
	assert_non_null(strstr(why, "metadata key 0"));
	md.key = "ok";
	assert_true(rpc_envelope_request_ok(&env, why, sizeof why));
	char rid[70];
	memset(rid, 'r', 65);
	rid[65] = '\0';
	env.request_id = rid;
	assert_false(rpc_envelope_request_ok(&env, why, sizeof why));
}

static void deadlines(void **state)
{
	(void)state;
	bool expired;
	Hedui__V1__Timeout t = HEDUI__V1__TIMEOUT__INIT;
	/* No timeout: the server's maximum. */
	assert_int_equal(
	    rpc_envelope_deadline(1000, NULL, 30000, &expired), 31000);
	assert_false(expired);
	/* Shorter than the maximum: kept. */
	t.ms = 250;
	assert_int_equal(
	    rpc_envelope_deadline(1000, &t, 30000, &expired), 1250);
	assert_false(expired);
	/* Longer: cut to the maximum. */
	t.ms = 90000;
	assert_int_equal(
	    rpc_envelope_deadline(1000, &t, 30000, &expired), 31000);
	/* Present and zero: already past. */
	t.ms = 0;
	rpc_envelope_deadline(1000, &t, 30000, &expired);
	assert_true(expired);
	t.ms = 1;
	assert_int_equal(
	    rpc_envelope_deadline(1000, &t, 30000, &expired), 1001);
	assert_false(expired);
}

static void reply_round_trip(void **state)
{
	(void)state;
	const uint8_t payload[] = {1, 2, 3, 0, 255};
	nng_msg *m = rpc_envelope_reply(
	    "rid-1", RPC_NOT_FOUND, "no such report", payload, sizeof payload);
	assert_non_null(m);
	Hedui__V1__RpcReply *r = hedui__v1__rpc_reply__unpack(
	    NULL, nng_msg_len(m), nng_msg_body(m));
	assert_non_null(r);
	assert_string_equal(r->request_id, "rid-1");
	rpc_status st;
	assert_int_equal(rpc_envelope_reply_status(r, &st), RPC_NOT_FOUND);
	assert_string_equal(st.message, "no such report");
	assert_false(st.local);
	assert_int_equal(r->payload.len, sizeof payload);
	assert_memory_equal(r->payload.data, payload, sizeof payload);
	hedui__v1__rpc_reply__free_unpacked(r, NULL);
	nng_msg_free(m);
}

static void reply_status_edge_cases(void **state)
{
	(void)state;
	rpc_status st;
	Hedui__V1__RpcReply r = HEDUI__V1__RPC_REPLY__INIT;
	/* No status: OK (proto3 default). */
	assert_int_equal(rpc_envelope_reply_status(&r, &st), RPC_OK);
	/* A code beyond gRPC's 17: UNKNOWN, message kept. */
	Hedui__V1__Status s = HEDUI__V1__STATUS__INIT;
	s.code = (Hedui__V1__StatusCode)42;
	s.message = "odd";
	r.status = &s;
	assert_int_equal(rpc_envelope_reply_status(&r, &st), RPC_UNKNOWN);
	assert_string_equal(st.message, "odd");
}

static void garbage_does_not_decode(void **state)
{
	(void)state;
	const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99};
	assert_null(hedui__v1__rpc_request__unpack(NULL, sizeof junk, junk));
	/* A length-delimited field running past the end. */
	const uint8_t trunc[] = {0x0a, 0x10, 'h', 'e'};
	assert_null(hedui__v1__rpc_request__unpack(NULL, sizeof trunc, trunc));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(keys_are_lower_case_tokens),
	    cmocka_unit_test(request_checks),
	    cmocka_unit_test(deadlines),
	    cmocka_unit_test(reply_round_trip),
	    cmocka_unit_test(reply_status_edge_cases),
	    cmocka_unit_test(garbage_does_not_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
