/* SPDX-License-Identifier: MIT */
/*
 * Identities bound together (issue 12, item 3), through heduid and the
 * three sources over mutual TLS:
 *
 *   - the certificate inside a signature must be the TLS client
 *     certificate of the connection it comes over;
 *   - a certificate is identified by its DER, so a captured request with
 *     its certificate re-encoded (CR LF, a trailing newline, text before
 *     "-----BEGIN") is a replay, for VerifyHousehold and GetReport;
 *   - the operator-id the audit trail records is signed;
 *   - report ownership and the idempotency key use the whole subject: a
 *     certificate with agency-330106's CN under another OU is another
 *     agency.
 *
 * A copy of the dev PKI gets one more agency, agency-33.crt, whose CN is
 * agency-330106 too (region 33, which covers 330106); the PKI's own
 * same-cn-other-region.crt has that CN under region 1101.
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

#include <sqlite3.h>

#include "agency_sig.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "rpc_client.h"
#include "tconsent.h"
#include "tsupport.h"

#define VERIFY "hedui.v1.Verifier/VerifyHousehold"
#define GET "hedui.v1.Verifier/GetReport"
#define SUBJECT_330106                                                        \
	"CN=agency-330106,OU=region:330106,O=hedui dev agencies,C=CN"

static tproc *heduid, *sources[3];
static int port, src_ports[3];
static char store_path[512], certs[256];
static char ids[3][IDNUM_LEN + 1];

/* Connections by identity: agency-330106, agency-1101, agency-33 (CN
 * agency-330106, region 33) and same-cn-other-region (CN agency-330106,
 * region 1101). */
enum { A330106, A1101, A33SAME, AOTHER, NCLIENTS };
static const char *const names[NCLIENTS] = {
    "agency-330106", "agency-1101", "agency-33", "same-cn-other-region"};
static rpc_client *clients[NCLIENTS];
static agency_signer *signers[NCLIENTS];

static bool write_fixtures(const char *path)
{
	tidnum_330106(ids[0], "19800101", 31);
	tidnum_330106(ids[1], "19820202", 42);
	tidnum_330106(ids[2], "19700303", 53);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return false;
	fprintf(f,
	    "{\"persons\":[{\"id_number\":\"%s\",\"tax\":{\"wage_income_fen\":"
	    "600000}}]}\n",
	    ids[0]);
	return fclose(f) == 0;
}

static bool make_certs(void)
{
	snprintf(certs, sizeof certs, "%s", ttmp("certs"));
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
	    "cp -rp '%s' '%s' && sh '%s/certs/make-dev-pki.sh' '%s' "
	    "--agency 33 --name agency-330106 >/dev/null 2>&1",
	    getenv("HEDUI_CERTS"), certs, getenv("HEDUI_SRC"), certs);
	if (system(cmd) != 0)
		return false;
	return setenv("HEDUI_CERTS", certs, 1) == 0;
}

static int setup(void **state)
{
	(void)state;
	char urls[3][64], err[256], crt[512], key[512];
	ttls_init();
	if (!make_certs())
		return -1;
	const char *fx = ttmp("identity-fixtures.json");
	if (!write_fixtures(fx) ||
	    !tsources_start(fx, sources, src_ports, NULL))
		return -1;
	for (int i = 0; i < 3; i++)
		snprintf(urls[i], sizeof urls[i], "%s", turl(src_ports[i]));
	const char *extra[] = {
	    "--bank", urls[0], "--tax", urls[1], "--property", urls[2], NULL};
	snprintf(store_path, sizeof store_path, "%s", ttmp("identity.db"));
	if ((heduid = theduid_start_store(&port, store_path, extra)) == NULL)
		return -1;
	for (int i = 0; i < NCLIENTS; i++) {
		snprintf(crt, sizeof crt, "%s/%s.crt", certs, names[i]);
		snprintf(key, sizeof key, "%s/%s.key", certs, names[i]);
		clients[i] = tclient(port, names[i]);
		signers[i] = agency_signer_load(crt, key, err, sizeof err);
		if (clients[i] == NULL || signers[i] == NULL) {
			fprintf(stderr, "%s: %s\n", names[i], err);
			return -1;
		}
	}
	const char *members[] = {ids[0], ids[1], ids[2]};
	return tconsent_cover(port, names[A330106], "SQ-330106-2026-0010",
	           "330106", members, 3)
	           ? 0
	           : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NCLIENTS; i++) {
		rpc_client_free(clients[i]);
		agency_signer_free(signers[i]);
	}
	int st = tproc_stop(heduid);
	for (int i = 0; i < 3; i++)
		tproc_stop(sources[i]);
	return st == 0 ? 0 : -1;
}

