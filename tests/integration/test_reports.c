/* SPDX-License-Identifier: MIT */
/*
 * Stored reports and the audit trail end to end: heduid with its store and
 * the three sources over mutual TLS. Idempotent retries, who may read a
 * report, `hedui report get/verify` and `hedui audit verify` as real
 * processes, the store-failure path (a file size limit put on the running
 * heduid makes every write fail) and a graceful restart on the same store.
 */
#define _GNU_SOURCE /* memmem, prlimit */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "agency_sig.h"
#include "audit_verify.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "report_sig.h"
#include "rpc_client.h"
#include "tconsent.h"
#include "tsupport.h"
#include "tverify.h"

#define GET_METHOD "hedui.v1.Verifier/GetReport"

static tproc *heduid, *sources[3];
static int port, src_ports[3];
static char store_path[512], certs[256], extra_urls[3][64];
static rpc_client *c330106, *c1101, *c33;
static char ids[3][IDNUM_LEN + 1];
static char first_report_id[48];
static uint8_t first_report[16384];
static size_t first_report_len;

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
	    "600000}},{\"id_number\":\"%s\",\"bank\":{\"accounts\":[{\"kind\":"
	    "\"deposit\",\"balance_fen\":1234567}]}}]}\n",
	    ids[0], ids[2]);
	return fclose(f) == 0;
}

/* A copy of the dev PKI with one more agency, region prefix 33, whose
 * jurisdiction covers 330106. */
static bool make_certs(void)
{
	snprintf(certs, sizeof certs, "%s", ttmp("certs"));
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
	    "cp -rp '%s' '%s' && sh '%s/certs/make-dev-pki.sh' '%s' "
	    "--agency 33 >/dev/null 2>&1",
	    getenv("HEDUI_CERTS"), certs, getenv("HEDUI_SRC"), certs);
	if (system(cmd) != 0)
		return false;
	return setenv("HEDUI_CERTS", certs, 1) == 0;
}

static tproc *start_heduid(void)
{
	const char *extra[] = {"--bank", extra_urls[0], "--tax", extra_urls[1],
	    "--property", extra_urls[2], NULL};
	return theduid_start_store(&port, store_path, extra);
}

static void clients_free(void)
{
	rpc_client_free(c330106);
	rpc_client_free(c1101);
	rpc_client_free(c33);
	c330106 = c1101 = c33 = NULL;
}

static bool clients_new(void)
{
	c330106 = tclient(port, "agency-330106");
	c1101 = tclient(port, "agency-1101");
	c33 = tclient(port, "agency-33");
	return c330106 != NULL && c1101 != NULL && c33 != NULL;
}

static int setup(void **state)
{
	(void)state;
	ttls_init();
	if (!make_certs())
		return -1;
	const char *fx = ttmp("reports-fixtures.json");
	if (!write_fixtures(fx) ||
	    !tsources_start(fx, sources, src_ports, NULL))
		return -1;
	for (int i = 0; i < 3; i++)
		snprintf(extra_urls[i], sizeof extra_urls[i], "%s",
		    turl(src_ports[i]));
	snprintf(store_path, sizeof store_path, "%s", ttmp("reports.db"));
	if ((heduid = start_heduid()) == NULL)
		return -1;
	const char *members[] = {ids[0], ids[1], ids[2]};
	if (!tconsent_cover(port, "agency-330106", "SQ-330106-2026-0009",
	        "330106", members, 3))
		return -1;
	return clients_new() ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	clients_free();
	char log[512] = "";
	if (heduid != NULL)
		snprintf(log, sizeof log, "%s", tproc_log(heduid));
	int st = tproc_stop(heduid);
	for (int i = 0; i < 3; i++)
		tproc_stop(sources[i]);
	for (int i = 0; i < 3; i++)
		if (log[0] != '\0' && tfile_contains(log, ids[i])) {
			fprintf(stderr, "ID number in %s\n", log);
			return -1;
		}
	return st == 0 ? 0 : -1;
}

/* --- calls --------------------------------------------------------------- */

