/* SPDX-License-Identifier: MIT */
/*
 * Standards that change on a date, end to end: heduid with a policy file
 * whose Beijing entry changes on 2024-07-01, the three sources, and a
 * Beijing agency (agency-1101) over mutual TLS. The same household checked
 * as of the day before and the day of the change gets each day's standard
 * and a policy_version naming the set applied; hedui.v1.Policy/Show and
 * `hedui policy show` say the same; a policy file with overlapping or
 * gapped sets keeps heduid from starting, naming the entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency_sig.h"
#include "hedui/v1/policy.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "rpc_client.h"
#include "tconsent.h"
#include "tsupport.h"
#include "tverify.h"

#define SHOW "hedui.v1.Policy/Show"

/* The test's own file: the shipped example may change. */
static const char policy_text[] =
    "{\"regions\": {\"11\": [\n"
    " {\"from\": \"2023-07-01\", \"dibao_standard_fen\": "
    "{\"urban\": 139500, \"rural\": 139500}},\n"
    " {\"from\": \"2024-07-01\", \"dibao_standard_fen\": "
    "{\"urban\": 145000, \"rural\": 145000}}]}}\n";

/* One person, counted income 1,420 yuan a month (transfer income: no
 * employment-cost deduction): above 1,395, below 1,450. */
#define MONTHLY_FEN 142000

static tstack stack;
static agency_signer *signer;
static char person[IDNUM_LEN + 1];
static char policy_path[512], policy_sha12[13];

static bool write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

static void sha12(const char *text, char out[13])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 6; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int setup(void **state)
{
	(void)state;
	char fixtures[256], cert[512], key[512], err[256];
	ttls_init();
	snprintf(person, sizeof person, "110105195003150%02d", 12);
	person[17] = idnum_check_char(person);
	person[18] = '\0';
	snprintf(fixtures, sizeof fixtures,
	    "{\"persons\": [{\"id_number\": \"%s\", \"tax\": "
	    "{\"transfer_income_fen\": %d}}]}\n",
	    person, 12 * MONTHLY_FEN);
	const char *fx = ttmp("policy-dates-fixtures.json");
	snprintf(
	    policy_path, sizeof policy_path, "%s", ttmp("policy-dates.json"));
	sha12(policy_text, policy_sha12);
	if (!write_text(fx, fixtures) ||
	    !write_text(policy_path, policy_text) ||
	    !tsources_start(fx, stack.src, stack.ports, NULL))
		return -1;
	const char *extra[] = {"--policy", policy_path, NULL};
	if (!tstack_start_heduid(&stack, extra))
		return -1;
	/* A Beijing agency: 110105 is within its prefix 1101. */
	rpc_client_free(stack.client);
	stack.client = tclient(stack.port, "agency-1101");
	snprintf(cert, sizeof cert, "%s.crt", tcert("agency-1101"));
	snprintf(key, sizeof key, "%s.key", tcert("agency-1101"));
	signer = agency_signer_load(cert, key, err, sizeof err);
	if (stack.client == NULL || signer == NULL)
		return -1;
	/* The member's consent, valid on every as_of checked here (the
	 * longest term, five years) and today. */
	const char *ids[] = {person};
	tconsent t;
	tconsent_init(&t, "SQ-110105-2024-0001", "110105", ids, 1);
	t.c.signed_on = "2023-01-01";
	t.c.valid_from = "2023-01-01";
	t.c.valid_until = "2027-12-31";
	rpc_status st;
	return tconsent_register(stack.client, signer, &t, NULL, &st) ==
	               RPC_OK
	           ? 0
	           : -1;
}

static int teardown(void **state)
{
	(void)state;
	agency_signer_free(signer);
	return tstack_stop(&stack) == 0 ? 0 : -1;
}

static Hedui__V1__VerifyHouseholdResponse *verify_as_of(const char *as_of)
{
	static unsigned seq;
	char rid[48];
	snprintf(rid, sizeof rid, "policy-dates-%u", ++seq);
	tverify_one one = {.id = person,
	    .consent = "SQ-110105-2024-0001",
	    .region = "110105",
	    .case_id = "110105-2024-000001",
	    .as_of = as_of,
	    .rid = rid};
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	rpc_status st;
	rpc_code code = tverify_one_call(stack.client, signer, &one, &r, &st);
	if (code != RPC_OK)
		fail_msg("verify as of %s: %s: %s", as_of, rpc_code_name(code),
		    st.message);
	assert_non_null(r->verdict);
	return r;
}