/* --- requests as an agency's system makes them, kept to replay ---------- */

typedef struct sent {
	char rid[48];        /* the envelope's request id */
	char op[80];         /* the operator-id sent ("" none) */
	uint8_t body[16384]; /* the encoded request (the payload) */
	size_t len;
} sent;

static const char *next_rid(const char *what)
{
	static char rid[48];
	static unsigned seq;
	snprintf(rid, sizeof rid, "%s-%u-%u", what, (unsigned)getpid(), ++seq);
	return rid;
}

/* Sends s->body under s->rid with s->op; on OK, *out (if not NULL) is
 * the response. */
static rpc_code send_as(int client, const char *method, const sent *s,
    Hedui__V1__VerifyHouseholdResponse **out, rpc_status *st)
{
	rpc_metadata md[1] = {{"operator-id", s->op}};
	rpc_call_opts o = {.deadline_ms = 10000,
	    .request_id = s->rid,
	    .metadata = md,
	    .metadata_count = s->op[0] != '\0' ? 1 : 0};
	uint8_t *reply = NULL;
	size_t rlen = 0;
	if (out != NULL)
		*out = NULL;
	rpc_code code = rpc_client_call_raw(
	    clients[client], method, s->body, s->len, &reply, &rlen, &o, st);
	if (code == RPC_OK && out != NULL) {
		*out = hedui__v1__verify_household_response__unpack(
		    NULL, rlen, reply);
		assert_non_null(*out);
	}
	free(reply);
	return code;
}

static void resp_free(Hedui__V1__VerifyHouseholdResponse *r)
{
	if (r != NULL)
		hedui__v1__verify_household_response__free_unpacked(r, NULL);
}

/* A household of region 330106 with members ids[0..n), under the
 * household request_id hh_rid ("": the envelope's). */
static size_t household(uint8_t *out, int n, const char *hh_rid)
{
	Hedui__V1__Household h = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member m[3], *mp[3];
	h.case_id = "330106-2026-000888";
	h.request_id = (char *)hh_rid;
	h.region_code = "330106";
	h.area = "urban";
	h.program = "dibao";
	h.as_of = "2026-11-01";
	h.members = mp;
	h.n_members = (size_t)n;
	for (int i = 0; i < n; i++) {
		hedui__v1__member__init(&m[i]);
		m[i].id_number = ids[i];
		m[i].name = "测试";
		m[i].relation = i == 0 ? "applicant" : "spouse";
		m[i].consent_ref = "SQ-330106-2026-0010";
		mp[i] = &m[i];
	}
	return hedui__v1__household__pack(&h, out);
}

/* A VerifyHousehold request signed by signer (with operator op) into s. */
static void make_verify(
    sent *s, int signer, int members, const char *hh_rid, const char *op)
{
	uint8_t body[8192];
	size_t len = household(body, members, hh_rid);
	snprintf(s->rid, sizeof s->rid, "%s", next_rid("v"));
	snprintf(s->op, sizeof s->op, "%s", op);
	Hedui__V1__AgencyAuth auth;
	assert_int_equal(agency_signer_sign(signers[signer], VERIFY, s->rid,
	                     op, body, len, agency_sig_now_ms(), &auth),
	    HD_OK);
	Hedui__V1__VerifyHouseholdRequest req =
	    HEDUI__V1__VERIFY_HOUSEHOLD_REQUEST__INIT;
	req.household.data = body;
	req.household.len = len;
	req.auth = &auth;
	s->len = hedui__v1__verify_household_request__pack(&req, s->body);
	agency_auth_release(&auth);
}

static void make_get(
    sent *s, int signer, const char *report_id, const char *op)
{
	snprintf(s->rid, sizeof s->rid, "%s", next_rid("g"));
	snprintf(s->op, sizeof s->op, "%s", op);
	Hedui__V1__AgencyAuth auth;
	assert_int_equal(agency_signer_sign(signers[signer], GET, s->rid, op,
	                     (const uint8_t *)report_id, strlen(report_id),
	                     agency_sig_now_ms(), &auth),
	    HD_OK);
	Hedui__V1__GetReportRequest req = HEDUI__V1__GET_REPORT_REQUEST__INIT;
	req.report_id = (char *)report_id;
	req.auth = &auth;
	s->len = hedui__v1__get_report_request__pack(&req, s->body);
	agency_auth_release(&auth);
}