typedef struct thh {
	Hedui__V1__Household h;
	Hedui__V1__Member m[3], *mp[3];
} thh;

static void hh_init(thh *t, const char *request_id, int members)
{
	hedui__v1__household__init(&t->h);
	t->h.case_id = "330106-2026-000777";
	t->h.request_id = (char *)request_id;
	t->h.region_code = "330106";
	t->h.area = "urban";
	t->h.program = "dibao";
	t->h.as_of = "2026-11-01";
	t->h.members = t->mp;
	t->h.n_members = (size_t)members;
	for (int i = 0; i < members; i++) {
		hedui__v1__member__init(&t->m[i]);
		t->m[i].id_number = ids[i];
		t->m[i].name = "测试";
		t->m[i].relation = i == 0 ? "applicant" : "spouse";
		t->m[i].consent_ref = "SQ-330106-2026-0009";
		t->mp[i] = &t->m[i];
	}
}

static void agency_files(const char *agency, char cert[512], char key[512])
{
	snprintf(cert, 512, "%.256s/%.64s.crt", certs, agency);
	snprintf(key, 512, "%.256s/%.64s.key", certs, agency);
}

static rpc_code call_verify(rpc_client *c, const char *agency, thh *t,
    Hedui__V1__VerifyHouseholdResponse **out, rpc_status *st)
{
	static unsigned seq;
	char rid[48], cert[512], key[512], err[256];
	snprintf(rid, sizeof rid, "rpc-%u-%u", (unsigned)getpid(), ++seq);
	uint8_t body[8192];
	size_t len = hedui__v1__household__pack(&t->h, body);
	agency_files(agency, cert, key);
	agency_signer *s = agency_signer_load(cert, key, err, sizeof err);
	assert_non_null(s);
	rpc_metadata md[1] = {{"operator-id", "officer-42"}};
	rpc_call_opts o = {.deadline_ms = 10000,
	    .request_id = rid,
	    .metadata = md,
	    .metadata_count = 1};
	rpc_code code = tverify_signed(c, s, body, len, &o, out, st);
	assert_int_not_equal(code, RPC_INTERNAL);
	agency_signer_free(s);
	return code;
}

static rpc_code call_get(rpc_client *c, const char *agency, const char *id,
    Hedui__V1__VerifyHouseholdResponse **out, rpc_status *st)
{
	static unsigned seq;
	char rid[48], cert[512], key[512], err[256];
	snprintf(rid, sizeof rid, "get-%u-%u", (unsigned)getpid(), ++seq);
	Hedui__V1__GetReportRequest req = HEDUI__V1__GET_REPORT_REQUEST__INIT;
	Hedui__V1__AgencyAuth auth = HEDUI__V1__AGENCY_AUTH__INIT;
	agency_signer *s = NULL;
	req.report_id = (char *)id;
	if (agency != NULL) {
		agency_files(agency, cert, key);
		s = agency_signer_load(cert, key, err, sizeof err);
		assert_non_null(s);
		assert_int_equal(agency_signer_sign(s, GET_METHOD, rid, "",
		                     (const uint8_t *)id, strlen(id),
		                     agency_sig_now_ms(), &auth),
		    HD_OK);
		req.auth = &auth;
	}
	rpc_call_opts o = {.deadline_ms = 10000, .request_id = rid};
	ProtobufCMessage *resp = NULL;
	rpc_code code = rpc_client_call(c, GET_METHOD, &req.base,
	    &hedui__v1__verify_household_response__descriptor, &resp, &o, st);
	if (s != NULL) {
		agency_auth_release(&auth);
		agency_signer_free(s);
	}
	*out = (Hedui__V1__VerifyHouseholdResponse *)resp;
	return code;
}

static void resp_free(Hedui__V1__VerifyHouseholdResponse *r)
{
	if (r != NULL)
		protobuf_c_message_free_unpacked(&r->base, NULL);
}

