/* SPDX-License-Identifier: MIT */
/*
 * hedui monitor end to end (docs/MONITORING.md), real processes over TLS:
 * a generated enrolled population of Beijing's districts (agency-1101),
 * its roster, the three sources and heduid. One run is broken three ways
 * at random points: kill -9 of heduid (the CLI gives up, exit 4; heduid
 * restarts on its store), Ctrl-C of the CLI (exit 130), kill -9 of the
 * CLI with a torn line left in its results; then the same command again
 * finishes (exit 0), and once more changes nothing.
 *
 * Then: the results file holds every roster household exactly once; the
 * store holds exactly one report per household that got a verdict and
 * none for the refused; `hedui audit verify` says the chain is intact;
 * and every household's class is what this test computes itself from the
 * report in heduid's store and the roster line (expect_class below: not
 * the CLI's code), every class present at least once. The alerts hold
 * exactly the households that need an officer, grouped by county.
 *
 * The roster's standing consents are registered first (heduid runs in its
 * default registry mode); a second run revokes one household's consent
 * while under way: that household alone is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "consent_form.h"
#include "hedui/v1/verifier.pb-c.h"
#include "tsource.h"
#include "tsupport.h"

/* Persons in the population: about 400 households. */
#define POP_SIZE "1000"
#define OUT_OF_REGION_LINE 2 /* the crafted line's place (after a blank) */

static char pop[512], roster[512], out[512], results[600], store[512];
static char rate[16] = "250";
static tproc *sources[3];
static int src_ports[3], port;
static tproc *heduid;
static unsigned seed;

static void run_or_fail(const char *name, char *const argv[], int want)
{
	tproc *p = tproc_start(name, argv);
	assert_non_null(p);
	int st = tproc_wait(p, 120000);
	if (st != want) {
		print_error("%s exited %d, not %d (log %s)\n", name, st, want,
		    tproc_log(p));
		fail();
	}
	tproc_stop(p);
}

static void start_heduid(void)
{
	char bank[64], tax[64], prop[64];
	snprintf(bank, sizeof bank, "%s", turl(src_ports[0]));
	snprintf(tax, sizeof tax, "%s", turl(src_ports[1]));
	snprintf(prop, sizeof prop, "%s", turl(src_ports[2]));
	const char *extra[] = {
	    "--bank", bank, "--tax", tax, "--property", prop, NULL};
	heduid = theduid_start_at(port, store, extra);
	assert_non_null(heduid);
}

/* A household of Hangzhou's 330106 on Beijing's roster: heduid refuses
 * it (PERMISSION_DENIED) for the agency of 1101. */
static const char out_of_region[] =
    "{\"case_id\":\"330106-2026-900001\",\"region_code\":\"330106\","
    "\"area\":\"urban\",\"as_of\":\"2026-11-01\",\"members\":[{"
    "\"id_number\":\"11010519491231002X\",\"name\":\"张三\",\"relation\":"
    "\"applicant\",\"consent_ref\":\"SQ-1\"}],\"enrollment\":{\"program\":"
    "\"dibao\",\"category\":\"dibao\",\"monthly_benefit_fen\":50000,"
    "\"since\":\"2025-01-01\"}}\n";

/* The office registers the enrolled's standing consents, as its system
 * did when each was signed (the roster's members without a consent on
 * file have none). */
static void register_consents(const char *dir)
{
	char server[64], ca[512], cert[512], key[512], file[700];
	snprintf(server, sizeof server, "%s", turl(port));
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("agency-1101.crt"));
	snprintf(key, sizeof key, "%s", tcert("agency-1101.key"));
	for (int i = 1;; i++) {
		snprintf(file, sizeof file, "%s/consents-%06d.json", dir, i);
		if (access(file, R_OK) != 0) {
			assert_true(i > 1);
			break;
		}
		char *argv[] = {(char *)tbin("hedui"), "--server", server,
		    "--ca", ca, "--cert", cert, "--key", key, "consent", "add",
		    file, NULL};
		run_or_fail("hedui-consent", argv, 0);
	}
}

