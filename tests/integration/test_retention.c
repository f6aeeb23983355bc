/* SPDX-License-Identifier: MIT */
/*
 * Retention end to end: a heduid with [store] retention_days purges, by
 * itself and while serving, the content of a report older than that
 * (made old here by moving its time back while heduid is stopped, as
 * the days would): GetReport then answers FAILED_PRECONDITION naming the
 * purge date, and so does a retry of its request; the household's
 * balance is in no byte of the database file or its write-ahead log; the
 * other report is untouched; the audit trail verifies and records the
 * purge; a copy of the report saved before still verifies offline; the
 * statistics still count it.
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

#include <openssl/sha.h>
#include <sqlite3.h>

#include "audit_verify.h"
#include "consent_form.h"
#include "idnum.h"
#include "tagency.h"
#include "tconsent.h"
#include "tsupport.h"

#define BALANCE "987654321" /* fen, the bank balance of ids[1] */

static tproc *heduid, *sources[3];
static int port, src_ports[3];
static char ids[2][IDNUM_LEN + 1], urls[3][64], store_path[512];

static tproc *start(const char *retention)
{
	const char *extra[] = {"--bank", urls[0], "--tax", urls[1],
	    "--property", urls[2],
	    retention != NULL ? "--retention-days" : NULL, retention, NULL};
	return theduid_start_store(&port, store_path, extra);
}

static int setup(void **state)
{
	(void)state;
	ttls_init();
	tidnum_330106(ids[0], "19800101", 31);
	tidnum_330106(ids[1], "19700303", 53);
	const char *fx = ttmp("retention-fixtures.json");
	FILE *f = fopen(fx, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	    "{\"persons\":[{\"id_number\":\"%s\",\"tax\":{\"wage_income_fen\":"
	    "120000}},{\"id_number\":\"%s\",\"bank\":{\"accounts\":[{\"kind\":"
	    "\"deposit\",\"balance_fen\":" BALANCE "}]}}]}\n",
	    ids[0], ids[1]);
	fclose(f);
	if (!tsources_start(fx, sources, src_ports, NULL))
		return -1;
	for (int i = 0; i < 3; i++)
		snprintf(urls[i], sizeof urls[i], "%s", turl(src_ports[i]));
	snprintf(store_path, sizeof store_path, "%s", ttmp("retention.db"));
	if ((heduid = start(NULL)) == NULL)
		return -1;
	const char *members[] = {ids[0], ids[1]};
	return tconsent_cover(
	           port, "agency-330106", "SQ-RET-1", "330106", members, 2)
	           ? 0
	           : -1;
}

static int teardown(void **state)
{
	(void)state;
	int st = tproc_stop(heduid);
	for (int i = 0; i < 3; i++)
		tproc_stop(sources[i]);
	return st == 0 ? 0 : -1;
}

static rpc_code verify(int m, const char *rid,
    Hedui__V1__VerifyHouseholdResponse **r, rpc_status *st)
{
	Hedui__V1__Household h = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member mem = HEDUI__V1__MEMBER__INIT, *mp = &mem;
	h.case_id = "case-retention";
	h.request_id = (char *)rid;
	h.region_code = "330106";
	h.area = "urban";
	h.program = "dibao";
	h.as_of = "2026-11-01";
	h.members = &mp;
	h.n_members = 1;
	mem.id_number = ids[m];
	mem.name = "测试";
	mem.relation = "applicant";
	mem.consent_ref = "SQ-RET-1";
	rpc_client *c = tclient(port, "agency-330106");
	assert_non_null(c);
	rpc_code code = tagency_verify(c, "agency-330106", &h, r, st);
	rpc_client_free(c);
	return code;
}

static rpc_code get(
    const char *id, Hedui__V1__VerifyHouseholdResponse **r, rpc_status *st)
{
	rpc_client *c = tclient(port, "agency-330106");
	assert_non_null(c);
	rpc_code code = tagency_get_report(c, "agency-330106", id, r, st);
	rpc_client_free(c);
	return code;
}

static bool file_has(const char *path, const char *text)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc(size > 0 ? (size_t)size : 1);
	size_t n = fread(buf, 1, (size_t)size, f);
	fclose(f);
	bool found = memmem(buf, n, text, strlen(text)) != NULL;
	free(buf);
	return found;
}

static bool store_has(const char *text)
{
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", store_path);
	return file_has(store_path, text) || file_has(wal, text);
}