static long long count_rows(const char *table)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char sql[128];
	long long n = -1;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	if (sqlite3_open_v2(store_path, &db, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Runs the CLI; its exit status, its output in log. */
static int run_cli(const char *const args[], char log[512])
{
	char *argv[32];
	int n = 0;
	static char bin[512];
	snprintf(bin, sizeof bin, "%s", tbin("hedui"));
	argv[n++] = bin;
	for (int i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	tproc *p = tproc_start("hedui", argv);
	assert_non_null(p);
	snprintf(log, 512, "%s", tproc_log(p));
	tproc_wait(p, 30000);
	return tproc_stop(p);
}

/* --- tests --------------------------------------------------------------- */

static void idempotent_retry_returns_same_report(void **state)
{
	(void)state;
	thh t;
	rpc_status st;
	Hedui__V1__VerifyHouseholdResponse *a = NULL, *b = NULL, *c = NULL;
	hh_init(&t, "case-777-try", 2);
	assert_int_equal(
	    call_verify(c330106, "agency-330106", &t, &a, &st), RPC_OK);
	long long reports = count_rows("report");
	assert_int_equal(reports, 1);
	/* The retry is signed again (a new timestamp and RPC id) but names
	 * the same request: the same report, byte for byte. */
	assert_int_equal(
	    call_verify(c330106, "agency-330106", &t, &b, &st), RPC_OK);
	assert_string_equal(a->verdict->report_id, b->verdict->report_id);
	assert_int_equal(a->report.len, b->report.len);
	assert_memory_equal(a->report.data, b->report.data, a->report.len);
	assert_int_equal(a->signature.len, b->signature.len);
	assert_memory_equal(
	    a->signature.data, b->signature.data, a->signature.len);
	assert_int_equal(count_rows("report"), reports);
	/* The same request_id for another household is refused. */
	hh_init(&t, "case-777-try", 3);
	assert_int_equal(call_verify(c330106, "agency-330106", &t, &c, &st),
	    RPC_ALREADY_EXISTS);
	assert_non_null(strstr(st.message, "case-777-try"));
	assert_int_equal(count_rows("report"), reports);
	snprintf(first_report_id, sizeof first_report_id, "%s",
	    a->verdict->report_id);
	memcpy(first_report, a->report.data, a->report.len);
	first_report_len = a->report.len;
	resp_free(a);
	resp_free(b);
	resp_free(c);
}

static void cross_agency_access(void **state)
{
	(void)state;
	rpc_status st;
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	assert_true(first_report_id[0] != '\0');
	/* The requesting agency. */
	assert_int_equal(
	    call_get(c330106, "agency-330106", first_report_id, &r, &st),
	    RPC_OK);
	assert_int_equal(r->report.len, first_report_len);
	assert_memory_equal(r->report.data, first_report, first_report_len);
	assert_string_equal(r->verdict->report_id, first_report_id);
	char err[256], crt[512];
	snprintf(crt, sizeof crt, "%s/heduid.crt", certs);
	assert_int_equal(
	    report_sig_verify_response(crt, NULL, r, err, sizeof err), HD_OK);
	resp_free(r);
	/* Another region. */
	assert_int_equal(
	    call_get(c1101, "agency-1101", first_report_id, &r, &st),
	    RPC_PERMISSION_DENIED);
	assert_null(r);
	assert_non_null(strstr(st.message, "1101"));
	/* A province-level agency whose prefix covers the region. */
	assert_int_equal(
	    call_get(c33, "agency-33", first_report_id, &r, &st), RPC_OK);
	assert_memory_equal(r->report.data, first_report, first_report_len);
	resp_free(r);
	r = NULL;
	assert_int_equal(call_get(c330106, "agency-330106",
	                     "HD-20261101-0000000000000000", &r, &st),
	    RPC_NOT_FOUND);
	assert_int_equal(
	    call_get(c330106, "agency-330106", "11010519491231002X", &r, &st),
	    RPC_INVALID_ARGUMENT);
	assert_int_equal(call_get(c330106, NULL, first_report_id, &r, &st),
	    RPC_UNAUTHENTICATED);
}

static void cli_report_get_and_verify(void **state)
{
	(void)state;
	char log[512], out[512], cert[512], key[512], crt[512], ca[512];
	char url[64];
	snprintf(out, sizeof out, "%s", ttmp("report.bin"));
	snprintf(url, sizeof url, "%s", turl(port));
	agency_files("agency-330106", cert, key);
	snprintf(crt, sizeof crt, "%s/heduid.crt", certs);
	snprintf(ca, sizeof ca, "%s/ca.crt", certs);
	const char *get[] = {"--server", url, "--ca", ca, "--cert", cert,
	    "--key", key, "--operator", "officer-7", "report", "get",
	    first_report_id, "-o", out, NULL};
	assert_int_equal(run_cli(get, log), 0);
	assert_true(tfile_contains(log, first_report_id));
	const char *show[] = {"--server", url, "--ca", ca, "--cert", cert,
	    "--key", key, "report", "get", first_report_id, "--json", NULL};
	assert_int_equal(run_cli(show, log), 0);
	assert_true(tfile_contains(log, "\"conclusion\""));

	const char *verify[] = {
	    "report", "verify", out, "--cert", crt, "--ca", ca, NULL};
	assert_int_equal(run_cli(verify, log), 0);
	assert_true(tfile_contains(log, "OK: report"));
	/* Another certificate did not sign it. */
	const char *wrong[] = {"report", "verify", out, "--cert", cert, NULL};
	assert_int_equal(run_cli(wrong, log), 1);

	/* One changed byte inside the signed bytes. */
	FILE *f = fopen(out, "r+b");
	assert_non_null(f);
	uint8_t buf[32768];
	size_t n = fread(buf, 1, sizeof buf, f);
	uint8_t *at = memmem(buf, n, first_report, first_report_len);
	assert_non_null(at);
	size_t off = (size_t)(at - buf) + first_report_len / 2;
	buf[off] ^= 0x01;
	fseek(f, (long)off, SEEK_SET);
	fputc(buf[off], f);
	fclose(f);
	assert_int_equal(run_cli(verify, log), 1);
	assert_true(tfile_contains(log, "FAILED"));
}

/* A snapshot of the live store, to edit. */
static void snapshot(const char *to)
{
	sqlite3 *db = NULL;
	char sql[700];
	unlink(to);
	snprintf(sql, sizeof sql, "VACUUM INTO '%s'", to);
	assert_int_equal(
	    sqlite3_open_v2(store_path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void edit(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static bool file_has(const char *path, const char *text)
{
	return access(path, R_OK) == 0 && tfile_contains(path, text);
}

static void audit_trail_is_chained_and_private(void **state)
{
	(void)state;
	char log[512], keyarg[600], wal[600];
	/* Refusals are recorded too. */
	rpc_status st;
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	thh t;
	hh_init(&t, "wrong-region", 1);
	t.h.region_code = "330106";
	assert_int_equal(call_verify(c1101, "agency-1101", &t, &r, &st),
	    RPC_PERMISSION_DENIED);
	/* An audit record of a refusal is not waited for: give it a moment
	 * by waiting for a record that is (a read). */
	assert_int_equal(
	    call_get(c330106, "agency-330106", first_report_id, &r, &st),
	    RPC_OK);
	resp_free(r);
	assert_true(count_rows("audit") >= 8);

	const char *ok[] = {"audit", "verify", "--store", store_path, NULL};
	assert_int_equal(run_cli(ok, log), 0);
	assert_true(tfile_contains(log, "chain intact"));

	/* No ID number, raw, anywhere in the store. */
	snprintf(wal, sizeof wal, "%s-wal", store_path);
	for (int i = 0; i < 3; i++) {
		assert_false(file_has(store_path, ids[i]));
		assert_false(file_has(wal, ids[i]));
	}

	const char *copy = ttmp("audit-copy.db");
	snprintf(keyarg, sizeof keyarg, "%s.audit-key", store_path);
	const char *check[] = {
	    "audit", "verify", "--store", copy, "--key", keyarg, NULL};
	snapshot(copy);
	assert_int_equal(run_cli(check, log), 0);
	edit(copy, "UPDATE audit SET outcome = outcome + 1 WHERE seq = 3");
	assert_int_equal(run_cli(check, log), 1);
	assert_true(tfile_contains(log, "record 3"));
	snapshot(copy);
	edit(copy, "DELETE FROM audit WHERE seq = 2");
	assert_int_equal(run_cli(check, log), 1);
	assert_true(tfile_contains(log, "record 2 is missing"));
	snapshot(copy);
	edit(copy, "UPDATE audit SET seq = -seq WHERE seq IN (2, 3);"
	           "UPDATE audit SET seq = 3 WHERE seq = -2;"
	           "UPDATE audit SET seq = 2 WHERE seq = -3;");
	/* Records 2 and 3 swapped places (renumbered to hide it). */
	assert_int_equal(run_cli(check, log), 1);
	assert_true(tfile_contains(log, "record 2"));
}

static bool wait_serving(int want)
{
	for (int i = 0; i < 200; i++) {
		int serving = -1;
		thealth(c330106, 2000, &serving);
		if (serving == want)
			return true;
		usleep(50000);
	}
	return false;
}

static void store_failure_refuses_work(void **state)
{
	(void)state;
	rpc_status st;
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	thh t;
	assert_true(wait_serving(1));
	long long before = count_rows("report");
	/* Every write heduid makes from now on fails with EFBIG. */
	struct rlimit lim = {.rlim_cur = 1, .rlim_max = RLIM_INFINITY};
	assert_int_equal(
	    prlimit(tproc_pid(heduid), RLIMIT_FSIZE, &lim, NULL), 0);
	hh_init(&t, "during-failure-1", 1);
	assert_int_equal(call_verify(c330106, "agency-330106", &t, &r, &st),
	    RPC_UNAVAILABLE);
	assert_null(r);
	assert_non_null(strstr(st.message, "stored durably"));
	assert_true(wait_serving(2)); /* NOT_SERVING */
	hh_init(&t, "during-failure-2", 1);
	assert_int_equal(call_verify(c330106, "agency-330106", &t, &r, &st),
	    RPC_UNAVAILABLE);
	if (strstr(st.message, "refuses work") == NULL)
		fail_msg("message: %s", st.message);
	assert_int_equal(
	    call_get(c330106, "agency-330106", first_report_id, &r, &st),
	    RPC_UNAVAILABLE);
	assert_true(tproc_alive(heduid));

	/* The disk is writable again: the probe notices and work resumes. */
	lim.rlim_cur = RLIM_INFINITY;
	assert_int_equal(
	    prlimit(tproc_pid(heduid), RLIMIT_FSIZE, &lim, NULL), 0);
	assert_true(wait_serving(1));
	hh_init(&t, "during-failure-1", 1);
	assert_int_equal(
	    call_verify(c330106, "agency-330106", &t, &r, &st), RPC_OK);
	resp_free(r);
	assert_int_equal(count_rows("report"), before + 1);
}

static void graceful_restart_keeps_everything(void **state)
{
	(void)state;
	rpc_status st;
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	clients_free();
	assert_int_equal(tproc_stop(heduid), 0);
	heduid = start_heduid();
	assert_non_null(heduid);
	assert_true(clients_new());
	assert_int_equal(
	    call_get(c330106, "agency-330106", first_report_id, &r, &st),
	    RPC_OK);
	assert_memory_equal(r->report.data, first_report, first_report_len);
	resp_free(r);
	char why[256];
	int64_t n = 0;
	uint8_t key[64];
	char kp[600];
	snprintf(kp, sizeof kp, "%s.audit-key", store_path);
	FILE *f = fopen(kp, "rb");
	assert_non_null(f);
	size_t kl = fread(key, 1, sizeof key, f);
	fclose(f);
	assert_int_equal(
	    audit_verify_store(store_path, key, kl, &n, why, sizeof why),
	    HD_OK);
	assert_true(n >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(idempotent_retry_returns_same_report),
	    cmocka_unit_test(cross_agency_access),
	    cmocka_unit_test(cli_report_get_and_verify),
	    cmocka_unit_test(audit_trail_is_chained_and_private),
	    cmocka_unit_test(store_failure_refuses_work),
	    cmocka_unit_test(graceful_restart_keeps_everything),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
