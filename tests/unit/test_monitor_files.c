/* SPDX-License-Identifier: MIT */
/* What a monitoring run keeps (docs/MONITORING.md): the classes, request
 * ids, records and the header as JSON, the results file (new, resumed, a
 * torn last line cut, damage and another run refused, the lock), the
 * alerts (grouped by county, CSV as Excel and WPS read it) and the
 * progress line. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor_alerts.h"
#include "monitor_class.h"
#include "monitor_ids.h"
#include "monitor_progress.h"
#include "monitor_record.h"
#include "monitor_results.h"
#include "monitor_sort.h"

/* --- classes --------------------------------------------------------------
 */

static roster_enrollment enr(const char *program, const char *cat, int64_t b)
{
	roster_enrollment e;
	memset(&e, 0, sizeof e);
	snprintf(e.program, sizeof e.program, "%s", program);
	snprintf(e.category, sizeof e.category, "%s", cat);
	e.monthly_benefit_fen = b;
	e.since = 20240101;
	return e;
}

static mon_class cls(roster_enrollment e, const char *conclusion,
    const char *cat, int64_t benefit, int months)
{
	mon_verdict v = {conclusion, cat, benefit, months};
	return mon_classify(&e, &v);
}

static void classes(void **state)
{
	(void)state;
	roster_enrollment d = enr("dibao", "dibao", 120000);
	assert_int_equal(mon_classify(&d, NULL), MON_REFUSED);
	assert_int_equal(
	    cls(d, "needs_review", "none", 0, 0), MON_NEEDS_REVIEW);
	assert_int_equal(
	    cls(d, "does_not_meet", "none", 0, 0), MON_NO_LONGER_ELIGIBLE);
	assert_int_equal(
	    cls(d, "meets", "gradual_exit", 0, 6), MON_GRADUAL_EXIT);
	assert_int_equal(cls(d, "meets", "dibao", 120000, 0), MON_UNCHANGED);
	assert_int_equal(
	    cls(d, "meets", "dibao", 120100, 0), MON_BENEFIT_CHANGED);
	assert_int_equal(
	    cls(d, "meets", "single_person", 120000, 0), MON_BENEFIT_CHANGED);
	/* Already exiting: the exit goes on; income back down is a change. */
	roster_enrollment x = enr("dibao", "gradual_exit", 90000);
	assert_int_equal(cls(x, "meets", "gradual_exit", 0, 6), MON_UNCHANGED);
	assert_int_equal(
	    cls(x, "meets", "dibao", 90000, 0), MON_BENEFIT_CHANGED);
	/* No amount is estimated for marginal or hardship: not compared. */
	roster_enrollment m = enr("marginal", "marginal", 30000);
	assert_int_equal(cls(m, "meets", "marginal", 0, 0), MON_UNCHANGED);
	assert_int_equal(
	    cls(m, "meets", "dibao", 50000, 0), MON_BENEFIT_CHANGED);
	roster_enrollment h = enr("hardship", "hardship", 10000);
	assert_int_equal(cls(h, "meets", "hardship", 0, 0), MON_UNCHANGED);
	roster_enrollment t = enr("tekun", "tekun", 130000);
	assert_int_equal(cls(t, "meets", "tekun", 130000, 0), MON_UNCHANGED);
	assert_int_equal(
	    cls(t, "meets", "tekun", 110000, 0), MON_BENEFIT_CHANGED);

	for (int c = 0; c < MON_CLASS_COUNT; c++) {
		mon_class back;
		assert_true(
		    mon_class_parse(mon_class_name((mon_class)c), &back));
		assert_int_equal(back, c);
		assert_int_equal(
		    mon_class_alert((mon_class)c), c != MON_UNCHANGED);
	}
	mon_class back;
	assert_false(mon_class_parse("changed", &back));
}

/* --- request ids -----------------------------------------------------------
 */