static int setup(void **state)
{
	(void)state;
	ttls_init();
	seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	fprintf(stderr, "test_monitor: random points from seed %u\n", seed);
	snprintf(pop, sizeof pop, "%s", ttmp("pop"));
	snprintf(roster, sizeof roster, "%s", ttmp("generated.jsonl"));
	char rc[600];
	snprintf(rc, sizeof rc, "%s/roster-consents", pop);
	char *gen[] = {(char *)tbin("hedui-source"), "gen", "--size", POP_SIZE,
	    "--seed", "14", "--region", "1101", "--households", "0",
	    "--roster", roster, "--roster-consents", rc, "--out", pop, NULL};
	run_or_fail("gen", gen, 0);

	/* The roster an office exports: a blank line, a household of
	 * another region, then the generated ones. */
	char generated[512];
	snprintf(generated, sizeof generated, "%s", roster);
	snprintf(roster, sizeof roster, "%s", ttmp("roster.jsonl"));
	FILE *in = fopen(generated, "rb"), *o = fopen(roster, "wb");
	assert_non_null(in);
	assert_non_null(o);
	fputs("\n", o);
	fputs(out_of_region, o);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, o);
	fclose(in);
	fclose(o);

	const char *kinds[3] = {"bank", "tax", "property"};
	for (int k = 0; k < 3; k++) {
		char db[600];
		snprintf(db, sizeof db, "%s/%s.db", pop, kinds[k]);
		sources[k] =
		    tsource_start(kinds[k], "--db", db, NULL, &src_ports[k]);
		assert_non_null(sources[k]);
	}
	snprintf(store, sizeof store, "%s", ttmp("heduid.db"));
	snprintf(out, sizeof out, "%s", ttmp("monitor"));
	snprintf(results, sizeof results, "%s/results.jsonl", out);
	port = tport_free();
	start_heduid();
	register_consents(rc);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tproc_stop(heduid);
	for (int k = 0; k < 3; k++)
		tproc_stop(sources[k]);
	return 0;
}

/* The command an office runs each time: the same one. */
static tproc *start_monitor(void)
{
	static char server[64], ca[512], cert[512], key[512];
	snprintf(server, sizeof server, "%s", turl(port));
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("agency-1101.crt"));
	snprintf(key, sizeof key, "%s", tcert("agency-1101.key"));
	char *argv[] = {(char *)tbin("hedui"), "--server", server, "--ca", ca,
	    "--cert", cert, "--key", key, "--operator", "night-run",
	    "--deadline", "3000", "monitor", roster, "--out", out, "--rate",
	    rate, "--batch", "16", "--inflight", "2", "--give-up", "2",
	    "--progress", "1", NULL};
	tproc *p = tproc_start("hedui-monitor", argv);
	assert_non_null(p);
	return p;
}

static long count_lines(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	long n = 0;
	int c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Waits until the results file holds at least n records (the header is
 * line 1); false when the run ended first. */
static bool wait_records(tproc *p, long n)
{
	for (int i = 0; i < 60000; i++) {
		if (count_lines(results) - 1 >= n)
			return true;
		if (!tproc_alive(p))
			return false;
		usleep(1000);
	}
	return false;
}

static long households_in_roster(void)
{
	/* Every line but the blank one. */
	return count_lines(roster) - 1;
}

/* A random point between lo and hi (fractions of the roster, 1/100). */
static long random_point(long done, int lo, int hi)
{
	long total = households_in_roster();
	long left = total - done;
	return done + left * (lo + rand() % (hi - lo + 1)) / 100;
}

/* --- the independent check ----------------------------------------------- */

/* The class of docs/MONITORING.md, computed here from the stored report
 * and the roster line's enrollment, not by the code under test. */
static const char *expect_class(
    json_t *enrollment, const Hedui__V1__Verdict *v)
{
	if (v == NULL)
		return "refused";
	if (strcmp(v->conclusion, "needs_review") == 0)
		return "needs_review";
	if (strcmp(v->conclusion, "does_not_meet") == 0)
		return "no_longer_eligible";
	assert_string_equal(v->conclusion, "meets");
	const char *cat =
	    json_string_value(json_object_get(enrollment, "category"));
	json_int_t paid = json_integer_value(
	    json_object_get(enrollment, "monthly_benefit_fen"));
	if (strcmp(v->category, "gradual_exit") == 0)
		return strcmp(cat, "gradual_exit") == 0 ? "unchanged"
		                                        : "gradual_exit";
	if (strcmp(v->category, cat) != 0)
		return "benefit_changed";
	bool estimated = strcmp(cat, "dibao") == 0 ||
	                 strcmp(cat, "single_person") == 0 ||
	                 strcmp(cat, "tekun") == 0;
	if (estimated && v->estimated_monthly_benefit_fen != paid)
		return "benefit_changed";
	return "unchanged";
}

static Hedui__V1__Verdict *stored_report(sqlite3 *db, const char *report_id)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
	                     "SELECT report FROM report WHERE report_id = ?",
	                     -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, report_id, -1, SQLITE_STATIC);
	Hedui__V1__Verdict *v = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = hedui__v1__verdict__unpack(NULL,
		    (size_t)sqlite3_column_bytes(st, 0),
		    sqlite3_column_blob(st, 0));
	sqlite3_finalize(st);
	return v;
}