/* The same request with its AgencyAuth certificate re-encoded: how 0 CR
 * LF line ends, 1 a trailing newline, 2 text before "-----BEGIN". */
static void reencode(const sent *in, sent *out, bool verify, int how)
{
	*out = *in;
	ProtobufCMessage *m = protobuf_c_message_unpack(
	    verify ? &hedui__v1__verify_household_request__descriptor
	           : &hedui__v1__get_report_request__descriptor,
	    NULL, in->len, in->body);
	assert_non_null(m);
	Hedui__V1__AgencyAuth *a =
	    verify ? ((Hedui__V1__VerifyHouseholdRequest *)m)->auth
	           : ((Hedui__V1__GetReportRequest *)m)->auth;
	static uint8_t pem[8192];
	size_t o = 0;
	if (how == 2) {
		memcpy(pem, "Certificate of agency-330106:\n", 30);
		o = 30;
	}
	for (size_t i = 0; i < a->certificate.len; i++) {
		if (how == 0 && a->certificate.data[i] == '\n')
			pem[o++] = '\r';
		pem[o++] = a->certificate.data[i];
	}
	if (how == 1)
		pem[o++] = '\n';
	ProtobufCBinaryData saved = a->certificate;
	a->certificate.data = pem;
	a->certificate.len = o;
	out->len = protobuf_c_message_pack(m, out->body);
	a->certificate = saved;
	protobuf_c_message_free_unpacked(m, NULL);
}

