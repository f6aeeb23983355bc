/* SPDX-License-Identifier: MIT */
/*
 * Metrics for operators (docs/CONFIG.md, [metrics]): heduid and a source
 * started with --metrics serve GET /metrics in Prometheus's text format,
 * read here with curl as a scraper would, and checked twice: line by line
 * against the exposition format here, and by the Prometheus project's own
 * parser (Debian's python3-prometheus-client). The counts follow what the
 * test did: calls by method and code, a verification's source requests and
 * store commit, a consent refusal by kind; a method nobody registered is
 * counted as "unknown", its name never becomes a label.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hedui/v1/health.pb-c.h"
#include "tconsent.h"
#include "tsource.h"
#include "tsupport.h"
#include "tverify.h"

#define PERSON "11010519491231002X" /* in tests/fixtures/households.json */

static tstack stack;
static agency_signer *signer;
static int heduid_metrics, bank_metrics;

static int setup(void **state)
{
	(void)state;
	char url[64], cert[512], key[512], err[256];
	ttls_init();
	const char *kinds[3] = {"bank", "tax", "property"};
	bank_metrics = tport_free();
	for (int k = 0; k < 3; k++) {
		snprintf(url, sizeof url, "http://127.0.0.1:%d", bank_metrics);
		const char *extra[] = {"--metrics", url, NULL};
		stack.src[k] = tsource_start(kinds[k], "--fixtures",
		    tsource_fixtures(), k == 0 ? extra : NULL, &stack.ports[k]);
		if (stack.src[k] == NULL)
			return -1;
	}
	heduid_metrics = tport_free();
	snprintf(url, sizeof url, "http://127.0.0.1:%d", heduid_metrics);
	const char *extra[] = {"--metrics", url, NULL};
	if (!tstack_start_heduid(&stack, extra))
		return -1;
	rpc_client_free(stack.client);
	stack.client = tclient(stack.port, "agency-1101");
	snprintf(cert, sizeof cert, "%s.crt", tcert("agency-1101"));
	snprintf(key, sizeof key, "%s.key", tcert("agency-1101"));
	signer = agency_signer_load(cert, key, err, sizeof err);
	const char *ids[] = {PERSON};
	return stack.client != NULL && signer != NULL &&
	               tconsent_cover(stack.port, "agency-1101",
	                   "SQ-METRICS-1", "110105", ids, 1)
	           ? 0
	           : -1;
}

static int teardown(void **state)
{
	(void)state;
	agency_signer_free(signer);
	return tstack_stop(&stack) == 0 ? 0 : -1;
}

/* GET /metrics with curl (malloc'd text; NULL when curl failed). */
static char *scrape(int port)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd,
	    "curl -sS --fail --max-time 10 http://127.0.0.1:%d/metrics", port);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - 1 - n, p)) > 0)
		n += got;
	buf[n] = '\0';
	if (pclose(p) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Every line a comment (HELP or TYPE) or a sample: name, labels, value. */
static void check_format(const char *text)
{
	regex_t sample, comment;
	assert_int_equal(regcomp(&sample,
	                     "^[a-zA-Z_:][a-zA-Z0-9_:]*"
	                     "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
	                     "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\")*"
	                     "\\})? "
	                     "(-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|\\+Inf|NaN)$",
	                     REG_EXTENDED | REG_NOSUB),
	    0);
	assert_int_equal(regcomp(&comment,
	                     "^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE "
	                     "[a-zA-Z_:][a-zA-Z0-9_:]* "
	                     "(counter|gauge|histogram))$",
	                     REG_EXTENDED | REG_NOSUB),
	    0);
	char *copy = strdup(text);
	int lines = 0;
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save)) {
		regex_t *re = l[0] == '#' ? &comment : &sample;
		if (regexec(re, l, 0, NULL, 0) != 0) {
			print_error("not exposition format: \"%s\"\n", l);
			fail();
		}
		lines++;
	}
	assert_true(lines > 10);
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(copy);
	regfree(&sample);
	regfree(&comment);

	/* And by the Prometheus project's own parser. */
	const char *path = ttmp("metrics.txt");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
	    "/usr/bin/python3 -c 'import sys; from prometheus_client.parser "
	    "import text_string_to_metric_families as p; "
	    "n = len(list(p(open(sys.argv[1]).read()))); "
	    "sys.exit(0 if n > 3 else 1)' %s",
	    path);
	assert_int_equal(system(cmd), 0);
}

/* The value of the sample line that starts with series + " ". */
static double value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	print_error("no sample %s\n", series);
	fail();
	return -1;
}

