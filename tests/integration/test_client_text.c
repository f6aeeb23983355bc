/* SPDX-License-Identifier: MIT */
/*
 * Text a client chose, through heduid and the three sources over mutual
 * TLS (issue 12, item 4):
 *
 *   - strings with an embedded NUL byte, which protobuf-c cuts there (an
 *     ID number "...0013\0junk" validated as its first 18 characters), in
 *     the envelope, in a method's payload, in the household inside
 *     VerifyHousehold and in a source's LookupRequest: refused
 *     INVALID_ARGUMENT naming the field;
 *   - ID numbers put in request ids, case ids (the sources' case_ref),
 *     operator ids and report ids: never in heduid's or the sources' logs
 *     in clear.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agency_sig.h"
#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/source.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "rpc_client.h"
#include "tsource.h"
#include "tconsent.h"
#include "tsupport.h"

#define VERIFY "hedui.v1.Verifier/VerifyHousehold"
#define GET "hedui.v1.Verifier/GetReport"
#define CHECK "hedui.v1.Health/Check"
#define LOOKUP "hedui.v1.BankSource/Lookup"

static tproc *heduid, *sources[3];
static int port, src_ports[3];
static rpc_client *client, *bank;
static agency_signer *signer;
/* ids[0] has data in the sources; the others are ID numbers a client
 * puts where they do not belong (request ids, case ids, operator ids). */
static char ids[6][IDNUM_LEN + 1];

static int setup(void **state)
{
	(void)state;
	char urls[3][64], err[256];
	ttls_init();
	tidnum_330106(ids[0], "19800101", 31);
	tidnum_330106(ids[1], "19780315", 1);
	tidnum_330106(ids[2], "19790416", 3);
	tidnum_330106(ids[3], "19800517", 5);
	tidnum_330106(ids[4], "19810618", 7);
	tidnum_330106(ids[5], "19820719", 9);
	const char *fx = ttmp("text-fixtures.json");
	FILE *f = fopen(fx, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	    "{\"persons\":[{\"id_number\":\"%s\",\"tax\":{\"wage_income_fen\":"
	    "600000}}]}\n",
	    ids[0]);
	if (fclose(f) != 0 || !tsources_start(fx, sources, src_ports, NULL))
		return -1;
	for (int i = 0; i < 3; i++)
		snprintf(urls[i], sizeof urls[i], "%s", turl(src_ports[i]));
	const char *extra[] = {
	    "--bank", urls[0], "--tax", urls[1], "--property", urls[2], NULL};
	if ((heduid = theduid_start(&port, extra)) == NULL)
		return -1;
	const char *members[] = {
	    ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]};
	if (!tconsent_cover(port, "agency-330106", "SQ-330106-2026-0011",
	        "330106", members, 6))
		return -1;
	client = tclient(port, "agency-330106");
	bank = tsource_client(src_ports[0]);
	signer = agency_signer_load(tcert("agency-330106.crt"),
	    tcert("agency-330106.key"), err, sizeof err);
	return client != NULL && bank != NULL && signer != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rpc_client_free(client);
	rpc_client_free(bank);
	agency_signer_free(signer);
	int st = tproc_stop(heduid);
	for (int i = 0; i < 3; i++)
		tproc_stop(sources[i]);
	return st == 0 ? 0 : -1;
}

/* Replaces the first '#' after marker in buf by byte. */
static void poke(uint8_t *buf, size_t len, const char *marker, uint8_t byte)
{
	uint8_t *at = memmem(buf, len, marker, strlen(marker));
	assert_non_null(at);
	uint8_t *hash = memchr(at, '#', len - (size_t)(at - buf));
	assert_non_null(hash);
	*hash = byte;
}

/* A household of 330106 with one member. */
static size_t household(uint8_t *out, const char *case_id, const char *hh_rid,
    const char *id, const char *name)
{
	Hedui__V1__Household h = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member m = HEDUI__V1__MEMBER__INIT, *mp = &m;
	h.case_id = (char *)case_id;
	h.request_id = (char *)hh_rid;
	h.region_code = "330106";
	h.area = "urban";
	h.program = "dibao";
	h.as_of = "2026-11-01";
	h.members = &mp;
	h.n_members = 1;
	m.id_number = (char *)id;
	m.name = (char *)name;
	m.relation = "applicant";
	m.consent_ref = "SQ-330106-2026-0011";
	return hedui__v1__household__pack(&h, out);
}

