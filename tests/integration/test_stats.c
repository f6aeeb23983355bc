/* SPDX-License-Identifier: MIT */
/*
 * hedui stats end to end: heduid with its store and three sources over
 * mutual TLS. Households of several counties, programs and outcomes
 * (one source stopped for some: source failures) are verified by three
 * agencies; the statistics each agency reads must equal the counts this
 * test makes from the verdicts it got back, within its own region
 * prefix only; a prefix outside it is refused, as is a period too long;
 * the CLI prints the same counts as CSV and JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent_form.h"
#include "idnum.h"
#include "tagency.h"
#include "tconsent.h"
#include "tsupport.h"

static tproc *heduid, *sources[3];
static int port, src_ports[3];
static char ids[4][IDNUM_LEN + 1], urls[3][64];
static char from[11], to[11];

/* What the verdicts said, to count here. */
typedef struct seen {
	char region[8], program[16], conclusion[16], category[16];
	char reasons[256], failures[96];
} seen;
static seen made[64];
static int nmade;

static bool write_fixtures(const char *path)
{
	tidnum_330106(ids[0], "19800101", 31);
	tidnum_330106(ids[1], "19820202", 42);
	tidnum_330106(ids[2], "19700303", 53);
	tidnum_330106(ids[3], "19750404", 64);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return false;
	fprintf(f,
	    "{\"persons\":[{\"id_number\":\"%s\",\"tax\":{\"wage_income_fen\":"
	    "9600000}},{\"id_number\":\"%s\",\"bank\":{\"accounts\":[{"
	    "\"kind\":\"deposit\",\"balance_fen\":987654321}]}},"
	    "{\"id_number\":\"%s\",\"tax\":{\"wage_income_fen\":120000}}]}\n",
	    ids[0], ids[2], ids[3]);
	return fclose(f) == 0;
}

static int setup(void **state)
{
	(void)state;
	ttls_init();
	if (!tagency_certs_with_33())
		return -1;
	const char *fx = ttmp("stats-fixtures.json");
	if (!write_fixtures(fx) ||
	    !tsources_start(fx, sources, src_ports, NULL))
		return -1;
	for (int i = 0; i < 3; i++)
		snprintf(urls[i], sizeof urls[i], "%s", turl(src_ports[i]));
	const char *extra[] = {
	    "--bank", urls[0], "--tax", urls[1], "--property", urls[2], NULL};
	if ((heduid = theduid_start_store(&port, ttmp("stats.db"), extra)) ==
	    NULL)
		return -1;
	/* The members' consents, in each region the test checks in. */
	const char *members[] = {ids[0], ids[1], ids[2], ids[3]};
	static const char *const regions[][2] = {{"330106", "agency-33"},
	    {"330108", "agency-33"}, {"330211", "agency-33"},
	    {"110105", "agency-1101"}};
	for (int i = 0; i < 4; i++)
		if (!tconsent_cover(port, regions[i][1], "SQ-STATS-1",
		        regions[i][0], members, 4))
			return -1;
	/* Reports are of today (China time); a day either side keeps the
	 * test right across midnight. */
	idnum_date today = idnum_date_today();
	consent_date_format(consent_date_add_days(today, -1), from);
	consent_date_format(consent_date_add_days(today, 1), to);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	int st = tproc_stop(heduid);
	for (int i = 0; i < 3; i++)
		tproc_stop(sources[i]);
	return st == 0 ? 0 : -1;
}