static rpc_code verify(const char *consent)
{
	static unsigned seq;
	char rid[48];
	snprintf(rid, sizeof rid, "metrics-%u", ++seq);
	tverify_one one = {.id = PERSON,
	    .consent = consent,
	    .region = "110105",
	    .case_id = "110105-2026-000001",
	    .rid = rid};
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	rpc_status st;
	rpc_code code = tverify_one_call(stack.client, signer, &one, &r, &st);
	if (r != NULL)
		protobuf_c_message_free_unpacked(&r->base, NULL);
	return code;
}

static void heduid_counts_what_happened(void **state)
{
	(void)state;
	int serving;
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    thealth(stack.client, 5000, &serving), RPC_OK);
	assert_int_equal(verify("SQ-METRICS-1"), RPC_OK);
	assert_int_equal(verify("SQ-NOT-REGISTERED"), RPC_FAILED_PRECONDITION);
	/* A method nobody registered: counted, its name not kept. */
	Hedui__V1__HealthCheckRequest hr = HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	rpc_call_opts o = {.deadline_ms = 5000};
	rpc_status st;
	ProtobufCMessage *resp = NULL;
	assert_int_equal(rpc_client_call(stack.client, "evil.Label/Injection",
	                     &hr.base, &hedui__v1__health_check_response__descriptor,
	                     &resp, &o, &st),
	    RPC_UNIMPLEMENTED);

	char *text = scrape(heduid_metrics);
	assert_non_null(text);
	check_format(text);
	assert_true(value_of(text, "hedui_rpc_calls_total{method=\"hedui.v1."
	                           "Health/Check\",code=\"OK\"}") >= 3);
	assert_true(value_of(text, "hedui_rpc_calls_total{method=\"hedui.v1."
	                           "Verifier/VerifyHousehold\",code=\"OK\"}") ==
	            1);
	assert_true(
	    value_of(text, "hedui_rpc_calls_total{method=\"hedui.v1.Verifier/"
	                   "VerifyHousehold\",code=\"FAILED_PRECONDITION\"}") ==
	    1);
	assert_true(value_of(text, "hedui_rpc_calls_total{method=\"unknown\","
	                           "code=\"UNIMPLEMENTED\"}") == 1);
	assert_null(strstr(text, "evil"));
	/* Timed in microseconds: even a health check takes some. */
	assert_true(value_of(text, "hedui_rpc_call_duration_seconds_sum{"
	                           "method=\"hedui.v1.Health/Check\"}") > 0);
	assert_true(value_of(text, "hedui_rpc_call_duration_seconds_count{"
	                           "method=\"hedui.v1.Verifier/"
	                           "VerifyHousehold\"}") == 2);
	assert_true(value_of(text, "hedui_source_requests_total{source="
	                           "\"bank\",code=\"OK\"}") >= 1);
	assert_true(value_of(text, "hedui_source_request_duration_seconds_"
	                           "count{source=\"tax\"}") >= 1);
	/* The consent's registration and the verdict: commits. */
	assert_true(
	    value_of(text, "hedui_store_commit_duration_seconds_count") >= 2);
	assert_true(value_of(text, "hedui_store_healthy") == 1);
	assert_true(value_of(text, "hedui_refusals_total{kind=\"consent-"
	                           "unknown\",code=\"FAILED_PRECONDITION\"}") ==
	            1);
	assert_true(value_of(text, "hedui_rpc_inflight") == 0);
	/* No ID number, consent number or request id in a label. */
	assert_null(strstr(text, PERSON));
	assert_null(strstr(text, "SQ-"));
	assert_null(strstr(text, "metrics-"));
	free(text);
}

static void source_counts_its_lookups(void **state)
{
	(void)state;
	char *text = scrape(bank_metrics);
	assert_non_null(text);
	check_format(text);
	assert_true(value_of(text, "hedui_rpc_calls_total{method=\"hedui.v1."
	                           "BankSource/Lookup\",code=\"OK\"}") >= 1);
	free(text);
}

static void only_get_metrics(void **state)
{
	(void)state;
	char cmd[160];
	snprintf(cmd, sizeof cmd,
	    "curl -s -o /dev/null -w '%%{http_code}' --max-time 10 "
	    "http://127.0.0.1:%d/other",
	    heduid_metrics);
	FILE *p = popen(cmd, "r");
	char code[8] = "";
	assert_non_null(fgets(code, sizeof code, p));
	pclose(p);
	assert_string_equal(code, "404");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(heduid_counts_what_happened),
	    cmocka_unit_test(source_counts_its_lookups),
	    cmocka_unit_test(only_get_metrics),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