static long long store_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The roster's lines by physical number (1-based; NULL for blank). */
static json_t **load_roster(long *nlines)
{
	FILE *f = fopen(roster, "rb");
	assert_non_null(f);
	json_t **lines = calloc(4096, sizeof *lines);
	char *buf = malloc(1 << 20);
	long n = 0;
	while (fgets(buf, 1 << 20, f) != NULL) {
		n++;
		assert_true(n < 4096);
		if (buf[0] != '\n')
			lines[n] = json_loads(buf, 0, NULL);
	}
	fclose(f);
	free(buf);
	*nlines = n;
	return lines;
}

static bool lacks_consent(json_t *line)
{
	json_t *members = json_object_get(line, "members"), *m;
	size_t i;
	json_array_foreach(members, i,
	    m) if (json_object_get(m, "consent_ref") == NULL) return true;
	return false;
}

/* The line whose consent test consents_during_a_run revokes, and the
 * one whose consents it registers expiring soon, with their last valid
 * day (0: none). */
static long revoked_line, expiring_line;
static char expiring_until[11];

static void check_everything(long reports_before_last)
{
	long nlines;
	json_t **lines = load_roster(&nlines);
	long households = households_in_roster();
	sqlite3 *db;
	assert_int_equal(
	    sqlite3_open_v2(store, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);

	FILE *f = fopen(results, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 16);
	uint8_t *seen = calloc((size_t)nlines + 1, 1);
	long records = 0, with_report = 0, want_alerts = 0;
	int per_class[6] = {0};
	static const char *const names[6] = {"unchanged", "benefit_changed",
	    "gradual_exit", "no_longer_eligible", "needs_review", "refused"};
	bool header = true;
	while (fgets(buf, 1 << 16, f) != NULL) {
		assert_non_null(strchr(buf, '\n'));
		json_t *r = json_loads(buf, 0, NULL);
		assert_non_null(r);
		if (header) {
			assert_non_null(json_object_get(r, "run_id"));
			assert_int_equal(json_integer_value(json_object_get(
			                     r, "roster_households")),
			    households);
			header = false;
			json_decref(r);
			continue;
		}
		records++;
		long line =
		    (long)json_integer_value(json_object_get(r, "line"));
		assert_true(line >= 1 && line <= nlines);
		assert_non_null(lines[line]); /* a household, not the blank */
		assert_int_equal(seen[line], 0); /* exactly once */
		seen[line] = 1;
		const char *cls =
		    json_string_value(json_object_get(r, "class"));
		json_t *verdict = json_object_get(r, "verdict");
		json_t *refused = json_object_get(r, "refused");
		Hedui__V1__Verdict *v = NULL;
		if (verdict != NULL) {
			const char *id = json_string_value(
			    json_object_get(verdict, "report_id"));
			v = stored_report(db, id);
			assert_non_null(v); /* the report is in the store */
			assert_string_equal(v->request_id,
			    json_string_value(
			        json_object_get(r, "request_id")));
			assert_string_equal(v->case_id,
			    json_string_value(
			        json_object_get(lines[line], "case_id")));
			with_report++;
		} else {
			assert_non_null(refused);
			const char *code = json_string_value(
			    json_object_get(refused, "code"));
			const char *by =
			    json_string_value(json_object_get(refused, "by"));
			if (line == OUT_OF_REGION_LINE) {
				assert_string_equal(code, "PERMISSION_DENIED");
				assert_string_equal(by, "heduid");
			} else if (line == revoked_line) {
				/* Its consent revoked under way: heduid
				 * refuses it, saying so. */
				assert_string_equal(
				    code, "FAILED_PRECONDITION");
				assert_string_equal(by, "heduid");
				assert_non_null(strstr(
				    json_string_value(
				        json_object_get(refused, "message")),
				    "was revoked on"));
			} else {
				/* The generated refusals: consent not on
				 * file, refused before anything is sent. */
				assert_true(lacks_consent(lines[line]));
				assert_string_equal(
				    code, "FAILED_PRECONDITION");
				assert_string_equal(by, "hedui");
			}
		}
		/* Only the household with consents expiring soon says so,
		 * and it is an alert whatever its class. */
		json_t *expires = json_object_get(r, "consent_expires");
		if (line == expiring_line) {
			assert_non_null(expires);
			assert_string_equal(
			    json_string_value(expires), expiring_until);
		} else {
			assert_null(expires);
		}
		want_alerts += strcmp(cls, "unchanged") != 0 || expires != NULL;
		const char *want = expect_class(
		    json_object_get(lines[line], "enrollment"), v);
		if (strcmp(want, cls) != 0) {
			print_error("line %ld: class %s, expected %s\n", line,
			    cls, want);
			fail();
		}
		for (int c = 0; c < 6; c++)
			per_class[c] += strcmp(cls, names[c]) == 0;
		/* Nothing personal in the clear: the ID number masked. */
		const char *app =
		    json_string_value(json_object_get(r, "applicant"));
		assert_int_equal(strlen(app), 18);
		assert_memory_equal(app + 6, "********", 8);
		if (v != NULL)
			hedui__v1__verdict__free_unpacked(v, NULL);
		json_decref(r);
	}
	fclose(f);
	assert_int_equal(records, households);
	for (int c = 0; c < 6; c++) {
		fprintf(stderr, "  %-20s %d\n", names[c], per_class[c]);
		if (per_class[c] == 0) {
			print_error("no household is %s\n", names[c]);
			fail();
		}
	}
	/* One report per household with a verdict, none else: exactly the
	 * ones the results name, never a second for a household re-sent. */
	assert_int_equal(
	    store_count(db, "SELECT count(*) FROM report"), with_report);
	assert_int_equal(store_count(db, "SELECT count(DISTINCT request_id) "
	                                 "FROM report"),
	    with_report);
	if (reports_before_last >= 0)
		assert_int_equal(with_report, reports_before_last);

	/* The alerts: every household but the unchanged, by county. */
	char path[700];
	snprintf(path, sizeof path, "%s/alerts.jsonl", out);
	FILE *a = fopen(path, "rb");
	assert_non_null(a);
	char last_county[8] = "";
	long last_line = 0, alerts = 0;
	while (fgets(buf, 1 << 16, a) != NULL) {
		json_t *r = json_loads(buf, 0, NULL);
		assert_non_null(r);
		const char *county =
		    json_string_value(json_object_get(r, "county"));
		long line =
		    (long)json_integer_value(json_object_get(r, "line"));
		int c = strcmp(county, last_county);
		assert_true(c > 0 || (c == 0 && line > last_line));
		snprintf(last_county, sizeof last_county, "%s", county);
		last_line = line;
		if (json_object_get(r, "consent_expires") == NULL)
			assert_string_not_equal(
			    json_string_value(json_object_get(r, "class")),
			    "unchanged");
		alerts++;
		json_decref(r);
	}
	fclose(a);
	assert_int_equal(alerts, want_alerts);
	snprintf(path, sizeof path, "%s/alerts.csv", out);
	assert_int_equal(count_lines(path), alerts + 1);

	free(seen);
	free(buf);
	for (long i = 0; i <= nlines; i++)
		json_decref(lines[i]);
	free(lines);
	sqlite3_close(db);
}

static void interrupted_three_ways_then_complete(void **state)
{
	(void)state;
	long total = households_in_roster();

	/* 1. kill -9 of heduid at a random point: the CLI gets no answer
	 * for --give-up and stops, exit 4. */
	tproc *m = start_monitor();
	long at = random_point(0, 10, 60);
	assert_true(wait_records(m, at));
	tproc_kill(heduid);
	heduid = NULL;
	assert_int_equal(tproc_wait(m, 60000), 4);
	assert_true(tproc_log_contains(m, "no answer from"));
	tproc_stop(m);
	long done1 = count_lines(results) - 1;
	assert_true(done1 >= at && done1 < total);

	/* heduid back on its store, where the CLI looks. */
	start_heduid();

	/* 2. Ctrl-C of the CLI at a random point: exit 130. */
	m = start_monitor();
	assert_true(wait_records(m, random_point(done1, 10, 50)));
	tproc_signal(m, SIGINT);
	assert_int_equal(tproc_wait(m, 60000), 130);
	assert_true(tproc_log_contains(m, "resuming run"));
	/* Plain progress lines: the CLI's stderr is not a terminal. */
	assert_true(tproc_log_contains(m, "hedui: monitor: "));
	tproc_stop(m);
	long done2 = count_lines(results) - 1;
	assert_true(done2 > done1 && done2 < total);

	/* 3. kill -9 of the CLI at a random point, and a torn line as a
	 * crash in the middle of a write leaves one. */
	m = start_monitor();
	assert_true(wait_records(m, random_point(done2, 10, 50)));
	tproc_kill(m);
	FILE *f = fopen(results, "ab");
	assert_non_null(f);
	fputs("{\"line\":77,\"request_id\":\"m-", f);
	fclose(f);

	/* 4. The same command again finishes. */
	m = start_monitor();
	assert_int_equal(tproc_wait(m, 120000), 0);
	assert_true(tproc_log_contains(m, "resuming run"));
	tproc_stop(m);
	check_everything(-1);

	/* 5. And once more: nothing to send, nothing new stored. */
	sqlite3 *db;
	assert_int_equal(
	    sqlite3_open_v2(store, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	long reports = (long)store_count(db, "SELECT count(*) FROM report");
	sqlite3_close(db);
	m = start_monitor();
	assert_int_equal(tproc_wait(m, 60000), 0);
	tproc_stop(m);
	check_everything(reports);

	/* The audit trail's chain holds. */
	char *audit[] = {
	    (char *)tbin("hedui"), "audit", "verify", "--store", store, NULL};
	tproc *a = tproc_start("hedui-audit", audit);
	assert_non_null(a);
	assert_int_equal(tproc_wait(a, 60000), 0);
	assert_true(tproc_log_contains(a, "chain intact"));
	tproc_stop(a);
}

/* The generated consent files of dir into out, those of the household
 * of case_id (numbered SQ-CASE_ID-N) valid until until instead. */
static void copy_consents_expiring(
    const char *dir, const char *out, const char *case_id, const char *until)
{
	char prefix[96], src[700], dst[700];
	snprintf(prefix, sizeof prefix, "SQ-%s-", case_id);
	assert_true(mkdir(out, 0700) == 0);
	int changed = 0;
	for (int i = 1;; i++) {
		snprintf(src, sizeof src, "%s/consents-%06d.json", dir, i);
		if (access(src, R_OK) != 0)
			break;
		json_t *list = json_load_file(src, 0, NULL), *c;
		assert_non_null(list);
		size_t k;
		json_array_foreach(list, k, c)
		{
			const char *n =
			    json_string_value(json_object_get(c, "number"));
			if (strncmp(n, prefix, strlen(prefix)) == 0) {
				json_object_set_new(
				    c, "valid_until", json_string(until));
				changed++;
			}
		}
		snprintf(dst, sizeof dst, "%s/consents-%06d.json", out, i);
		assert_int_equal(json_dump_file(list, dst, JSON_COMPACT), 0);
		json_decref(list);
	}
	assert_true(changed > 0);
}

/* The first household of the roster whose members all have a consent on
 * file. */
static long first_consenting_line(json_t **lines, long nlines)
{
	for (long l = 1; l <= nlines; l++)
		if (lines[l] != NULL && l != OUT_OF_REGION_LINE &&
		    !lacks_consent(lines[l]))
			return l;
	fail();
	return 0;
}

/* The last household of the roster whose members all have a consent on
 * file. */
static long last_consenting_line(json_t **lines, long nlines)
{
	for (long l = nlines; l > 0; l--)
		if (lines[l] != NULL && l != OUT_OF_REGION_LINE &&
		    !lacks_consent(lines[l]))
			return l;
	fail();
	return 0;
}

/*
 * 先授权后核对 during a run: a consent revoked while the run is under way
 * stops its household's check from that moment (refused by heduid, naming
 * the revocation), and nothing else of the run changes. On a store of its
 * own, so that the run's reports are the only ones.
 */
static void consents_during_a_run(void **state)
{
	(void)state;
	tproc_stop(heduid);
	snprintf(store, sizeof store, "%s", ttmp("heduid-revoke.db"));
	snprintf(out, sizeof out, "%s", ttmp("monitor-revoke"));
	snprintf(results, sizeof results, "%s/results.jsonl", out);
	start_heduid();

	long nlines;
	json_t **lines = load_roster(&nlines);
	revoked_line = last_consenting_line(lines, nlines);
	/* And one household's consents end in ten days: the run lists it
	 * in its alerts (--consent-days, 30 by default). */
	expiring_line = first_consenting_line(lines, nlines);
	consent_date_format(
	    consent_date_add_days(idnum_date_today(), 10), expiring_until);
	char rc[600], rc2[600];
	snprintf(rc, sizeof rc, "%s/roster-consents", pop);
	snprintf(rc2, sizeof rc2, "%s", ttmp("consents-expiring"));
	copy_consents_expiring(rc,
	    rc2,
	    json_string_value(
	        json_object_get(lines[expiring_line], "case_id")),
	    expiring_until);
	register_consents(rc2);
	json_t *first = json_array_get(
	    json_object_get(lines[revoked_line], "members"), 0);
	char number[80], region[8];
	snprintf(number, sizeof number, "%s",
	    json_string_value(json_object_get(first, "consent_ref")));
	snprintf(region, sizeof region, "%s",
	    json_string_value(
	        json_object_get(lines[revoked_line], "region_code")));
	for (long i = 0; i <= nlines; i++)
		json_decref(lines[i]);
	free(lines);

	/* Slow enough that the revocation lands long before the last
	 * household is sent. */
	snprintf(rate, sizeof rate, "60");
	tproc *m = start_monitor();
	assert_true(wait_records(m, 40));
	char server[64], ca[512], cert[512], key[512];
	snprintf(server, sizeof server, "%s", turl(port));
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("agency-1101.crt"));
	snprintf(key, sizeof key, "%s", tcert("agency-1101.key"));
	char *revoke[] = {(char *)tbin("hedui"), "--server", server, "--ca",
	    ca, "--cert", cert, "--key", key, "consent", "revoke", number,
	    "--region", region, "--reason", "withdrawn by the member", NULL};
	run_or_fail("hedui-revoke", revoke, 0);
	/* Still under way: the revoked household is yet to be sent. */
	assert_true(count_lines(results) - 1 < households_in_roster() - 40);
	assert_int_equal(tproc_wait(m, 120000), 0);
	assert_true(tproc_log_contains(
	    m, "consents of the agency's regions expire within 30 days"));
	tproc_stop(m);
	snprintf(rate, sizeof rate, "250");
	check_everything(-1);
	revoked_line = expiring_line = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(interrupted_three_ways_then_complete),
	    cmocka_unit_test(consents_during_a_run),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