static void list_add(char *list, size_t cap, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; (p = strstr(p, item)) != NULL; p++)
		if ((p == list || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return;
	size_t l = strlen(list);
	snprintf(list + l, cap - l, "%s%s", l > 0 ? "," : "", item);
}

/* Verifies a household of member m as agency in region, and notes what
 * the verdict says. */
static void verify_one(rpc_client *c, const char *agency, const char *region,
    const char *program, int m, int seq)
{
	Hedui__V1__Household h = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member mem = HEDUI__V1__MEMBER__INIT, *mp = &mem;
	char rid[48];
	snprintf(rid, sizeof rid, "stats-%s-%d", region, seq);
	h.case_id = "case-stats";
	h.request_id = rid;
	h.region_code = (char *)region;
	h.area = "urban";
	h.program = (char *)program;
	h.members = &mp;
	h.n_members = 1;
	mem.id_number = ids[m];
	mem.name = "测试";
	mem.relation = "applicant";
	mem.consent_ref = "SQ-STATS-1";
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	rpc_status st;
	assert_int_equal(tagency_verify(c, agency, &h, &r, &st), RPC_OK);
	const Hedui__V1__Verdict *v = r->verdict;
	assert_true(nmade < 64);
	seen *s = &made[nmade++];
	memset(s, 0, sizeof *s);
	snprintf(s->region, sizeof s->region, "%s", v->region_code);
	snprintf(s->program, sizeof s->program, "%s", v->program);
	snprintf(s->conclusion, sizeof s->conclusion, "%s", v->conclusion);
	snprintf(s->category, sizeof s->category, "%s", v->category);
	for (size_t i = 0; i < v->n_reasons; i++)
		list_add(s->reasons, sizeof s->reasons, v->reasons[i]->code);
	for (size_t i = 0; i < v->n_sources; i++)
		if (strcmp(v->sources[i]->status, "ok") != 0) {
			char item[48];
			snprintf(item, sizeof item, "%s:%s",
			    v->sources[i]->source, v->sources[i]->status);
			list_add(s->failures, sizeof s->failures, item);
		}
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void make_reports(void)
{
	rpc_client *c33 = tclient(port, "agency-33");
	rpc_client *c1101 = tclient(port, "agency-1101");
	assert_non_null(c33);
	assert_non_null(c1101);
	static const char *const regions[] = {"330106", "330108", "330211"};
	static const char *const programs[] = {"dibao", "marginal"};
	int seq = 0;
	for (int i = 0; i < 12; i++)
		verify_one(c33, "agency-33", regions[i % 3], programs[i % 2],
		    i % 4, seq++);
	for (int i = 0; i < 3; i++)
		verify_one(
		    c1101, "agency-1101", "110105", "dibao", i % 4, seq++);
	/* The tax source away: its failures are counted. */
	tproc_stop(sources[1]);
	sources[1] = NULL;
	for (int i = 0; i < 4; i++)
		verify_one(
		    c33, "agency-33", regions[i % 2], "dibao", i % 4, seq++);
	rpc_client_free(c33);
	rpc_client_free(c1101);
}

static uint64_t count_in(
    Hedui__V1__StatsCount *const *list, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i]->key, key) == 0)
			return list[i]->count;
	return 0;
}

static bool listed(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; (p = strstr(p, item)) != NULL; p++)
		if ((p == list || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

/* Each of a county's lists holds exactly what the verdicts say. */
static void check_list(Hedui__V1__StatsCount *const *list, size_t n,
    const char *region, const char *program, int which)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t want = 0;
		for (int k = 0; k < nmade; k++) {
			const seen *s = &made[k];
			if (strcmp(s->region, region) != 0 ||
			    strcmp(s->program, program) != 0)
				continue;
			want += which == 0
			            ? strcmp(s->conclusion, list[i]->key) == 0
			        : which == 1
			            ? strcmp(s->category, list[i]->key) == 0
			        : which == 2
			            ? listed(s->reasons, list[i]->key)
			            : listed(s->failures, list[i]->key);
		}
		assert_int_equal(list[i]->count, want);
		assert_true(want > 0);
		total += want;
	}
	(void)total;
}

/* The answer of agency for prefix equals the verdicts of that prefix. */
static void check_answer(const Hedui__V1__StatsResponse *r, const char *prefix)
{
	uint64_t all = 0;
	for (int k = 0; k < nmade; k++)
		all += strncmp(made[k].region, prefix, strlen(prefix)) == 0;
	assert_int_equal(r->checks, all);
	assert_string_equal(r->region_prefix, prefix);
	uint64_t sum = 0;
	for (size_t i = 0; i < r->n_counties; i++) {
		const Hedui__V1__CountyStats *c = r->counties[i];
		assert_int_equal(
		    strncmp(c->region_code, prefix, strlen(prefix)), 0);
		uint64_t checks = 0, meets = 0;
		for (int k = 0; k < nmade; k++)
			if (strcmp(made[k].region, c->region_code) == 0 &&
			    strcmp(made[k].program, c->program) == 0) {
				checks++;
				meets +=
				    strcmp(made[k].conclusion, "meets") == 0;
			}
		assert_int_equal(c->checks, checks);
		assert_int_equal(
		    count_in(c->conclusions, c->n_conclusions, "meets"),
		    meets);
		check_list(c->conclusions, c->n_conclusions, c->region_code,
		    c->program, 0);
		check_list(c->categories, c->n_categories, c->region_code,
		    c->program, 1);
		check_list(
		    c->reasons, c->n_reasons, c->region_code, c->program, 2);
		check_list(c->source_failures, c->n_source_failures,
		    c->region_code, c->program, 3);
		sum += c->checks;
	}
	assert_int_equal(sum, all);
}

static rpc_code query(const char *agency, const char *prefix, const char *f,
    const char *t, Hedui__V1__StatsResponse **r, rpc_status *st)
{
	rpc_client *c = tclient(port, agency);
	assert_non_null(c);
	Hedui__V1__StatsQuery q = HEDUI__V1__STATS_QUERY__INIT;
	q.from = (char *)f;
	q.to = (char *)t;
	q.region_prefix = (char *)prefix;
	rpc_code code = tagency_stats(c, agency, &q, r, st);
	rpc_client_free(c);
	return code;
}