static void request_ids(void **state)
{
	(void)state;
	char a[MON_REQUEST_ID_MAX + 1], b[MON_REQUEST_ID_MAX + 1];
	assert_int_equal(mon_request_id("r1", 7, "{}", 2, a), HD_OK);
	assert_int_equal(mon_request_id("r1", 7, "{}", 2, b), HD_OK);
	assert_string_equal(a, b); /* the same every time: resumable */
	assert_int_equal(strncmp(a, "m-r1-7-", 7), 0);
	assert_int_equal(strlen(a), 7 + 12);
	assert_int_equal(mon_request_id("r1", 8, "{}", 2, b), HD_OK);
	assert_string_not_equal(a, b); /* another line */
	assert_int_equal(mon_request_id("r1", 7, "{ }", 3, b), HD_OK);
	assert_string_not_equal(a, b); /* the line edited */
	assert_int_equal(mon_request_id("r2", 7, "{}", 2, b), HD_OK);
	assert_string_not_equal(a, b); /* another run */
	/* The longest fits heduid's 64 characters. */
	char run[MON_RUN_ID_MAX + 1];
	memset(run, 'z', MON_RUN_ID_MAX);
	run[MON_RUN_ID_MAX] = '\0';
	assert_true(mon_run_id_ok(run));
	assert_int_equal(mon_request_id(run, UINT64_MAX, "{}", 2, a), HD_OK);
	assert_true(strlen(a) <= 64);
	assert_false(mon_run_id_ok(""));
	assert_false(mon_run_id_ok("a b"));
	assert_false(mon_run_id_ok("a\"b"));
	char fresh[MON_RUN_ID_MAX + 1];
	assert_int_equal(mon_run_id_new(20261101, fresh), HD_OK);
	assert_true(mon_run_id_ok(fresh));
	assert_int_equal(strncmp(fresh, "20261101-", 9), 0);
}

/* --- records ------------------------------------------------------------- */

static mon_record rec_verdict(uint64_t line, const char *county, mon_class c)
{
	mon_record r;
	memset(&r, 0, sizeof r);
	r.line = line;
	snprintf(r.request_id, sizeof r.request_id, "m-t-%llu-0123456789ab",
	    (unsigned long long)line);
	snprintf(r.county, sizeof r.county, "%s", county);
	snprintf(r.case_id, sizeof r.case_id, "%s-2026-%06llu", county,
	    (unsigned long long)line);
	snprintf(r.applicant, sizeof r.applicant, "330106********002X");
	r.household_size = 3;
	r.enrolled = enr("dibao", "dibao", 120000);
	r.cls = c;
	r.has_verdict = true;
	snprintf(r.report_id, sizeof r.report_id, "HD-%llu",
	    (unsigned long long)line);
	snprintf(r.conclusion, sizeof r.conclusion, "meets");
	snprintf(r.category, sizeof r.category, "dibao");
	r.benefit_fen = 110050;
	snprintf(r.reasons, sizeof r.reasons, "A_B,C");
	return r;
}

static mon_record rec_refused(uint64_t line, const char *county)
{
	mon_record r = rec_verdict(line, county, MON_REFUSED);
	r.has_verdict = false;
	memset(r.report_id, 0, sizeof r.report_id);
	memset(r.conclusion, 0, sizeof r.conclusion);
	memset(r.category, 0, sizeof r.category);
	memset(r.reasons, 0, sizeof r.reasons);
	r.benefit_fen = 0;
	snprintf(r.status, sizeof r.status, "PERMISSION_DENIED");
	snprintf(r.message, sizeof r.message, "=cmd, \"quoted\"\nnext");
	snprintf(r.refused_by, sizeof r.refused_by, "heduid");
	return r;
}