static void sql(const char *stmt)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(store_path, &db), SQLITE_OK);
	/* As heduid's own connections: this edit must not leave a copy of
	 * the row behind that heduid never wrote. */
	assert_int_equal(
	    sqlite3_exec(db, "PRAGMA secure_delete=ON", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, stmt, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t sql_int(const char *q)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	if (sqlite3_open_v2(store_path, &db, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void old_report_is_purged_others_kept(void **state)
{
	(void)state;
	Hedui__V1__VerifyHouseholdResponse *a = NULL, *b = NULL, *r = NULL;
	rpc_status st;
	char log[512], url[64], ca[600], cert[600], key[600], crt[600];
	char saved[600], q[256], aid[48];
	assert_int_equal(verify(1, "ret-old", &a, &st), RPC_OK);
	assert_int_equal(verify(0, "ret-new", &b, &st), RPC_OK);
	snprintf(aid, sizeof aid, "%s", a->verdict->report_id);
	assert_int_equal(a->verdict->financial_assets_fen, 987654321);

	/* A copy saved by the CLI while the report is whole. */
	snprintf(url, sizeof url, "%s", turl(port));
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("agency-330106.crt"));
	snprintf(key, sizeof key, "%s", tcert("agency-330106.key"));
	snprintf(crt, sizeof crt, "%s", tcert("heduid.crt"));
	snprintf(saved, sizeof saved, "%s", ttmp("saved-report.bin"));
	const char *save[] = {"--server", url, "--ca", ca, "--cert", cert,
	    "--key", key, "report", "get", aid, "-o", saved, NULL};
	assert_int_equal(tagency_cli(save, log), 0);
	assert_true(store_has(BALANCE)); /* what the purge must remove */

	/* Forty days pass for report A while heduid is stopped. */
	assert_int_equal(tproc_stop(heduid), 0);
	heduid = NULL;
	snprintf(q, sizeof q,
	    "UPDATE report SET created_ms = created_ms - 40 * 86400000 "
	    "WHERE report_id = '%s'",
	    aid);
	sql(q);
	assert_non_null(heduid = start("30"));

	/* heduid purges it by itself, a second after it starts. */
	rpc_code code = RPC_OK;
	for (int i = 0; i < 150 && (code = get(aid, &r, &st)) == RPC_OK; i++) {
		protobuf_c_message_free_unpacked(&r->base, NULL);
		r = NULL;
		usleep(100000);
	}
	assert_int_equal(code, RPC_FAILED_PRECONDITION);
	char today[11];
	consent_date_format(idnum_date_today(), today);
	assert_non_null(strstr(st.message, "purged on"));
	assert_non_null(strstr(st.message, today));
	/* The content is gone from the files, the log included (the scrub
	 * follows the purge). */
	for (int i = 0; i < 100 && store_has(BALANCE); i++)
		usleep(100000);
	assert_false(store_has(BALANCE));

	/* The other report is untouched. */
	assert_int_equal(get(b->verdict->report_id, &r, &st), RPC_OK);
	assert_int_equal(r->report.len, b->report.len);
	assert_memory_equal(r->report.data, b->report.data, b->report.len);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* A retry of the purged report's request: no second report. */
	assert_int_equal(
	    verify(1, "ret-old", &r, &st), RPC_FAILED_PRECONDITION);
	assert_non_null(strstr(st.message, aid));
	assert_non_null(strstr(st.message, today));

	/* What remains: its hash and conclusion; the purge is audited. */
	uint8_t md[32];
	char hex[65];
	SHA256(a->report.data, a->report.len, md);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	snprintf(q, sizeof q,
	    "SELECT count(*) FROM report WHERE report_id = '%s' AND "
	    "report_sha256 = X'%s' AND conclusion = '%s' AND "
	    "length(report) = 0",
	    aid, hex, a->verdict->conclusion);
	assert_int_equal(sql_int(q), 1);
	assert_int_equal(sql_int("SELECT sum(count) FROM audit WHERE method"
	                         " = 'heduid/RetentionPurge'"),
	    1);

	/* The audit trail verifies, by the library and by the CLI. */
	const char *av[] = {"audit", "verify", "--store", store_path, NULL};
	assert_int_equal(tagency_cli(av, log), 0);
	assert_true(tfile_contains(log, "chain intact"));
	/* The saved copy verifies offline. */
	const char *rv[] = {
	    "report", "verify", saved, "--cert", crt, "--ca", ca, NULL};
	assert_int_equal(tagency_cli(rv, log), 0);
	assert_true(tfile_contains(log, "OK: report"));

	/* The statistics still count it (they were kept at commit). */
	rpc_client *c = tclient(port, "agency-330106");
	Hedui__V1__StatsQuery sq = HEDUI__V1__STATS_QUERY__INIT;
	Hedui__V1__StatsResponse *sr = NULL;
	char from[11], to[11];
	consent_date_format(
	    consent_date_add_days(idnum_date_today(), -1), from);
	consent_date_format(consent_date_add_days(idnum_date_today(), 1), to);
	sq.from = from;
	sq.to = to;
	assert_int_equal(
	    tagency_stats(c, "agency-330106", &sq, &sr, &st), RPC_OK);
	assert_int_equal(sr->checks, 2);
	protobuf_c_message_free_unpacked(&sr->base, NULL);
	rpc_client_free(c);
	protobuf_c_message_free_unpacked(&a->base, NULL);
	protobuf_c_message_free_unpacked(&b->base, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(old_report_is_purged_others_kept),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