static void stats_match_the_verdicts(void **state)
{
	(void)state;
	make_reports();
	int failures = 0;
	for (int k = 0; k < nmade; k++)
		failures += made[k].failures[0] != '\0';
	assert_true(failures > 0); /* the tax source's absence shows */
	Hedui__V1__StatsResponse *r = NULL;
	rpc_status st;
	assert_int_equal(query("agency-33", "", from, to, &r, &st), RPC_OK);
	check_answer(r, "33");
	assert_true(r->n_counties >= 4);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(
	    query("agency-33", "3301", from, to, &r, &st), RPC_OK);
	check_answer(r, "3301");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* An agency's own prefix by default: 330106 sees its county only. */
	assert_int_equal(
	    query("agency-330106", "", from, to, &r, &st), RPC_OK);
	check_answer(r, "330106");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(query("agency-1101", "", from, to, &r, &st), RPC_OK);
	check_answer(r, "1101");
	assert_int_equal(r->checks, 3);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* A period without checks. */
	assert_int_equal(
	    query("agency-33", "33", "2020-01-01", "2020-12-31", &r, &st),
	    RPC_OK);
	assert_int_equal(r->checks, 0);
	assert_int_equal(r->n_counties, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void stats_outside_prefix_refused(void **state)
{
	(void)state;
	Hedui__V1__StatsResponse *r = NULL;
	rpc_status st;
	assert_int_equal(query("agency-330106", "33", from, to, &r, &st),
	    RPC_PERMISSION_DENIED);
	assert_null(r);
	assert_non_null(strstr(st.message, "330106"));
	assert_int_equal(query("agency-1101", "330106", from, to, &r, &st),
	    RPC_PERMISSION_DENIED);
	assert_int_equal(
	    query("agency-33", "3", from, to, &r, &st), RPC_INVALID_ARGUMENT);
	assert_int_equal(
	    query("agency-33", "33", "2025-01-01", "2026-01-02", &r, &st),
	    RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "366"));
	assert_int_equal(
	    query("agency-33", "33", to, from, &r, &st), RPC_INVALID_ARGUMENT);
	assert_int_equal(query("agency-33", "33", "2026-02-30", to, &r, &st),
	    RPC_INVALID_ARGUMENT);
}

static void cli_stats_csv_and_json(void **state)
{
	(void)state;
	char log[512], url[64], ca[600], cert[600], key[600], line[128];
	snprintf(url, sizeof url, "%s", turl(port));
	snprintf(ca, sizeof ca, "%s/ca.crt", getenv("HEDUI_CERTS"));
	snprintf(cert, sizeof cert, "%s/agency-33.crt", getenv("HEDUI_CERTS"));
	snprintf(key, sizeof key, "%s/agency-33.key", getenv("HEDUI_CERTS"));
	const char *csv[] = {"--server", url, "--ca", ca, "--cert", cert,
	    "--key", key, "stats", "--from", from, "--to", to, "--region",
	    "3301", "--csv", NULL};
	assert_int_equal(tagency_cli(csv, log), 0);
	assert_true(tfile_contains(log, "region_code,program,dimension,key,"
	                                "count"));
	int n = 0;
	for (int k = 0; k < nmade; k++)
		n += strcmp(made[k].region, "330106") == 0 &&
		     strcmp(made[k].program, "dibao") == 0;
	snprintf(line, sizeof line, "330106,dibao,checks,,%d\n", n);
	assert_true(tfile_contains(log, line));
	const char *json[] = {"--server", url, "--ca", ca, "--cert", cert,
	    "--key", key, "stats", "--from", from, "--to", to, "--json", NULL};
	assert_int_equal(tagency_cli(json, log), 0);
	assert_true(tfile_contains(log, "\"region_prefix\": \"33\""));
	int all = 0;
	for (int k = 0; k < nmade; k++)
		all += strncmp(made[k].region, "33", 2) == 0;
	snprintf(line, sizeof line, "\"checks\": %d", all);
	assert_true(tfile_contains(log, line));
	const char *table[] = {"--server", url, "--ca", ca, "--cert", cert,
	    "--key", key, "stats", "--from", from, "--to", to, NULL};
	assert_int_equal(tagency_cli(table, log), 0);
	assert_true(tfile_contains(log, "DOES_NOT_MEET"));
	/* Outside the agency's prefix: the service's refusal, exit 3. */
	const char *outside[] = {"--server", url, "--ca", ca, "--cert", cert,
	    "--key", key, "stats", "--from", from, "--to", to, "--region",
	    "11", NULL};
	assert_int_equal(tagency_cli(outside, log), 3);
	assert_true(tfile_contains(log, "PERMISSION_DENIED"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(stats_match_the_verdicts),
	    cmocka_unit_test(stats_outside_prefix_refused),
	    cmocka_unit_test(cli_stats_csv_and_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