static void records_round_trip(void **state)
{
	(void)state;
	char buf[4096];
	mon_record in[2] = {rec_verdict(12, "330106", MON_BENEFIT_CHANGED),
	    rec_refused(13, "")};
	for (int i = 0; i < 2; i++) {
		size_t n = mon_record_format(&in[i], buf, sizeof buf);
		assert_true(n > 0);
		assert_int_equal(buf[n - 1], '\n');
		mon_record out;
		assert_int_equal(mon_record_parse(buf, n - 1, &out), HD_OK);
		assert_memory_equal(&out, &in[i], sizeof out);
	}
	/* A refused class with a verdict, or a verdict class without one, is
	 * not a record. */
	mon_record odd = rec_verdict(1, "330106", MON_REFUSED);
	size_t n = mon_record_format(&odd, buf, sizeof buf);
	mon_record out;
	assert_int_equal(mon_record_parse(buf, n - 1, &out), HD_EINVAL);
	assert_int_equal(
	    mon_record_parse("{\"line\":1}", 10, &out), HD_EINVAL);
	assert_int_equal(mon_record_parse("{", 1, &out), HD_EDECODE);

	mon_header h, back;
	memset(&h, 0, sizeof h);
	snprintf(h.run_id, sizeof h.run_id, "20261101-abcdef");
	h.as_of = 20261101;
	h.households = 5;
	h.last_line = 9;
	memset(h.roster_sha256, 0xab, 32);
	memset(h.agency_sha256, 0x01, 32);
	snprintf(h.started_at, sizeof h.started_at, "2026-11-01T00:00:00Z");
	n = mon_header_format(&h, buf, sizeof buf);
	assert_true(n > 0);
	assert_int_equal(mon_header_parse(buf, n - 1, &back), HD_OK);
	assert_memory_equal(&back, &h, sizeof h);

	char y[32];
	mon_fen_yuan(123405, y, sizeof y);
	assert_string_equal(y, "1234.05");
	mon_fen_yuan(-50, y, sizeof y);
	assert_string_equal(y, "-0.50");
	mon_fen_yuan(0, y, sizeof y);
	assert_string_equal(y, "0.00");
}

/* --- the results file ------------------------------------------------------
 */

static char dir[64];
static char results[128];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/hedui-mon-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(results, sizeof results, "%s/results.jsonl", dir);
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static mon_header header(void)
{
	mon_header h;
	memset(&h, 0, sizeof h);
	snprintf(h.run_id, sizeof h.run_id, "run1");
	h.as_of = 20261101;
	h.households = 4;
	h.last_line = 6;
	memset(h.roster_sha256, 0x11, 32);
	memset(h.agency_sha256, 0x22, 32);
	snprintf(h.started_at, sizeof h.started_at, "2026-11-01T00:00:00Z");
	return h;
}

static hd_err open_results(
    mon_header *h, bool *resumed, mon_results **r, char *err, size_t errlen)
{
	return mon_results_open(results, h, resumed, r, err, errlen);
}