/* Signs body (as given, NULs and all) and calls VerifyHousehold. */
static rpc_code verify(const uint8_t *body, size_t len, const char *rid,
    const char *op, rpc_status *st)
{
	Hedui__V1__AgencyAuth auth;
	assert_int_equal(agency_signer_sign(signer, VERIFY, rid, op, body, len,
	                     agency_sig_now_ms(), &auth),
	    HD_OK);
	Hedui__V1__VerifyHouseholdRequest req =
	    HEDUI__V1__VERIFY_HOUSEHOLD_REQUEST__INIT;
	req.household.data = (uint8_t *)body;
	req.household.len = len;
	req.auth = &auth;
	rpc_metadata md[1] = {{"operator-id", op}};
	rpc_call_opts o = {.deadline_ms = 10000,
	    .request_id = rid,
	    .metadata = md,
	    .metadata_count = op[0] != '\0' ? 1 : 0};
	ProtobufCMessage *resp = NULL;
	rpc_code code = rpc_client_call(client, VERIFY, &req.base,
	    &hedui__v1__verify_household_response__descriptor, &resp, &o, st);
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	agency_auth_release(&auth);
	return code;
}

/* Sends an encoded envelope as agency-330106; the reply's status. */
static rpc_code raw(const uint8_t *env, size_t len, char *msg, size_t cap)
{
	uint8_t *reply = NULL;
	size_t rlen = 0;
	assert_int_equal(
	    traw_call(port, "agency-330106", env, len, 10000, &reply, &rlen),
	    0);
	Hedui__V1__RpcReply *r =
	    hedui__v1__rpc_reply__unpack(NULL, rlen, reply);
	assert_non_null(r);
	rpc_code code = r->status != NULL ? (rpc_code)r->status->code : RPC_OK;
	snprintf(msg, cap, "%s",
	    r->status != NULL && r->status->message != NULL
	        ? r->status->message
	        : "");
	hedui__v1__rpc_reply__free_unpacked(r, NULL);
	free(reply);
	return code;
}

/* --- NUL bytes ------------------------------------------------------------
 */

static void nul_in_household_strings(void **state)
{
	(void)state;
	uint8_t body[4096];
	rpc_status st;
	char id[40];
	/* The issue's example: the first 18 characters are a valid ID
	 * number with data in the sources. */
	snprintf(id, sizeof id, "%s#junk", ids[0]);
	size_t len = household(body, "case-nul-1", "", id, "测试");
	poke(body, len, ids[0], '\0');
	assert_int_equal(
	    verify(body, len, "nul-1", "", &st), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "members[0].id_number"));
	assert_non_null(strstr(st.message, "NUL"));
	len = household(body, "case-nul-2", "", ids[0], "ab#cd");
	poke(body, len, "ab#", '\0');
	assert_int_equal(
	    verify(body, len, "nul-2", "", &st), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "members[0].name"));
	len = household(body, "case#nul-3", "", ids[0], "测试");
	poke(body, len, "case#", '\0');
	assert_int_equal(
	    verify(body, len, "nul-3", "", &st), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "case_id"));
	/* Without the NUL it verifies. */
	len = household(body, "case-nul-4", "", ids[0], "测试");
	assert_int_equal(verify(body, len, "nul-4", "", &st), RPC_OK);
}

static void nul_in_envelope_and_payload(void **state)
{
	(void)state;
	char msg[256];
	size_t len;
	/* request_id: protobuf-c would have read "h-1". */
	uint8_t *env = tenvelope(CHECK, "h-1#x", NULL, 0, &len);
	poke(env, len, "h-1#", '\0');
	assert_int_equal(raw(env, len, msg, sizeof msg), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "request_id"));
	free(env);
	/* The method name. */
	env = tenvelope(CHECK "#", "h-2", NULL, 0, &len);
	poke(env, len, "Check#", '\0');
	assert_int_equal(raw(env, len, msg, sizeof msg), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "method"));
	free(env);
	/* A payload string: the service whose health is asked. */
	Hedui__V1__HealthCheckRequest hc =
	    HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	hc.service = "hedui.v1.Verifier#x";
	uint8_t p[128];
	size_t plen = hedui__v1__health_check_request__pack(&hc, p);
	poke(p, plen, "Verifier#", '\0');
	env = tenvelope(CHECK, "h-3", p, plen, &len);
	assert_int_equal(raw(env, len, msg, sizeof msg), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "payload field service"));
	free(env);
	/* GetReport's report_id. */
	Hedui__V1__GetReportRequest gr = HEDUI__V1__GET_REPORT_REQUEST__INIT;
	gr.report_id = "HD-20261101-0011223344556677#x";
	plen = hedui__v1__get_report_request__pack(&gr, p);
	poke(p, plen, "6677#", '\0');
	env = tenvelope(GET, "h-4", p, plen, &len);
	assert_int_equal(raw(env, len, msg, sizeof msg), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "report_id"));
	free(env);
	/* Still serving. */
	int serving = 0;
	assert_int_equal(thealth(client, 5000, &serving), RPC_OK);
	assert_true(serving);
}

