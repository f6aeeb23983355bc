/* SPDX-License-Identifier: MIT */
/*
 * Hostile input against a real heduid: malformed envelopes, huge fields,
 * wrong payload types, every ID-number defect, over-size messages, and
 * connections that never finish their handshake. After each, the service
 * must still answer a normal request correctly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agency_sig.h"
#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/rpc.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "rpc_client.h"
#include "tconsent.h"
#include "tsupport.h"
#include "tverify.h"

#define METHOD "hedui.v1.Verifier/VerifyHousehold"

static tproc *heduid;
static int port;
static rpc_client *client;

static int setup(void **state)
{
	(void)state;
	/* No sources configured: verifications that pass validation end in
	 * needs_review, which is all these tests need. */
	static const char *const extra[] = {"--debug-service", NULL};
	heduid = theduid_start(&port, extra);
	/* The one valid member of every_id_defect consented. */
	static const char *const member[] = {"11010519491231002X"};
	if (heduid == NULL || !tconsent_cover(port, "agency-330106", "SQ-1",
	                          "330106", member, 1))
		return -1;
	client = tclient(port, "agency-330106");
	return client == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	rpc_client_free(client);
	return tproc_stop(heduid) == 0 ? 0 : -1;
}

static void assert_serving(void)
{
	int serving;
	assert_int_equal(thealth(client, 5000, &serving), RPC_OK);
	assert_int_equal(serving,
	    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}

/* Sends raw bytes; returns the status code of the reply, or -1 when there
 * was none (connection dropped or no answer in time). */
static int raw_code(const void *bytes, size_t len)
{
	uint8_t *reply;
	size_t rlen;
	if (traw_call(
	        port, "agency-330106", bytes, len, 3000, &reply, &rlen) != 0)
		return -1;
	Hedui__V1__RpcReply *r =
	    hedui__v1__rpc_reply__unpack(NULL, rlen, reply);
	free(reply);
	/* Every reply the server sends must itself decode. */
	assert_non_null(r);
	int code = r->status != NULL ? (int)r->status->code : 0;
	hedui__v1__rpc_reply__free_unpacked(r, NULL);
	return code;
}

static size_t echo_envelope(uint8_t *buf)
{
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	Hedui__V1__EchoRequest er = HEDUI__V1__ECHO_REQUEST__INIT;
	Hedui__V1__Metadata md = HEDUI__V1__METADATA__INIT;
	Hedui__V1__Metadata *mdp[1] = {&md};
	Hedui__V1__Timeout t = HEDUI__V1__TIMEOUT__INIT;
	uint8_t payload[64];
	er.data.data = (uint8_t *)"hello";
	er.data.len = 5;
	md.key = "trace-id";
	md.value = "abc";
	t.ms = 2000;
	env.method = "hedui.v1.Debug/Echo";
	env.request_id = "hostile-1";
	env.timeout = &t;
	env.metadata = mdp;
	env.n_metadata = 1;
	env.payload.data = payload;
	env.payload.len = hedui__v1__echo_request__pack(&er, payload);
	return hedui__v1__rpc_request__pack(&env, buf);
}

static void truncated_envelopes(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t len = echo_envelope(buf);
	assert_int_equal(raw_code(buf, len), RPC_OK);
	int answered = 0;
	for (size_t cut = 0; cut < len; cut++) {
		int code = raw_code(buf, cut);
		/* A prefix may still decode (it ends on a field boundary);
		 * whatever it is, it gets an answer. */
		assert_int_not_equal(code, -1);
		answered++;
	}
	assert_int_equal(answered, (int)len);
	assert_serving();
}

static void bit_flipped_envelopes(void **state)
{
	(void)state;
	uint8_t buf[256], flipped[256];
	size_t len = echo_envelope(buf);
	int rejected = 0;
	for (size_t bit = 0; bit < len * 8; bit += 3) {
		memcpy(flipped, buf, len);
		flipped[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		int code = raw_code(flipped, len);
		assert_int_not_equal(code, -1);
		rejected += code != RPC_OK;
	}
	assert_true(rejected > 0);
	assert_serving();
}

static void huge_repeated_fields(void **state)
{
	(void)state;
	/* 50,000 metadata entries in well under the 1 MiB limit. */
	enum { N = 50000 };
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	Hedui__V1__Metadata *mds = calloc(N, sizeof *mds);
	Hedui__V1__Metadata **mdp = calloc(N, sizeof *mdp);
	for (int i = 0; i < N; i++) {
		hedui__v1__metadata__init(&mds[i]);
		mds[i].key = "k";
		mds[i].value = "";
		mdp[i] = &mds[i];
	}
	env.method = "hedui.v1.Health/Check";
	env.metadata = mdp;
	env.n_metadata = N;
	size_t len = hedui__v1__rpc_request__get_packed_size(&env);
	uint8_t *buf = malloc(len);
	hedui__v1__rpc_request__pack(&env, buf);
	assert_true(len < 1024 * 1024);
	assert_int_equal(raw_code(buf, len), RPC_INVALID_ARGUMENT);
	free(buf);
	free(mdp);
	free(mds);

	/* A household of 5,000 members inside a VerifyHousehold request. */
	Hedui__V1__Household hh = HEDUI__V1__HOUSEHOLD__INIT;
	enum { M = 5000 };
	Hedui__V1__Member *ms = calloc(M, sizeof *ms);
	Hedui__V1__Member **mp = calloc(M, sizeof *mp);
	for (int i = 0; i < M; i++) {
		hedui__v1__member__init(&ms[i]);
		ms[i].id_number = "11010519491231002X";
		mp[i] = &ms[i];
	}
	hh.members = mp;
	hh.n_members = M;
	Hedui__V1__VerifyHouseholdRequest req =
	    HEDUI__V1__VERIFY_HOUSEHOLD_REQUEST__INIT;
	req.household.len = hedui__v1__household__get_packed_size(&hh);
	req.household.data = malloc(req.household.len);
	hedui__v1__household__pack(&hh, req.household.data);
	ProtobufCMessage *resp;
	rpc_status st;
	rpc_call_opts o = {.deadline_ms = 5000};
	/* Unsigned, so authentication refuses it before anything else. */
	assert_int_equal(rpc_client_call(client, METHOD, &req.base,
	                     &hedui__v1__verify_household_response__descriptor,
	                     &resp, &o, &st),
	    RPC_UNAUTHENTICATED);
	free(req.household.data);
	free(mp);
	free(ms);
	assert_serving();
}

static void wrong_payload_types(void **state)
{
	(void)state;
	/* An EchoRequest where a VerifyHouseholdRequest belongs, and a
	 * Household where a HealthCheckRequest belongs: protobuf may decode
	 * them, the service must still refuse cleanly. */
	Hedui__V1__EchoRequest er = HEDUI__V1__ECHO_REQUEST__INIT;
	er.data.data = (uint8_t *)"\x0a\x03\x66\x6f\x6f";
	er.data.len = 5;
	er.sleep_ms = 7;
	ProtobufCMessage *resp;
	rpc_status st;
	rpc_call_opts o = {.deadline_ms = 5000};
	rpc_code code = rpc_client_call(client, METHOD, &er.base,
	    &hedui__v1__verify_household_response__descriptor, &resp, &o, &st);
	assert_true(
	    code == RPC_INVALID_ARGUMENT || code == RPC_UNAUTHENTICATED);
	Hedui__V1__Household hh = HEDUI__V1__HOUSEHOLD__INIT;
	hh.case_id = "x";
	code = rpc_client_call(client, "hedui.v1.Health/Check", &hh.base,
	    &hedui__v1__health_check_response__descriptor, &resp, &o, &st);
	/* Field 1 of both is a string: this decodes as a health check of a
	 * service named "x", which is unknown. */
	assert_int_equal(code, RPC_OK);
	assert_int_equal(((Hedui__V1__HealthCheckResponse *)resp)->status,
	    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN);
	protobuf_c_message_free_unpacked(resp, NULL);
	assert_serving();
}

/* A signed verification of a one-member household with this ID. */
static rpc_code verify_id(const char *id, rpc_status *st)
{
	Hedui__V1__Household hh = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member m = HEDUI__V1__MEMBER__INIT;
	Hedui__V1__Member *mp[1] = {&m};
	hh.case_id = "330106-2026-999";
	hh.region_code = "330106";
	hh.area = "urban";
	hh.program = "dibao";
	hh.as_of = "2026-11-01";
	hh.members = mp;
	hh.n_members = 1;
	m.id_number = (char *)id;
	m.relation = "applicant";
	m.consent_ref = "SQ-1";
	uint8_t body[1024];
	size_t len = hedui__v1__household__pack(&hh, body);
	static unsigned seq;
	char rid[32];
	snprintf(rid, sizeof rid, "hostile-%u-%u", (unsigned)getpid(), ++seq);
	char err[128];
	agency_signer *s = agency_signer_load(tcert("agency-330106.crt"),
	    tcert("agency-330106.key"), err, sizeof err);
	assert_non_null(s);
	rpc_call_opts o = {.deadline_ms = 5000, .request_id = rid};
	rpc_code code = tverify_signed(client, s, body, len, &o, NULL, st);
	assert_int_not_equal(code, RPC_INTERNAL);
	agency_signer_free(s);
	return code;
}

static void every_id_defect(void **state)
{
	(void)state;
	char good[IDNUM_LEN + 1] = "11010519491231002X";
	char future[IDNUM_LEN + 1] = "11010520270101001";
	future[17] = idnum_check_char(future);
	future[18] = '\0';
	char baddate[IDNUM_LEN + 1] = "11010519490231001";
	baddate[17] = idnum_check_char(baddate);
	baddate[18] = '\0';
	static const char fullwidth[] = "\xef\xbc\x91\xef\xbc\x91"
	                                "0105194912310021"; /* １１... */
	const struct {
		const char *id, *what;
	} bad[] = {
	    {"110105194912310021", "wrong check character"},
	    {"110105491231002", "15-digit legacy number"},
	    {"11010519491231002", "17 characters"},
	    {"11010519491231002X1", "19 characters"},
	    {baddate, "impossible date"},
	    {future, "birth date after as_of"},
	    {fullwidth, "full-width digits"},
	    {"1101051949123100 X", "space"},
	    {"", "empty"},
	};
	rpc_status st;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rpc_code code = verify_id(bad[i].id, &st);
		if (code != RPC_INVALID_ARGUMENT)
			fail_msg(
			    "%s: got %s", bad[i].what, rpc_code_name(code));
		assert_non_null(strstr(st.message, "members[0].id_number"));
	}
	/* The legacy form is told to use the 18-digit one. */
	verify_id("110105491231002", &st);
	assert_non_null(strstr(st.message, "18-digit"));
	/* Lower-case x is accepted and normalised. */
	good[17] = 'x';
	assert_int_equal(verify_id(good, &st), RPC_OK);
	assert_serving();
}

static void oversized_message(void **state)
{
	(void)state;
	/* Over the default limit: the connection is dropped on the length
	 * alone (OpenSSL client, see traw_tls.c for why not nng's). */
	size_t len = 2 * 1024 * 1024;
	assert_int_equal(
	    traw_oversize(port, "agency-330106", len, len, 5000), 0);
	assert_serving();
}

static void stalled_connections(void **state)
{
	(void)state;
	enum { N = 150 };
	int socks[2 * N];
	int n = 0;
	/* Connections that never say anything... */
	for (int i = 0; i < N; i++)
		if ((socks[n] = ttcp_connect(port, 0)) >= 0)
			n++;
	/* ...and handshakes that stop after the first bytes of a
	 * ClientHello. */
	static const uint8_t hello[] = {
	    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
	for (int i = 0; i < N; i++) {
		int s = ttcp_connect(port, 0);
		if (s < 0)
			continue;
		if (write(s, hello, sizeof hello) < 0) {
			close(s);
			continue;
		}
		socks[n++] = s;
	}
	assert_true(n >= N);
	/* With all of them hanging, a real client is still served, fast. */
	uint64_t t0 = tnow_ms();
	rpc_client *fresh = tclient(port, "agency-1101");
	int serving;
	assert_int_equal(thealth(fresh, 5000, &serving), RPC_OK);
	assert_true(tnow_ms() - t0 < 3000);
	rpc_client_free(fresh);
	assert_serving();
	for (int i = 0; i < n; i++)
		close(socks[i]);
	assert_serving();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(truncated_envelopes),
	    cmocka_unit_test(bit_flipped_envelopes),
	    cmocka_unit_test(huge_repeated_fields),
	    cmocka_unit_test(wrong_payload_types),
	    cmocka_unit_test(every_id_defect),
	    cmocka_unit_test(oversized_message),
	    cmocka_unit_test(stalled_connections),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