static void results_new_and_resumed(void **state)
{
	(void)state;
	char err[256];
	bool resumed;
	mon_results *r;
	mon_header h = header();
	assert_int_equal(
	    open_results(&h, &resumed, &r, err, sizeof err), HD_OK);
	assert_false(resumed);
	mon_record a = rec_verdict(2, "330106", MON_UNCHANGED);
	mon_record b = rec_refused(6, "330102");
	assert_int_equal(mon_results_add(r, &a), HD_OK);
	assert_int_equal(mon_results_add(r, &a), HD_EEXIST); /* once only */
	assert_int_equal(mon_results_add(r, &b), HD_OK);
	mon_record far = rec_verdict(7, "330106", MON_UNCHANGED);
	assert_int_equal(mon_results_add(r, &far), HD_EINVAL);
	assert_true(mon_results_done(r, 2));
	assert_false(mon_results_done(r, 3));
	assert_int_equal(mon_results_close(r), HD_OK);

	/* Resumed: the header comes from the file (its run id), the lines
	 * done are known, the counts are back. */
	mon_header again = header();
	again.run_id[0] = '\0';
	assert_int_equal(
	    open_results(&again, &resumed, &r, err, sizeof err), HD_OK);
	assert_true(resumed);
	assert_string_equal(again.run_id, "run1");
	assert_true(mon_results_done(r, 2));
	assert_true(mon_results_done(r, 6));
	assert_false(mon_results_done(r, 1));
	assert_int_equal(mon_results_count(r), 2);
	uint64_t c[MON_CLASS_COUNT];
	mon_results_classes(r, c);
	assert_int_equal(c[MON_UNCHANGED], 1);
	assert_int_equal(c[MON_REFUSED], 1);

	/* A second writer is refused while the first holds the file. */
	pid_t pid = fork();
	if (pid == 0) {
		mon_results *r2;
		mon_header h2 = header();
		hd_err e = open_results(&h2, &resumed, &r2, err, sizeof err);
		_exit(e == HD_EBUSY && strstr(err, "another") ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(mon_results_close(r), HD_OK);
}

static void append_text(const char *text)
{
	FILE *f = fopen(results, "ab");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static long file_size(void)
{
	struct stat st;
	assert_int_equal(stat(results, &st), 0);
	return (long)st.st_size;
}

static void results_torn_last_line(void **state)
{
	(void)state;
	char err[256];
	bool resumed;
	mon_results *r;
	mon_header h = header();
	assert_int_equal(
	    open_results(&h, &resumed, &r, err, sizeof err), HD_OK);
	mon_record a = rec_verdict(1, "330106", MON_UNCHANGED);
	assert_int_equal(mon_results_add(r, &a), HD_OK);
	assert_int_equal(mon_results_close(r), HD_OK);
	long whole = file_size();
	/* A crash in the middle of writing line 3's record. */
	append_text("{\"line\":3,\"request_id\":\"m-run1-3-");
	h = header();
	assert_int_equal(
	    open_results(&h, &resumed, &r, err, sizeof err), HD_OK);
	assert_true(resumed);
	assert_int_equal(file_size(), whole); /* cut */
	assert_false(mon_results_done(r, 3));
	mon_record c = rec_verdict(3, "330106", MON_UNCHANGED);
	assert_int_equal(mon_results_add(r, &c), HD_OK);
	assert_int_equal(mon_results_close(r), HD_OK);
	h = header();
	assert_int_equal(
	    open_results(&h, &resumed, &r, err, sizeof err), HD_OK);
	assert_int_equal(mon_results_count(r), 2);
	assert_int_equal(mon_results_close(r), HD_OK);

	/* Only a torn header: a fresh start. */
	unlink(results);
	append_text("{\"hedui_monitor\":1,\"run");
	h = header();
	assert_int_equal(
	    open_results(&h, &resumed, &r, err, sizeof err), HD_OK);
	assert_false(resumed);
	assert_int_equal(mon_results_close(r), HD_OK);
}

static void expect_refused(mon_header h, const char *says)
{
	char err[256];
	bool resumed;
	mon_results *r = NULL;
	assert_int_equal(
	    open_results(&h, &resumed, &r, err, sizeof err), HD_EINVAL);
	assert_null(r);
	if (strstr(err, says) == NULL) {
		print_error("\"%s\" lacks \"%s\"\n", err, says);
		fail();
	}
}

static void results_refused(void **state)
{
	(void)state;
	char err[256];
	bool resumed;
	mon_results *r;
	mon_header h = header();
	assert_int_equal(
	    open_results(&h, &resumed, &r, err, sizeof err), HD_OK);
	mon_record a = rec_verdict(1, "330106", MON_UNCHANGED);
	assert_int_equal(mon_results_add(r, &a), HD_OK);
	assert_int_equal(mon_results_close(r), HD_OK);

	h = header();
	h.roster_sha256[0] ^= 1;
	expect_refused(h, "another roster");
	h = header();
	h.households++;
	expect_refused(h, "another roster");
	h = header();
	h.agency_sha256[31] ^= 1;
	expect_refused(h, "another agency certificate");
	h = header();
	snprintf(h.run_id, sizeof h.run_id, "run2");
	expect_refused(h, "belongs to run run1");

	/* Damage in the middle, a repeated line, a line out of range. */
	long whole = file_size();
	append_text("not json\n");
	expect_refused(header(), "line 3 is damaged");
	assert_int_equal(truncate(results, whole), 0);
	char buf[4096];
	mon_record dup = rec_verdict(1, "330106", MON_UNCHANGED);
	mon_record_format(&dup, buf, sizeof buf);
	append_text(buf);
	expect_refused(header(), "repeats roster line 1");
	assert_int_equal(truncate(results, whole), 0);
	mon_record far = rec_verdict(99, "330106", MON_UNCHANGED);
	mon_record_format(&far, buf, sizeof buf);
	append_text(buf);
	expect_refused(header(), "does not have");

	/* Not a results file at all. */
	unlink(results);
	append_text("hello\n");
	expect_refused(header(), "not a hedui monitor results file");
}

/* --- alerts -----------------------------------------------------------------
 */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void alerts_by_county(void **state)
{
	(void)state;
	char err[256];
	bool resumed;
	mon_results *r;
	mon_header h = header();
	h.households = 6;
	h.last_line = 6;
	assert_int_equal(
	    open_results(&h, &resumed, &r, err, sizeof err), HD_OK);
	/* In roster order, counties interleaved. */
	mon_record recs[6] = {
	    rec_verdict(1, "330110", MON_BENEFIT_CHANGED),
	    rec_verdict(2, "330102", MON_UNCHANGED),
	    rec_refused(3, "330102"),
	    rec_verdict(4, "330110", MON_NO_LONGER_ELIGIBLE),
	    rec_verdict(5, "330102", MON_GRADUAL_EXIT),
	    rec_refused(6, ""),
	};
	for (int i = 0; i < 6; i++)
		assert_int_equal(mon_results_add(r, &recs[i]), HD_OK);
	assert_int_equal(mon_results_close(r), HD_OK);

	mon_tally t;
	memset(&t, 0, sizeof t);
	assert_int_equal(
	    mon_alerts_write(results, dir, &t, err, sizeof err), HD_OK);
	assert_int_equal(t.households, 6);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.counties[0].code, "330102");
	assert_string_equal(t.counties[1].code, "330110");
	assert_string_equal(t.counties[2].code, ""); /* unknown last */
	assert_int_equal(t.counties[0].counts[MON_UNCHANGED], 1);
	assert_int_equal(t.counties[0].counts[MON_REFUSED], 1);
	assert_int_equal(t.total[MON_REFUSED], 2);
	mon_tally_free(&t);

	/* JSONL: the alerts only, by county then line: 3, 5 | 1, 4 | 6. */
	char path[160];
	size_t len;
	snprintf(path, sizeof path, "%s/alerts.jsonl", dir);
	char *js = slurp(path, &len);
	const uint64_t order[] = {3, 5, 1, 4, 6};
	char *p = js;
	for (int i = 0; i < 5; i++) {
		char *nl = strchr(p, '\n');
		assert_non_null(nl);
		mon_record got;
		assert_int_equal(
		    mon_record_parse(p, (size_t)(nl - p), &got), HD_OK);
		assert_int_equal(got.line, order[i]);
		p = nl + 1;
	}
	assert_int_equal(*p, '\0');
	free(js);

	/* CSV: BOM, CRLF rows, Chinese headers with English, quoting, the
	 * formula guard, yuan from fen, masked ID numbers only. */
	snprintf(path, sizeof path, "%s/alerts.csv", dir);
	char *csv = slurp(path, &len);
	assert_memory_equal(csv, "\xef\xbb\xbf", 3);
	assert_non_null(strstr(csv, "区县代码(county),预警类别(alert),"));
	size_t rows = 0, bare = 0;
	for (size_t i = 0; i < len; i++)
		if (csv[i] == '\n') {
			if (i > 0 && csv[i - 1] == '\r')
				rows++;
			else
				bare++;
		}
	/* A header and five rows; the one bare line break is inside a quoted
	 * field (the test's message has one; the monitor's have none). */
	assert_int_equal(rows, 1 + 5);
	assert_int_equal(bare, 2);
	assert_non_null(strstr(csv, "\"'=cmd, \"\"quoted\"\"\nnext\""));
	assert_non_null(
	    strstr(csv, "1200.00,2024-01-01,符合(meets),"
	                "低保(dibao),1100.50,-99.50,0,\"A_B,C\","));
	assert_non_null(strstr(csv, "330106********002X"));
	char *first = strstr(csv, "\r\n") + 2;
	const char *row1 = "330102,核对被拒,refused,3,";
	assert_int_equal(strncmp(first, row1, strlen(row1)), 0);
	assert_non_null(strstr(csv, "\r\n未知(unknown),核对被拒,refused,6,"));
	free(csv);
	/* No spool left behind. */
	snprintf(path, sizeof path, "%s/.alerts-spool", dir);
	struct stat st;
	assert_int_not_equal(stat(path, &st), 0);
}

/* A household whose member's consent expires soon is an alert whatever
 * its class: it round-trips through the results, is counted, and its row
 * names the last valid day. */
static void alerts_for_expiring_consents(void **state)
{
	(void)state;
	char err[256], buf[4096];
	bool resumed;
	mon_results *r;
	mon_header h = header();
	h.households = 3;
	h.last_line = 3;
	assert_int_equal(
	    open_results(&h, &resumed, &r, err, sizeof err), HD_OK);
	mon_record recs[3] = {
	    rec_verdict(1, "330102", MON_UNCHANGED),
	    rec_verdict(2, "330110", MON_UNCHANGED),
	    rec_verdict(3, "330110", MON_BENEFIT_CHANGED),
	};
	snprintf(recs[0].consent_expires, sizeof recs[0].consent_expires,
	    "2026-12-20");
	snprintf(recs[2].consent_expires, sizeof recs[2].consent_expires,
	    "2027-01-02");
	for (int i = 0; i < 3; i++) {
		size_t n = mon_record_format(&recs[i], buf, sizeof buf);
		mon_record back;
		assert_int_equal(mon_record_parse(buf, n - 1, &back), HD_OK);
		assert_memory_equal(&back, &recs[i], sizeof back);
		assert_int_equal(mon_results_add(r, &recs[i]), HD_OK);
	}
	assert_int_equal(mon_results_close(r), HD_OK);
	/* Not a date: not a record. */
	mon_record odd = recs[0];
	snprintf(odd.consent_expires, sizeof odd.consent_expires, "soon");
	size_t n = mon_record_format(&odd, buf, sizeof buf);
	assert_int_equal(mon_record_parse(buf, n - 1, &odd), HD_EINVAL);

	mon_tally t;
	memset(&t, 0, sizeof t);
	assert_int_equal(
	    mon_alerts_write(results, dir, &t, err, sizeof err), HD_OK);
	assert_int_equal(t.consent_expiring, 2);
	assert_int_equal(t.total[MON_UNCHANGED], 2);
	mon_tally_free(&t);
	char path[160];
	size_t len;
	snprintf(path, sizeof path, "%s/alerts.jsonl", dir);
	char *js = slurp(path, &len);
	const uint64_t order[] = {1, 3};
	char *p = js;
	for (int i = 0; i < 2; i++) {
		char *nl = strchr(p, '\n');
		assert_non_null(nl);
		mon_record got;
		assert_int_equal(
		    mon_record_parse(p, (size_t)(nl - p), &got), HD_OK);
		assert_int_equal(got.line, order[i]);
		p = nl + 1;
	}
	assert_int_equal(*p, '\0');
	free(js);
	snprintf(path, sizeof path, "%s/alerts.csv", dir);
	char *csv = slurp(path, &len);
	assert_non_null(strstr(csv, ",授权到期日(consent_expires)\r\n"));
	assert_non_null(strstr(csv, "330102,无变化,unchanged,1,"));
	assert_non_null(strstr(csv, ",2026-12-20\r\n"));
	assert_non_null(strstr(csv, ",2027-01-02\r\n"));
	assert_null(strstr(csv, "unchanged,2,"));
	free(csv);
}

/* More counties than spool files open at once, results in the order a
 * run with retries and resumes makes (not the roster's), and a sort
 * budget so small that each county is merged from many runs: each county
 * still lists its households in roster order. */
static void alerts_many_counties(void **state)
{
	(void)state;
	char err[256];
	bool resumed;
	mon_results *r;
	mon_header h = header();
	h.households = h.last_line = 200;
	assert_int_equal(
	    open_results(&h, &resumed, &r, err, sizeof err), HD_OK);
	for (int k = 0; k < 200; k++) {
		int i = 1 + (k * 73) % 200; /* a permutation of 1..200 */
		char county[7];
		snprintf(
		    county, sizeof county, "%06d", 110000 + (i * 37) % 40);
		mon_record x = rec_verdict((uint64_t)i, county,
		    i % 3 ? MON_BENEFIT_CHANGED : MON_UNCHANGED);
		assert_int_equal(mon_results_add(r, &x), HD_OK);
	}
	assert_int_equal(mon_results_close(r), HD_OK);
	mon_tally t;
	memset(&t, 0, sizeof t);
	mon_alerts_sort_budget = 600;
	assert_int_equal(
	    mon_alerts_write(results, dir, &t, err, sizeof err), HD_OK);
	mon_alerts_sort_budget = MON_SORT_BUDGET;
	assert_int_equal(t.n, 40);
	mon_tally_free(&t);
	char path[160];
	size_t len;
	snprintf(path, sizeof path, "%s/alerts.jsonl", dir);
	char *js = slurp(path, &len);
	char last[8] = "";
	uint64_t last_line = 0, n = 0;
	for (char *p = js; *p;) {
		char *nl = strchr(p, '\n');
		mon_record got;
		assert_int_equal(
		    mon_record_parse(p, (size_t)(nl - p), &got), HD_OK);
		int c = strcmp(got.county, last);
		assert_true(c > 0 || (c == 0 && got.line > last_line));
		snprintf(last, sizeof last, "%s", got.county);
		last_line = got.line;
		n++;
		p = nl + 1;
	}
	assert_int_equal(n, 134); /* i % 3 != 0 of 1..200 */
	free(js);
}

/* --- progress ---------------------------------------------------------------
 */

static void progress_line(void **state)
{
	(void)state;
	uint64_t c[MON_CLASS_COUNT] = {900, 50, 20, 15, 10, 5};
	char buf[256];
	mon_progress_format(buf, sizeof buf, 1000, 100000, 500, c);
	assert_string_equal(buf,
	    "1,000/100,000 1.0% 500/s ETA 3:18 | unchanged 900 changed 50 "
	    "exit 20 ineligible 15 review 10 refused 5");
	mon_progress_format(buf, sizeof buf, 10, 5000000, 1, c);
	assert_non_null(strstr(buf, "ETA 1388:53:10"));
	mon_progress_format(buf, sizeof buf, 0, 10, -1, c);
	assert_non_null(strstr(buf, "0/10 0.0% -/s ETA -"));
	char t[32];
	mon_thousands(1234567, t, sizeof t);
	assert_string_equal(t, "1,234,567");
	mon_thousands(0, t, sizeof t);
	assert_string_equal(t, "0");

	/* Plain lines when not on a terminal, one per interval. */
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	mon_progress p;
	mon_progress_init(&p, f, false, 10);
	mon_progress_tick(&p, 1000, 0, 10, c, false);
	mon_progress_tick(&p, 2000, 5, 10, c, false); /* too soon */
	mon_progress_tick(&p, 11000, 8, 10, c, false);
	mon_progress_end(&p);
	fclose(f);
	int lines = 0;
	for (size_t i = 0; i < outlen; i++)
		lines += out[i] == '\n';
	assert_int_equal(lines, 2);
	assert_null(strchr(out, '\r'));
	assert_non_null(strstr(out, "hedui: monitor: 8/10 80.0% 1/s"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(classes),
	    cmocka_unit_test(request_ids),
	    cmocka_unit_test(records_round_trip),
	    cmocka_unit_test_setup_teardown(
	        results_new_and_resumed, setup_dir, teardown_dir),
	    cmocka_unit_test_setup_teardown(
	        results_torn_last_line, setup_dir, teardown_dir),
	    cmocka_unit_test_setup_teardown(
	        results_refused, setup_dir, teardown_dir),
	    cmocka_unit_test_setup_teardown(
	        alerts_by_county, setup_dir, teardown_dir),
	    cmocka_unit_test_setup_teardown(
	        alerts_for_expiring_consents, setup_dir, teardown_dir),
	    cmocka_unit_test_setup_teardown(
	        alerts_many_counties, setup_dir, teardown_dir),
	    cmocka_unit_test(progress_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