static void each_day_its_standard(void **state)
{
	(void)state;
	char want[128];

	/* The last day of 1,395 yuan: P = 1,420 is above it. */
	Hedui__V1__VerifyHouseholdResponse *r = verify_as_of("2024-06-30");
	Hedui__V1__Verdict *v = r->verdict;
	assert_int_equal(v->standard_fen, 139500);
	assert_int_equal(v->per_capita_monthly_income_fen, MONTHLY_FEN);
	assert_string_equal(v->conclusion, "does_not_meet");
	assert_int_equal(v->n_reasons, 1);
	assert_string_equal(v->reasons[0]->code, "INCOME_ABOVE_STANDARD");
	assert_string_equal(v->reasons[0]->detail, "P=142000 >= S=139500 fen");
	snprintf(want, sizeof want, ",file:%s,11@2023-07-01", policy_sha12);
	assert_non_null(strstr(v->policy_version, want));
	assert_int_equal(
	    strlen(strstr(v->policy_version, want)), strlen(want));
	char before[160];
	snprintf(before, sizeof before, "%s", v->policy_version);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* The first day of 1,450 yuan: the same household meets. */
	r = verify_as_of("2024-07-01");
	v = r->verdict;
	assert_int_equal(v->standard_fen, 145000);
	assert_string_equal(v->conclusion, "meets");
	assert_string_equal(v->category, "dibao");
	assert_int_equal(v->estimated_monthly_benefit_fen, 3000);
	snprintf(want, sizeof want,
	    ",file:%s,builtin:11@2024-07-01,11@2024-07-01", policy_sha12);
	assert_non_null(strstr(v->policy_version, want));
	assert_memory_not_equal(v->policy_version, before, 20);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Before any Beijing set: the national default (1,000 yuan). */
	r = verify_as_of("2023-06-30");
	v = r->verdict;
	assert_int_equal(v->standard_fen, 100000);
	assert_string_equal(v->conclusion, "does_not_meet");
	snprintf(want, sizeof want, ",file:%s", policy_sha12);
	assert_non_null(strstr(v->policy_version, want));
	assert_int_equal(
	    strlen(strstr(v->policy_version, want)), strlen(want));
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static Hedui__V1__ShowPolicyResponse *show(
    const char *region, const char *as_of, rpc_code want, rpc_status *st)
{
	Hedui__V1__ShowPolicyRequest req =
	    HEDUI__V1__SHOW_POLICY_REQUEST__INIT;
	req.region_code = (char *)region;
	req.as_of = (char *)as_of;
	rpc_call_opts o = {.deadline_ms = 5000};
	ProtobufCMessage *resp = NULL;
	rpc_code code = rpc_client_call(stack.client, SHOW, &req.base,
	    &hedui__v1__show_policy_response__descriptor, &resp, &o, st);
	assert_int_equal(code, want);
	return (Hedui__V1__ShowPolicyResponse *)resp;
}

static const Hedui__V1__PolicyValue *value_of(
    const Hedui__V1__ShowPolicyResponse *r, const char *name)
{
	for (size_t i = 0; i < r->n_values; i++)
		if (strcmp(r->values[i]->name, name) == 0)
			return r->values[i];
	fail_msg("no value %s", name);
	return NULL;
}

/* What Policy/Show answers is what a report of that day carries. */
static void show_matches_reports(void **state)
{
	(void)state;
	rpc_status st;
	static const char *const days[] = {
	    "2023-06-30", "2024-06-30", "2024-07-01"};
	static const char *const std[] = {"100000", "139500", "145000"};
	static const char *const src[] = {
	    "default", "11@2023-07-01", "11@2024-07-01"};
	for (size_t d = 0; d < 3; d++) {
		Hedui__V1__VerifyHouseholdResponse *r = verify_as_of(days[d]);
		Hedui__V1__ShowPolicyResponse *s =
		    show("110105", days[d], RPC_OK, &st);
		assert_string_equal(
		    s->policy_version, r->verdict->policy_version);
		assert_string_equal(s->as_of, days[d]);
		assert_string_equal(s->region_code, "110105");
		assert_int_equal(strlen(s->file_sha256), 64);
		assert_memory_equal(s->file_sha256, policy_sha12, 12);
		const Hedui__V1__PolicyValue *u =
		    value_of(s, "dibao_standard_fen.urban");
		assert_string_equal(u->value, std[d]);
		assert_string_equal(u->source, src[d]);
		assert_string_equal(
		    value_of(s, "marginal_bps")->source, "default");
		/* built-in 11, then the file's two sets of 11 */
		assert_int_equal(s->n_sets, 3);
		assert_true(s->sets[0]->builtin);
		assert_string_equal(s->sets[1]->ends, "2024-06-30");
		assert_int_equal(s->sets[1]->in_force, d == 1);
		assert_int_equal(s->sets[2]->in_force, d == 2);
		assert_int_equal(s->sets[0]->in_force, d == 2);
		protobuf_c_message_free_unpacked(&s->base, NULL);
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	/* no as_of: today, when 1,450 is in force */
	Hedui__V1__ShowPolicyResponse *s = show("110105", "", RPC_OK, &st);
	char today[16];
	unsigned t = (unsigned)idnum_date_today();
	snprintf(today, sizeof today, "%04u-%02u-%02u", t / 10000 % 10000,
	    (t / 100) % 100, t % 100);
	assert_string_equal(s->as_of, today);
	assert_string_equal(
	    value_of(s, "dibao_standard_fen.urban")->value, "145000");
	protobuf_c_message_free_unpacked(&s->base, NULL);

	/* bad questions name the field */
	assert_null(show("11010", "", RPC_INVALID_ARGUMENT, &st));
	assert_non_null(strstr(st.message, "region_code"));
	assert_null(show("11010a", "", RPC_INVALID_ARGUMENT, &st));
	assert_null(show("110105", "2024-02-30", RPC_INVALID_ARGUMENT, &st));
	assert_non_null(strstr(st.message, "as_of"));
}

/* Runs the CLI against this heduid; its exit status, output in log. */
static int run_cli(const char *const args[], char log[512])
{
	char *argv[40];
	int n = 0;
	static char bin[512], url[64], ca[512], cert[512], key[512];
	snprintf(bin, sizeof bin, "%s", tbin("hedui"));
	snprintf(url, sizeof url, "%s", turl(stack.port));
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s.crt", tcert("agency-1101"));
	snprintf(key, sizeof key, "%s.key", tcert("agency-1101"));
	argv[n++] = bin;
	argv[n++] = "--server";
	argv[n++] = url;
	argv[n++] = "--ca";
	argv[n++] = ca;
	argv[n++] = "--cert";
	argv[n++] = cert;
	argv[n++] = "--key";
	argv[n++] = key;
	for (int i = 0; args[i] != NULL && n < 39; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	tproc *p = tproc_start("hedui", argv);
	assert_non_null(p);
	snprintf(log, 512, "%s", tproc_log(p));
	tproc_wait(p, 30000);
	return tproc_stop(p);
}

static void cli_policy_show(void **state)
{
	(void)state;
	char log[512];
	const char *table[] = {
	    "policy", "show", "110105", "--as-of", "2024-06-30", NULL};
	assert_int_equal(run_cli(table, log), 0);
	assert_true(tfile_contains(log, "低保标准（城市） "
	                                "dibao_standard_fen.urban: ¥1,395.00 "
	                                "(139500 fen)  [11@2023-07-01]"));
	assert_true(tfile_contains(log,
	    "低保边缘线倍数 marginal_bps: 150.00% (15000 bps)  "
	    "[全国默认 default]"));
	assert_true(tfile_contains(log, "  * 11@2023-07-01  文件 file  "
	                                "2023-07-01 起 from, 至 until "
	                                "2024-06-30"));
	assert_true(tfile_contains(log, "    builtin:11@2024-07-01  内置 "
	                                "built-in  2024-07-01 起 from"));
	assert_true(tfile_contains(log, policy_sha12));

	const char *json[] = {"policy", "show", "--json", "110105", "--as-of",
	    "2024-07-01", NULL};
	assert_int_equal(run_cli(json, log), 0);
	json_error_t je;
	json_t *o = json_load_file(log, 0, &je);
	assert_non_null(o);
	assert_string_equal(
	    json_string_value(json_object_get(o, "as_of")), "2024-07-01");
	json_t *u = json_array_get(json_object_get(o, "values"), 0);
	assert_string_equal(
	    json_string_value(json_object_get(u, "value")), "145000");
	assert_string_equal(
	    json_string_value(json_object_get(u, "source")), "11@2024-07-01");
	assert_non_null(
	    strstr(json_string_value(json_object_get(o, "policy_version")),
	        ",builtin:11@2024-07-01,11@2024-07-01"));
	json_t *sets = json_object_get(o, "sets");
	assert_int_equal(json_array_size(sets), 3);
	assert_true(json_is_true(
	    json_object_get(json_array_get(sets, 2), "in_force")));
	json_decref(o);

	/* bad usage is refused here, without asking (exit 2) */
	const char *bad_region[] = {"policy", "show", "1101", NULL};
	assert_int_equal(run_cli(bad_region, log), 2);
	assert_true(tfile_contains(log, "REGION must be a 6-digit"));
	const char *bad_date[] = {
	    "policy", "show", "110105", "--as-of", "2024-13-01", NULL};
	assert_int_equal(run_cli(bad_date, log), 2);
	assert_true(tfile_contains(log, "--as-of must be a date"));
	const char *no_show[] = {"policy", "110105", NULL};
	assert_int_equal(run_cli(no_show, log), 2);
	assert_true(tfile_contains(log, "usage: hedui policy show"));

	/* --file reads the file here, with heduid's loader */
	const char *local[] = {"policy", "show", "110105", "--as-of",
	    "2024-06-30", "--file", policy_path, NULL};
	assert_int_equal(run_cli(local, log), 0);
	assert_true(tfile_contains(log, "[11@2023-07-01]"));
	const char *missing[] = {
	    "policy", "show", "110105", "--file", "/nonexistent.json", NULL};
	assert_int_equal(run_cli(missing, log), 2);
	assert_true(tfile_contains(log, "cannot open /nonexistent.json"));
}

static void cli_unreachable(void **state)
{
	(void)state;
	char log[512], url[64];
	snprintf(url, sizeof url, "%s", turl(tport_free()));
	const char *args[] = {"--server", url, "--deadline", "2000", "policy",
	    "show", "110105", NULL};
	assert_int_equal(run_cli(args, log), 4);
}

/* heduid with a policy file it must refuse: exits non-zero at start,
 * its log naming the entry and the dates. */
static void refused_at_start(const char *text, const char *message)
{
	char *argv[32];
	int n = 0, port = tport_free();
	static char bin[512], ca[512], cert[512], key[512], url[64];
	static char path[512];
	snprintf(path, sizeof path, "%s", ttmp("policy-bad.json"));
	assert_true(write_text(path, text));
	snprintf(bin, sizeof bin, "%s", tbin("heduid"));
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("heduid.crt"));
	snprintf(key, sizeof key, "%s", tcert("heduid.key"));
	snprintf(url, sizeof url, "%s", turl(port));
	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = url;
	argv[n++] = "--ca";
	argv[n++] = ca;
	argv[n++] = "--cert";
	argv[n++] = cert;
	argv[n++] = "--key";
	argv[n++] = key;
	argv[n++] = "--store";
	argv[n++] = (char *)ttmp("policy-bad.db");
	argv[n++] = "--policy";
	argv[n++] = path;
	argv[n] = NULL;
	tproc *p = tproc_start("heduid", argv);
	assert_non_null(p);
	int st = tproc_wait(p, 10000);
	assert_true(tproc_log_contains(p, message));
	tproc_stop(p);
	assert_true(st != 0 && st != -1);
}

static void bad_policy_files_refused(void **state)
{
	(void)state;
	refused_at_start(
	    "{\"regions\": {\"110105\": ["
	    "{\"from\": \"2024-01-01\", \"until\": \"2024-12-31\","
	    " \"tekun_bps\": 14000},"
	    "{\"from\": \"2024-07-01\", \"tekun_bps\": 15000}]}}",
	    "regions.110105[1] (from 2024-07-01) overlaps regions.110105[0] "
	    "(2024-01-01 to 2024-12-31)");
	refused_at_start(
	    "{\"regions\": {\"3301\": ["
	    "{\"from\": \"2024-01-01\", \"until\": \"2024-06-30\","
	    " \"tekun_bps\": 14000},"
	    "{\"from\": \"2024-08-01\", \"tekun_bps\": 15000}]}}",
	    "regions.3301[1] (from 2024-08-01) leaves a gap after "
	    "regions.3301[0] (2024-01-01 to 2024-06-30): nothing applies from "
	    "2024-07-01 to 2024-07-31");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(each_day_its_standard),
	    cmocka_unit_test(show_matches_reports),
	    cmocka_unit_test(cli_policy_show),
	    cmocka_unit_test(cli_unreachable),
	    cmocka_unit_test(bad_policy_files_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