static long long sql_count(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;
	if (sqlite3_open_v2(store_path, &db, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A fresh report of agency-330106's; its id into id. */
static void report_of_330106(char id[48], const char *hh_rid)
{
	sent s;
	rpc_status st;
	Hedui__V1__VerifyHouseholdResponse *r;
	make_verify(&s, A330106, 1, hh_rid, "");
	assert_int_equal(send_as(A330106, VERIFY, &s, &r, &st), RPC_OK);
	snprintf(id, 48, "%s", r->verdict->report_id);
	resp_free(r);
}

/* --- 1. the signature's certificate is the connection's ----------------- */

static void signature_bound_to_connection(void **state)
{
	(void)state;
	sent s;
	rpc_status st;
	long long reports = sql_count("SELECT count(*) FROM report");
	/* agency-1101's connection carrying agency-330106's (valid, fresh)
	 * signature over a household of 330106. */
	make_verify(&s, A330106, 1, "", "");
	assert_int_equal(
	    send_as(A1101, VERIFY, &s, NULL, &st), RPC_UNAUTHENTICATED);
	assert_non_null(strstr(st.message, "not the TLS client certificate"));
	assert_null(strstr(st.message, ids[0]));
	assert_int_equal(sql_count("SELECT count(*) FROM report"), reports);
	/* The other way round. */
	make_verify(&s, A1101, 1, "", "");
	assert_int_equal(
	    send_as(A330106, VERIFY, &s, NULL, &st), RPC_UNAUTHENTICATED);
	/* GetReport: agency-330106's signed read over agency-1101's
	 * connection. */
	char id[48];
	report_of_330106(id, "");
	make_get(&s, A330106, id, "");
	assert_int_equal(
	    send_as(A1101, GET, &s, NULL, &st), RPC_UNAUTHENTICATED);
	assert_non_null(strstr(st.message, "not the TLS client certificate"));
	/* The same request over its own connection is fine (and new). */
	Hedui__V1__VerifyHouseholdResponse *r;
	assert_int_equal(send_as(A330106, GET, &s, &r, &st), RPC_OK);
	assert_string_equal(r->verdict->report_id, id);
	resp_free(r);
}

/* --- 2. a re-encoded certificate does not make a request new ----------- */

static void reencoded_verify_is_a_replay(void **state)
{
	(void)state;
	sent s, again;
	rpc_status st;
	make_verify(&s, A330106, 1, "", "");
	assert_int_equal(send_as(A330106, VERIFY, &s, NULL, &st), RPC_OK);
	for (int how = 0; how < 3; how++) {
		reencode(&s, &again, true, how);
		assert_int_equal(send_as(A330106, VERIFY, &again, NULL, &st),
		    RPC_UNAUTHENTICATED);
		assert_non_null(strstr(st.message, "replayed"));
	}
	assert_int_equal(
	    send_as(A330106, VERIFY, &s, NULL, &st), RPC_UNAUTHENTICATED);
}

static void reencoded_get_report_is_a_replay(void **state)
{
	(void)state;
	sent s, again;
	rpc_status st;
	char id[48];
	report_of_330106(id, "");
	make_get(&s, A330106, id, "");
	assert_int_equal(send_as(A330106, GET, &s, NULL, &st), RPC_OK);
	for (int how = 0; how < 3; how++) {
		reencode(&s, &again, false, how);
		assert_int_equal(send_as(A330106, GET, &again, NULL, &st),
		    RPC_UNAUTHENTICATED);
		assert_non_null(strstr(st.message, "replayed"));
	}
}

/* The exploit: a captured GetReport, re-encoded, over another
 * agency's connection returned the first agency's report. The binding
 * refuses it whether or not it was used before. */
static void reencoded_over_other_connection(void **state)
{
	(void)state;
	sent s, again;
	rpc_status st;
	char id[48];
	report_of_330106(id, "");
	make_get(&s, A330106, id, "");
	for (int how = 0; how < 3; how++) {
		reencode(&s, &again, false, how);
		assert_int_equal(send_as(A1101, GET, &again, NULL, &st),
		    RPC_UNAUTHENTICATED);
		assert_non_null(
		    strstr(st.message, "not the TLS client certificate"));
	}
	make_verify(&s, A330106, 1, "", "");
	reencode(&s, &again, true, 0);
	assert_int_equal(
	    send_as(AOTHER, VERIFY, &again, NULL, &st), RPC_UNAUTHENTICATED);
}

/* --- 3. the operator the audit records is signed ------------------------ */

static void operator_id_is_signed(void **state)
{
	(void)state;
	sent s;
	rpc_status st;
	Hedui__V1__VerifyHouseholdResponse *r;
	/* Signed for officer-7, sent as officer-9. */
	make_verify(&s, A330106, 1, "", "officer-7");
	snprintf(s.op, sizeof s.op, "officer-9");
	assert_int_equal(
	    send_as(A330106, VERIFY, &s, NULL, &st), RPC_UNAUTHENTICATED);
	assert_non_null(strstr(st.message, "does not verify"));
	/* Or with no operator at all. */
	s.op[0] = '\0';
	assert_int_equal(
	    send_as(A330106, VERIFY, &s, NULL, &st), RPC_UNAUTHENTICATED);
	/* As signed: accepted, and audited under that operator. */
	snprintf(s.op, sizeof s.op, "officer-7");
	assert_int_equal(send_as(A330106, VERIFY, &s, &r, &st), RPC_OK);
	char sql[256];
	snprintf(sql, sizeof sql,
	    "SELECT count(*) FROM audit WHERE report_id = '%s' AND "
	    "operator_id = 'officer-7' AND outcome = 0",
	    r->verdict->report_id);
	assert_int_equal(sql_count(sql), 1);
	/* A replay under another operator is refused too. */
	snprintf(s.op, sizeof s.op, "officer-9");
	assert_int_equal(
	    send_as(A330106, VERIFY, &s, NULL, &st), RPC_UNAUTHENTICATED);
	/* GetReport signs it the same way. */
	sent g;
	make_get(&g, A330106, r->verdict->report_id, "officer-7");
	snprintf(g.op, sizeof g.op, "officer-8");
	assert_int_equal(
	    send_as(A330106, GET, &g, NULL, &st), RPC_UNAUTHENTICATED);
	resp_free(r);
	/* Its form: refused before anything else. */
	make_verify(&s, A330106, 1, "", "");
	snprintf(s.op, sizeof s.op, "officer 7");
	assert_int_equal(
	    send_as(A330106, VERIFY, &s, NULL, &st), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "operator-id"));
	/* Given twice: which one was signed, which one audited? */
	rpc_metadata md[2] = {
	    {"operator-id", "officer-7"}, {"operator-id", "officer-9"}};
	rpc_call_opts o = {.deadline_ms = 10000,
	    .request_id = s.rid,
	    .metadata = md,
	    .metadata_count = 2};
	uint8_t *reply = NULL;
	size_t rlen;
	assert_int_equal(rpc_client_call_raw(clients[A330106], VERIFY, s.body,
	                     s.len, &reply, &rlen, &o, &st),
	    RPC_INVALID_ARGUMENT);
	free(reply);
}

/* --- 4. the whole subject is the identity ------------------------------- */

static void same_cn_other_region_cannot_read(void **state)
{
	(void)state;
	sent s;
	rpc_status st;
	Hedui__V1__VerifyHouseholdResponse *r;
	make_verify(&s, A330106, 1, "", "");
	assert_int_equal(send_as(A330106, VERIFY, &s, &r, &st), RPC_OK);
	char id[48];
	snprintf(id, sizeof id, "%s", r->verdict->report_id);
	/* CN=agency-330106 under OU=region:1101: another agency, outside the
	 * report's region. */
	make_get(&s, AOTHER, id, "");
	assert_int_equal(
	    send_as(AOTHER, GET, &s, NULL, &st), RPC_PERMISSION_DENIED);
	/* The verdict names the agency by CN and by whole subject, and the
	 * store keeps the subject. */
	assert_string_equal(r->verdict->agency, "agency-330106");
	assert_string_equal(r->verdict->agency_subject, SUBJECT_330106);
	resp_free(r);
	char sql[256];
	snprintf(sql, sizeof sql,
	    "SELECT count(*) FROM report WHERE report_id = '%s' AND agency = "
	    "'" SUBJECT_330106 "'",
	    id);
	assert_int_equal(sql_count(sql), 1);
	snprintf(sql, sizeof sql,
	    "SELECT count(*) FROM audit WHERE report_id = '%s' AND agency = "
	    "'" SUBJECT_330106 "'",
	    id);
	assert_int_equal(sql_count(sql), 1);
	/* The owner still reads it. */
	make_get(&s, A330106, id, "");
	assert_int_equal(send_as(A330106, GET, &s, NULL, &st), RPC_OK);
}

static void idempotency_key_is_whole_subject(void **state)
{
	(void)state;
	sent s;
	rpc_status st;
	Hedui__V1__VerifyHouseholdResponse *a, *b;
	/* agency-330106 and agency-33 (CN agency-330106 as well, region 33)
	 * both use request_id "dup-1" for the same household: two agencies,
	 * two reports. With the CN as the key, agency-33 got agency-330106's
	 * report back. */
	make_verify(&s, A330106, 1, "dup-1", "");
	assert_int_equal(send_as(A330106, VERIFY, &s, &a, &st), RPC_OK);
	make_verify(&s, A33SAME, 1, "dup-1", "");
	assert_int_equal(send_as(A33SAME, VERIFY, &s, &b, &st), RPC_OK);
	assert_string_not_equal(a->verdict->report_id, b->verdict->report_id);
	assert_string_equal(b->verdict->agency, "agency-330106");
	assert_non_null(strstr(b->verdict->agency_subject, "OU=region:33,"));
	resp_free(a);
	resp_free(b);
	/* And "dup-2" for different households: no ALREADY_EXISTS naming
	 * the other agency's report. */
	make_verify(&s, A330106, 1, "dup-2", "");
	assert_int_equal(send_as(A330106, VERIFY, &s, &a, &st), RPC_OK);
	make_verify(&s, A33SAME, 2, "dup-2", "");
	assert_int_equal(send_as(A33SAME, VERIFY, &s, &b, &st), RPC_OK);
	assert_string_not_equal(a->verdict->report_id, b->verdict->report_id);
	resp_free(a);
	resp_free(b);
	/* Each agency's own retry still gets its own report. */
	make_verify(&s, A33SAME, 2, "dup-2", "");
	assert_int_equal(send_as(A33SAME, VERIFY, &s, &b, &st), RPC_OK);
	assert_non_null(strstr(b->verdict->agency_subject, "OU=region:33,"));
	resp_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(signature_bound_to_connection),
	    cmocka_unit_test(reencoded_verify_is_a_replay),
	    cmocka_unit_test(reencoded_get_report_is_a_replay),
	    cmocka_unit_test(reencoded_over_other_connection),
	    cmocka_unit_test(operator_id_is_signed),
	    cmocka_unit_test(same_cn_other_region_cannot_read),
	    cmocka_unit_test(idempotency_key_is_whole_subject),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