static void nul_in_source_lookup(void **state)
{
	(void)state;
	Hedui__V1__LookupRequest lr = HEDUI__V1__LOOKUP_REQUEST__INIT;
	char id[40];
	snprintf(id, sizeof id, "%s#junk", ids[0]);
	char *list[1] = {id};
	lr.id_numbers = list;
	lr.n_id_numbers = 1;
	lr.as_of = "2026-11-01";
	lr.case_ref = "c-1";
	uint8_t p[256];
	size_t plen = hedui__v1__lookup_request__pack(&lr, p);
	poke(p, plen, ids[0], '\0');
	rpc_call_opts o = {.deadline_ms = 5000};
	rpc_status st;
	uint8_t *reply = NULL;
	size_t rlen;
	assert_int_equal(
	    rpc_client_call_raw(bank, LOOKUP, p, plen, &reply, &rlen, &o, &st),
	    RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "id_numbers[0]"));
	free(reply);
	lr.id_numbers[0] = ids[0];
	lr.case_ref = "c#1";
	plen = hedui__v1__lookup_request__pack(&lr, p);
	poke(p, plen, "c#", '\0');
	reply = NULL;
	assert_int_equal(
	    rpc_client_call_raw(bank, LOOKUP, p, plen, &reply, &rlen, &o, &st),
	    RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "case_ref"));
	free(reply);
}

/* --- ID numbers where a client may write anything ------------------------ */

static bool in_any_log(const char *text)
{
	tproc *all[4] = {heduid, sources[0], sources[1], sources[2]};
	for (int i = 0; i < 4; i++)
		if (tproc_log_contains(all[i], text))
			return true;
	return false;
}

static void id_numbers_never_logged(void **state)
{
	(void)state;
	uint8_t body[4096];
	rpc_status st;
	/* The envelope's request_id, the household's case_id (the sources'
	 * case_ref) and the operator-id: three other ID numbers. */
	size_t len = household(body, ids[2], "", ids[0], "测试");
	assert_int_equal(verify(body, len, ids[1], ids[3], &st), RPC_OK);
	/* The household's own request_id (the idempotency key's). */
	len = household(body, ids[2], ids[4], ids[0], "测试");
	assert_int_equal(verify(body, len, "text-2", "", &st), RPC_OK);
	/* Refusals log request ids too: unsigned, then another region. */
	Hedui__V1__VerifyHouseholdRequest req =
	    HEDUI__V1__VERIFY_HOUSEHOLD_REQUEST__INIT;
	req.household.data = body;
	req.household.len = len;
	rpc_call_opts o = {.deadline_ms = 5000, .request_id = ids[5]};
	ProtobufCMessage *resp = NULL;
	assert_int_equal(rpc_client_call(client, VERIFY, &req.base,
	                     &hedui__v1__verify_household_response__descriptor,
	                     &resp, &o, &st),
	    RPC_UNAUTHENTICATED);
	/* An unknown method, refused by the RPC layer, with an ID number as
	 * request_id; and a report id that holds one (of our form, 16
	 * digits: a 15-digit ID number and more). */
	assert_int_equal(rpc_client_call(client, "hedui.v1.Nope/Nothing",
	                     &req.base, NULL, &resp, &o, &st),
	    RPC_UNIMPLEMENTED);
	const char *report_id = "HD-20261101-3301067803150013";
	Hedui__V1__GetReportRequest gr = HEDUI__V1__GET_REPORT_REQUEST__INIT;
	Hedui__V1__AgencyAuth auth;
	assert_int_equal(agency_signer_sign(signer, GET, "text-3", "",
	                     (const uint8_t *)report_id, strlen(report_id),
	                     agency_sig_now_ms(), &auth),
	    HD_OK);
	gr.report_id = (char *)report_id;
	gr.auth = &auth;
	rpc_call_opts og = {.deadline_ms = 5000, .request_id = "text-3"};
	assert_int_equal(rpc_client_call(client, GET, &gr.base,
	                     &hedui__v1__verify_household_response__descriptor,
	                     &resp, &og, &st),
	    RPC_NOT_FOUND);
	agency_auth_release(&auth);
	/* Every line is written before its call is answered. */
	for (int i = 0; i < 6; i++)
		if (in_any_log(ids[i]))
			fail_msg("ID number %d in a log", i);
	assert_false(in_any_log("3301067803150013"));
	/* The lines are there, masked. */
	char masked[IDNUM_MASKED_LEN + 1];
	idnum_mask(ids[1], masked);
	assert_true(tproc_log_contains(heduid, masked));
	idnum_mask(ids[4], masked);
	assert_true(tproc_log_contains(heduid, masked));
	idnum_mask(ids[2], masked);
	assert_true(tproc_log_contains(sources[0], masked));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nul_in_household_strings),
	    cmocka_unit_test(nul_in_envelope_and_payload),
	    cmocka_unit_test(nul_in_source_lookup),
	    cmocka_unit_test(id_numbers_never_logged),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
