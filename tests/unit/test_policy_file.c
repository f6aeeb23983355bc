/* SPDX-License-Identifier: MIT */
/*
 * The regional policy file: parsing, prefix lookup, effective dates (the
 * set in force on a check's as_of; overlaps and gaps refused, naming the
 * entry), policy_version and where each value comes from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "policy.h"

/* After the built-in Beijing set's from-date: the old files' behaviour. */
#define AS_OF 20261101

static const char defaults_text[] =
    "hedui-policy-params 1\n"
    "dibao_standard_fen.urban=100000\n"
    "dibao_standard_fen.rural=80000\n"
    "marginal_bps=15000\n"
    "financial_assets_months=24\n"
    "max_residences=1\n"
    "allow_non_residential=false\n"
    "max_residential_area_per_capita_centi_m2=0\n"
    "vehicle_exempt_kinds=motorcycle,electric_bike,disability_mobility\n"
    "vehicle_value_cap_fen=0\n"
    "business_capital_cap_fen=10000000\n"
    "employment_cost_bps=2000\n"
    "employment_cost_cap_fen=50000\n"
    "gradual_exit_months=6\n"
    "tekun_bps=13000\n"
    "disposable_income_monthly_fen.urban=400000\n"
    "disposable_income_monthly_fen.rural=200000\n"
    "rigid_expense_share_bps=5000\n";
/* sha256sum of defaults_text: pins the canonical form */
static const char defaults_version[] = "pv1-10c350f63e1f249d";
/* A report's policy_version with the defaults and no file. */
static const char defaults_nofile[] = "pv1-10c350f63e1f249d,file:none";

static policy_book *parse_ok(const char *json)
{
	policy_book *b = NULL;
	char err[256] = "";
	hd_err rv =
	    policy_book_parse(json, strlen(json), &b, err, sizeof(err));
	if (rv != HD_OK)
		fail_msg("parse failed: %s", err);
	assert_non_null(b);
	return b;
}

static void resolve_at(const policy_book *b, const char *region,
    idnum_date as_of, policy_params *p, char *version)
{
	assert_int_equal(
	    policy_book_resolve(b, region, as_of, p, version), HD_OK);
}

static void resolve(
    const policy_book *b, const char *region, policy_params *p, char *version)
{
	resolve_at(b, region, AS_OF, p, version);
}

/* The urban standard S on a date. */
static int64_t S_at(const policy_book *b, const char *region, idnum_date d)
{
	policy_params p;
	resolve_at(b, region, d, &p, NULL);
	return p.dibao_standard_fen[POLICY_AREA_URBAN];
}

static void parse_fails(const char *json, const char *message)
{
	policy_book *b = (policy_book *)&b; /* must be reset */
	char err[512] = "";
	assert_int_equal(
	    policy_book_parse(json, strlen(json), &b, err, sizeof(err)),
	    HD_EINVAL);
	assert_null(b);
	assert_string_equal(err, message);
}

/* The first 12 hex digits of SHA-256(text): a policy_version's file. */
static void sha12(const char *text, char out[13])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	assert_int_equal(
	    EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL), 1);
	for (int i = 0; i < 6; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_defaults_and_canonical_text(void **state)
{
	(void)state;
	policy_params p, d;
	char text[1024], version[POLICY_VERSION_SIZE];
	char digest[POLICY_DIGEST_SIZE];
	policy_params_defaults(&d);
	assert_true(policy_params_valid(&d));
	size_t n = policy_params_canonical(&d, text, sizeof(text));
	assert_int_equal(n, strlen(defaults_text));
	assert_string_equal(text, defaults_text);
	assert_int_equal(policy_params_canonical(&d, NULL, 0), n);
	assert_int_equal(policy_params_canonical(&d, text, 10), n);
	assert_string_equal(text, "hedui-pol"); /* truncated, terminated */
	assert_int_equal(policy_params_version(&d, digest), HD_OK);
	assert_string_equal(digest, defaults_version);

	policy_book *b = NULL;
	assert_int_equal(policy_book_load(NULL, &b, NULL, 0), HD_OK);
	resolve(b, "330106", &p, version);
	assert_memory_equal(&p, &d, sizeof(p));
	assert_string_equal(version, defaults_nofile);
	assert_string_equal(policy_book_file_sha256(b), "");
	policy_book_free(b);
	policy_book_free(NULL);
}

static void test_beijing_builtin(void **state)
{
	(void)state;
	policy_params p;
	char v1[POLICY_VERSION_SIZE], v2[POLICY_VERSION_SIZE];
	policy_book *b = NULL;
	assert_int_equal(policy_book_load(NULL, &b, NULL, 0), HD_OK);
	resolve(b, "110105", &p, v1);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 145000);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 145000);
	assert_int_equal(p.marginal_bps, 15000);
	assert_string_not_equal(v1, defaults_nofile);
	assert_non_null(strstr(v1, ",file:none,builtin:11@2024-07-01"));
	resolve(NULL, "110229", &p, v2); /* no book: built-ins too */
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 145000);
	assert_string_equal(v1, v2);
	/* from 2024-07-01 on; before it, nothing for Beijing: defaults */
	assert_int_equal(S_at(b, "110105", 20240701), 145000);
	assert_int_equal(S_at(b, "110105", 20240630), 100000);
	resolve_at(b, "110105", 20240630, &p, v2);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 80000);
	assert_string_equal(v2, defaults_nofile);
	resolve(b, "120101", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 100000);
	policy_book_free(b);

	/* a file entry "11" overrides only what it names */
	b = parse_ok("{\"regions\": {\"11\": {\"dibao_standard_fen\": "
	             "{\"urban\": 150000}, \"tekun_bps\": 14000}}}");
	resolve(b, "110105", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 150000);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 145000);
	assert_int_equal(p.tekun_bps, 14000);
	/* before the built-in set: the undated file entry over defaults */
	resolve_at(b, "110105", 20240630, &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 150000);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 80000);
	policy_book_free(b);
}

static void test_longest_prefix(void **state)
{
	(void)state;
	policy_params p;
	policy_book *b = parse_ok(
	    "{\"regions\": {"
	    "\"330106\": {\"dibao_standard_fen\": {\"rural\": 90000}},"
	    "\"33\": {\"dibao_standard_fen\": {\"urban\": 120000, "
	    "\"rural\": 85000}, \"marginal_bps\": 20000},"
	    "\"3301\": {\"dibao_standard_fen\": {\"urban\": 130000}, "
	    "\"marginal_bps\": 16000}}}");
	resolve(b, "330106", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 130000);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 90000);
	assert_int_equal(p.marginal_bps, 16000);
	resolve(b, "330105", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 130000);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 85000);
	resolve(b, "330201", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 120000);
	assert_int_equal(p.marginal_bps, 20000);
	resolve(b, "340101", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 100000);
	assert_int_equal(p.marginal_bps, 15000);
	/* a 6-digit entry that only a different 4-digit prefix shares */
	resolve(b, "331006", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 85000);

	assert_int_equal(
	    policy_book_resolve(b, "3301", AS_OF, &p, NULL), HD_EINVAL);
	assert_int_equal(
	    policy_book_resolve(b, "33010a", AS_OF, &p, NULL), HD_EINVAL);
	assert_int_equal(
	    policy_book_resolve(b, "3301061", AS_OF, &p, NULL), HD_EINVAL);
	assert_int_equal(
	    policy_book_resolve(b, NULL, AS_OF, &p, NULL), HD_EINVAL);
	/* as_of must be a date */
	assert_int_equal(
	    policy_book_resolve(b, "330106", 20260230, &p, NULL), HD_EINVAL);
	assert_int_equal(
	    policy_book_resolve(b, "330106", 0, &p, NULL), HD_EINVAL);
	policy_book_free(b);
}

static void test_every_field(void **state)
{
	(void)state;
	policy_params p;
	policy_book *b = parse_ok(
	    "{\"comment\": \"all\", \"regions\": {\"330106\": {"
	    "\"comment\": \"every parameter\","
	    "\"dibao_standard_fen\": {\"urban\": 1, \"rural\": 2},"
	    "\"marginal_bps\": 3, \"financial_assets_months\": 4,"
	    "\"max_residences\": 5, \"allow_non_residential\": true,"
	    "\"max_residential_area_per_capita_centi_m2\": 6,"
	    "\"vehicle_exempt_kinds\": [\"car\", \"farm_machinery\"],"
	    "\"vehicle_value_cap_fen\": 7, \"business_capital_cap_fen\": 8,"
	    "\"employment_cost_bps\": 9, \"employment_cost_cap_fen\": 10,"
	    "\"gradual_exit_months\": 11, \"tekun_bps\": 12,"
	    "\"disposable_income_monthly_fen\": {\"urban\": 13, "
	    "\"rural\": 14},"
	    "\"rigid_expense_share_bps\": 0}}}");
	resolve(b, "330106", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 1);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 2);
	assert_int_equal(p.marginal_bps, 3);
	assert_int_equal(p.financial_assets_months, 4);
	assert_int_equal(p.max_residences, 5);
	assert_true(p.allow_non_residential);
	assert_int_equal(p.max_residential_area_per_capita_centi_m2, 6);
	assert_int_equal(p.vehicle_exempt_kinds,
	    POLICY_VEHICLE_BIT(POLICY_VEHICLE_CAR) |
	        POLICY_VEHICLE_BIT(POLICY_VEHICLE_FARM_MACHINERY));
	assert_int_equal(p.vehicle_value_cap_fen, 7);
	assert_int_equal(p.business_capital_cap_fen, 8);
	assert_int_equal(p.employment_cost_bps, 9);
	assert_int_equal(p.employment_cost_cap_fen, 10);
	assert_int_equal(p.gradual_exit_months, 11);
	assert_int_equal(p.tekun_bps, 12);
	assert_int_equal(
	    p.disposable_income_monthly_fen[POLICY_AREA_URBAN], 13);
	assert_int_equal(
	    p.disposable_income_monthly_fen[POLICY_AREA_RURAL], 14);
	assert_int_equal(p.rigid_expense_share_bps, 0);
	policy_book_free(b);

	/* an empty list exempts nothing; false is a value too */
	b = parse_ok("{\"regions\": {\"33\": {\"vehicle_exempt_kinds\": [],"
	             "\"allow_non_residential\": false}}}");
	resolve(b, "330106", &p, NULL);
	assert_int_equal(p.vehicle_exempt_kinds, 0);
	assert_false(p.allow_non_residential);
	policy_book_free(b);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		const char *message;
	} cases[] = {
	    {"{\"regions\": {\"33\": {\"foo\": 1}}}",
	        "regions.33.foo: unknown parameter"},
	    {"{\"regions\": {\"33\": {\"marginal_bps\": -1}}}",
	        "regions.33.marginal_bps: must be a non-negative integer"},
	    {"{\"regions\": {\"33\": {\"marginal_bps\": 1.5}}}",
	        "regions.33.marginal_bps: must be a non-negative integer"},
	    {"{\"regions\": {\"33\": {\"marginal_bps\": \"15000\"}}}",
	        "regions.33.marginal_bps: must be a non-negative integer"},
	    {"{\"regions\": {\"3301\": {\"allow_non_residential\": 1}}}",
	        "regions.3301.allow_non_residential: must be true or false"},
	    {"{\"regions\": {\"33\": {\"dibao_standard_fen\": 100000}}}",
	        "regions.33.dibao_standard_fen: must be an object "
	        "{\"urban\": fen, \"rural\": fen}"},
	    {"{\"regions\": {\"33\": {\"dibao_standard_fen\": "
	     "{\"suburban\": 1}}}}",
	        "regions.33.dibao_standard_fen.suburban: unknown area (urban "
	        "or rural)"},
	    {"{\"regions\": {\"330106\": {\"disposable_income_monthly_fen\": "
	     "{\"rural\": -5}}}}",
	        "regions.330106.disposable_income_monthly_fen.rural: must be "
	        "a non-negative integer"},
	    {"{\"regions\": {\"33\": {\"vehicle_exempt_kinds\": \"car\"}}}",
	        "regions.33.vehicle_exempt_kinds: must be an array of vehicle "
	        "kinds"},
	    {"{\"regions\": {\"33\": {\"vehicle_exempt_kinds\": [\"car\", "
	     "\"boat\"]}}}",
	        "regions.33.vehicle_exempt_kinds[1]: unknown vehicle kind"},
	    {"{\"regions\": {\"331\": {}}}",
	        "regions.\"331\": key must be a 2, 4 or 6 digit region "
	        "prefix"},
	    {"{\"regions\": {\"3a\": {}}}",
	        "regions.\"3a\": key must be a 2, 4 or 6 digit region prefix"},
	    {"{\"regions\": {\"33010611\": {}}}",
	        "regions.\"33010611\": key must be a 2, 4 or 6 digit region "
	        "prefix"},
	    {"{\"regions\": {\"33\": 5}}",
	        "regions.33: must be an object (a parameter set) or a list of "
	        "dated parameter sets"},
	    {"{\"regions\": {\"33\": {\"comment\": 5}}}",
	        "regions.33.comment: must be a string"},
	    {"{\"regions\": []}", "regions: must be an object"},
	    {"{}", "policy file: \"regions\" is missing"},
	    {"[]", "policy file: must be a JSON object"},
	    {"{\"regions\": {}, \"region\": {}}",
	        "policy file: unknown top-level key \"region\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		policy_book *b = (policy_book *)&cases; /* must be reset */
		char err[256] = "";
		assert_int_equal(
		    policy_book_parse(cases[i].json, strlen(cases[i].json), &b,
		        err, sizeof(err)),
		    HD_EINVAL);
		assert_null(b);
		assert_string_equal(err, cases[i].message);
	}

	/* JSON syntax and duplicate keys name the line */
	const char *dup = "{\"regions\": {\"33\": {},\n\"33\": {}}}";
	const char *bad = "{\"regions\": {\n\"33\": {,}}}";
	const char *texts[] = {dup, bad};
	for (size_t i = 0; i < 2; i++) {
		policy_book *b = NULL;
		char err[256] = "";
		assert_int_equal(policy_book_parse(texts[i], strlen(texts[i]),
		                     &b, err, sizeof(err)),
		    HD_EINVAL);
		assert_null(b);
		assert_non_null(strstr(err, "policy file line 2"));
	}
}

static void test_version_stability(void **state)
{
	(void)state;
	char v1[POLICY_VERSION_SIZE], v2[POLICY_VERSION_SIZE];
	policy_params p;
	/* two files that yield the same parameters: the same digest */
	policy_book *a =
	    parse_ok("{\"regions\": {\"33\": {\"tekun_bps\": 14000, "
	             "\"vehicle_exempt_kinds\": [\"motorcycle\", \"car\"]}}}");
	policy_book *b = parse_ok(
	    "{\"regions\": {\"3301\": {\"vehicle_exempt_kinds\": [\"car\", "
	    "\"motorcycle\", \"car\"]}, \"330106\": {\"tekun_bps\": 14000, "
	    "\"marginal_bps\": 15000, \"comment\": \"x\"}}}");
	resolve(a, "330106", &p, v1);
	resolve(b, "330106", &p, v2);
	/* the same digest (the first token); the files and entries differ */
	assert_memory_equal(v1, v2, POLICY_DIGEST_SIZE - 1);
	assert_int_equal(v1[POLICY_DIGEST_SIZE - 1], ',');
	assert_string_not_equal(v1, v2);
	assert_memory_equal(v1, "pv1-", 4);
	for (size_t i = 4; i < POLICY_DIGEST_SIZE - 1; i++)
		assert_non_null(strchr("0123456789abcdef", v1[i]));
	char h[13], want[POLICY_VERSION_SIZE];
	sha12("{\"regions\": {\"33\": {\"tekun_bps\": 14000, "
	      "\"vehicle_exempt_kinds\": [\"motorcycle\", \"car\"]}}}",
	    h);
	snprintf(want, sizeof want, "%.20s,file:%s,33", v1, h);
	assert_string_equal(v1, want);
	assert_non_null(strstr(v2, ",3301,330106"));
	/* elsewhere the entries do not apply: the defaults' digest */
	resolve(a, "340106", &p, v1);
	snprintf(want, sizeof want, "%s,file:%s", defaults_version, h);
	assert_string_equal(v1, want);

	/* any changed parameter changes the version */
	policy_params d;
	policy_params_defaults(&d);
	char base[POLICY_DIGEST_SIZE];
	assert_int_equal(policy_params_version(&d, base), HD_OK);
	policy_params q = d;
	q.allow_non_residential = true;
	assert_int_equal(policy_params_version(&q, v1), HD_OK);
	assert_string_not_equal(v1, base);
	q = d;
	q.disposable_income_monthly_fen[POLICY_AREA_RURAL]++;
	assert_int_equal(policy_params_version(&q, v2), HD_OK);
	assert_string_not_equal(v2, base);
	assert_string_not_equal(v2, v1);
	q = d;
	q.vehicle_exempt_kinds = 0;
	assert_int_equal(policy_params_version(&q, v1), HD_OK);
	assert_string_not_equal(v1, base);
	policy_book_free(a);
	policy_book_free(b);
}

static void test_shipped_and_files(void **state)
{
	(void)state;
	const char *src = getenv("HEDUI_SRC");
	char path[1024], err[512] = "";
	policy_params p;
	policy_book *b = NULL;
	snprintf(path, sizeof(path), "%s/etc/policy.json", src ? src : ".");
	assert_int_equal(policy_book_load(path, &b, err, sizeof(err)), HD_OK);
	resolve(b, "110101", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 145000);
	/* Beijing before and after July 2024, and before any Beijing set */
	assert_int_equal(S_at(b, "110101", 20240630), 139500);
	assert_int_equal(S_at(b, "110101", 20230701), 139500);
	assert_int_equal(S_at(b, "110101", 20240701), 145000);
	assert_int_equal(S_at(b, "110101", 20230630), 100000);
	assert_int_equal(strlen(policy_book_file_sha256(b)), 64);
	resolve(b, "330106", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 130000);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 120000);
	assert_int_equal(p.max_residential_area_per_capita_centi_m2, 4000);
	assert_true(p.vehicle_exempt_kinds &
	            POLICY_VEHICLE_BIT(POLICY_VEHICLE_FARM_MACHINERY));
	resolve(b, "330201", &p, NULL);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_URBAN], 120000);
	policy_book_free(b);

	assert_int_equal(
	    policy_book_load("/nonexistent/policy.json", &b, err, sizeof(err)),
	    HD_EIO);
	assert_null(b);
	assert_non_null(strstr(err, "/nonexistent/policy.json"));
	assert_non_null(strstr(err, "cannot open"));

	char tmp[] = "/tmp/test_policy_file_XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	static const char bad[] = "{\"regions\": {\"33\": {\"tekun\": 1}}}";
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), sizeof(bad) - 1);
	close(fd);
	assert_int_equal(
	    policy_book_load(tmp, &b, err, sizeof(err)), HD_EINVAL);
	assert_string_equal(err, "regions.33.tekun: unknown parameter");
	unlink(tmp);
}

/* Beijing's standard before and after its change of 2024-07-01. */
static const char beijing_dated[] =
    "{\"regions\": {\"11\": ["
    "{\"from\": \"2023-07-01\", \"comment\": \"1395 yuan\","
    " \"dibao_standard_fen\": {\"urban\": 139500, \"rural\": 139500}},"
    "{\"from\": \"2024-07-01\","
    " \"dibao_standard_fen\": {\"urban\": 145000, \"rural\": 145000},"
    " \"marginal_bps\": 16000}]}}";

static void test_dated_standard_change(void **state)
{
	(void)state;
	policy_params p;
	char v[POLICY_VERSION_SIZE], h[13], want[POLICY_VERSION_SIZE];
	policy_book *b = parse_ok(beijing_dated);
	sha12(beijing_dated, h);

	/* each day its own set: the last day of one, the first of the next */
	assert_int_equal(S_at(b, "110105", 20230701), 139500);
	assert_int_equal(S_at(b, "110105", 20240315), 139500);
	assert_int_equal(S_at(b, "110105", 20240630), 139500);
	assert_int_equal(S_at(b, "110105", 20240701), 145000);
	assert_int_equal(S_at(b, "110105", 20270101), 145000);
	/* before the first set: the broader level (none here: defaults) */
	assert_int_equal(S_at(b, "110105", 20230630), 100000);
	assert_int_equal(S_at(b, "110105", 18000101), 100000);

	/* a set names only what it names: marginal_bps only from 2024 */
	resolve_at(b, "110105", 20240630, &p, v);
	assert_int_equal(p.marginal_bps, 15000);
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 139500);
	snprintf(want, sizeof want, "file:%s,11@2023-07-01", h);
	assert_non_null(strstr(v, want));
	assert_int_equal(strlen(strstr(v, want)), strlen(want));
	resolve_at(b, "110105", 20240701, &p, v);
	assert_int_equal(p.marginal_bps, 16000);
	snprintf(want, sizeof want,
	    "file:%s,builtin:11@2024-07-01,11@2024-07-01", h);
	assert_non_null(strstr(v, want));
	resolve_at(b, "110105", 20230630, &p, v);
	snprintf(want, sizeof want, "%s,file:%s", defaults_version, h);
	assert_string_equal(v, want);
	/* the two standards give two digests */
	char v1[POLICY_VERSION_SIZE], v2[POLICY_VERSION_SIZE];
	resolve_at(b, "110105", 20240630, &p, v1);
	resolve_at(b, "110105", 20240701, &p, v2);
	assert_memory_not_equal(v1, v2, POLICY_DIGEST_SIZE - 1);
	policy_book_free(b);
}

static void test_dated_levels(void **state)
{
	(void)state;
	policy_params p;
	char v[POLICY_VERSION_SIZE];
	/* province undated; city a list that stops; county one dated set */
	policy_book *b = parse_ok(
	    "{\"regions\": {"
	    "\"33\": {\"dibao_standard_fen\": {\"urban\": 120000}},"
	    "\"3301\": ["
	    " {\"from\": \"2024-01-01\", \"dibao_standard_fen\": "
	    "{\"urban\": 130000}},"
	    " {\"from\": \"2025-01-01\", \"until\": \"2025-06-30\","
	    " \"dibao_standard_fen\": {\"urban\": 135000}},"
	    " {\"from\": \"2025-07-01\", \"until\": \"2025-12-31\","
	    " \"dibao_standard_fen\": {\"urban\": 138000}}],"
	    "\"330106\": {\"from\": \"2025-03-01\", \"tekun_bps\": 14000}}}");
	assert_int_equal(S_at(b, "330106", 20231231), 120000);
	assert_int_equal(S_at(b, "330106", 20240101), 130000);
	assert_int_equal(S_at(b, "330106", 20241231), 130000);
	assert_int_equal(S_at(b, "330106", 20250101), 135000);
	assert_int_equal(S_at(b, "330106", 20250630), 135000);
	assert_int_equal(S_at(b, "330106", 20250701), 138000);
	assert_int_equal(S_at(b, "330106", 20251231), 138000);
	/* after the last set's until: the province again */
	assert_int_equal(S_at(b, "330106", 20260101), 120000);
	assert_int_equal(S_at(b, "330201", 20250101), 120000);

	resolve_at(b, "330106", 20250228, &p, v);
	assert_int_equal(p.tekun_bps, 13000);
	assert_non_null(strstr(v, ",33,3301@2025-01-01"));
	assert_null(strstr(v, "330106"));
	resolve_at(b, "330106", 20250301, &p, v);
	assert_int_equal(p.tekun_bps, 14000);
	assert_non_null(strstr(v, ",33,3301@2025-01-01,330106@2025-03-01"));
	resolve_at(b, "330106", 20260101, &p, v);
	assert_non_null(strstr(v, ",33,330106@2025-03-01"));
	policy_book_free(b);

	/* a list may begin with a set without "from": since always */
	b = parse_ok("{\"regions\": {\"33\": ["
	             "{\"tekun_bps\": 13500},"
	             "{\"from\": \"2025-01-01\", \"tekun_bps\": 14000}]}}");
	resolve_at(b, "330106", 19000101, &p, v);
	assert_int_equal(p.tekun_bps, 13500);
	assert_non_null(strstr(v, ",33"));
	resolve_at(b, "330106", 20241231, &p, NULL);
	assert_int_equal(p.tekun_bps, 13500);
	resolve_at(b, "330106", 20250101, &p, v);
	assert_int_equal(p.tekun_bps, 14000);
	assert_non_null(strstr(v, ",33@2025-01-01"));
	policy_book_free(b);

	/* an entry with only "until" applies up to it, then no more */
	b = parse_ok("{\"regions\": {\"3301\": {\"until\": \"2024-12-31\","
	             "\"dibao_standard_fen\": {\"urban\": 90000}}}}");
	assert_int_equal(S_at(b, "330106", 20241231), 90000);
	assert_int_equal(S_at(b, "330106", 20250101), 100000);
	policy_book_free(b);
}

static void test_dated_errors(void **state)
{
	(void)state;
	/* overlaps: the same from; an until past the next from */
	parse_fails(
	    "{\"regions\": {\"11\": ["
	    "{\"from\": \"2023-07-01\"}, {\"from\": \"2023-07-01\"}]}}",
	    "regions.11[1] (from 2023-07-01) overlaps regions.11[0] (from "
	    "2023-07-01)");
	parse_fails("{\"regions\": {\"3301\": ["
	            "{\"from\": \"2023-07-01\", \"until\": \"2024-07-01\"},"
	            "{\"from\": \"2024-07-01\"}]}}",
	    "regions.3301[1] (from 2024-07-01) overlaps regions.3301[0] "
	    "(2023-07-01 to 2024-07-01)");
	/* two sets both since always */
	parse_fails("{\"regions\": {\"33\": [{}, {\"tekun_bps\": 1}]}}",
	    "regions.33[1] (always): no \"from\": only the first set of a "
	    "list may apply from the beginning, and regions.33[0] (always) "
	    "does");
	/* a gap: until, then a later from */
	parse_fails("{\"regions\": {\"330106\": ["
	            "{\"from\": \"2023-07-01\", \"until\": \"2024-06-30\"},"
	            "{\"from\": \"2024-09-01\"}]}}",
	    "regions.330106[1] (from 2024-09-01) leaves a gap after "
	    "regions.330106[0] (2023-07-01 to 2024-06-30): nothing applies "
	    "from 2024-07-01 to 2024-08-31");
	/* one day is a gap too; month and leap-year ends */
	parse_fails("{\"regions\": {\"11\": ["
	            "{\"from\": \"2024-01-01\", \"until\": \"2024-02-28\"},"
	            "{\"from\": \"2024-03-01\"}]}}",
	    "regions.11[1] (from 2024-03-01) leaves a gap after regions.11[0] "
	    "(2024-01-01 to 2024-02-28): nothing applies from 2024-02-29 to "
	    "2024-02-29");
	parse_fails("{\"regions\": {\"11\": ["
	            "{\"from\": \"2023-01-01\", \"until\": \"2023-12-30\"},"
	            "{\"from\": \"2024-01-01\"}]}}",
	    "regions.11[1] (from 2024-01-01) leaves a gap after regions.11[0] "
	    "(2023-01-01 to 2023-12-30): nothing applies from 2023-12-31 to "
	    "2023-12-31");
	/* out of order */
	parse_fails(
	    "{\"regions\": {\"11\": ["
	    "{\"from\": \"2024-07-01\"}, {\"from\": \"2023-07-01\"}]}}",
	    "regions.11[1] (from 2023-07-01) is listed after regions.11[0] "
	    "(from 2024-07-01): list the sets oldest first");
	parse_fails("{\"regions\": {\"11\": {\"from\": \"2024-07-01\", "
	            "\"until\": \"2024-06-30\"}}}",
	    "regions.11: until 2024-06-30 is before from 2024-07-01");
	parse_fails("{\"regions\": {\"11\": [{\"from\": \"2024-07-01\"}, "
	            "{\"from\": \"2025-07-01\", \"until\": \"2025-01-01\"}]}}",
	    "regions.11[1]: until 2025-01-01 is before from 2025-07-01");
	/* dates are strings of real days */
	parse_fails("{\"regions\": {\"11\": {\"from\": \"2024-7-1\"}}}",
	    "regions.11.from: must be a date \"YYYY-MM-DD\"");
	parse_fails("{\"regions\": {\"11\": [{\"from\": \"2024-02-30\"}]}}",
	    "regions.11[0].from: must be a date \"YYYY-MM-DD\"");
	parse_fails("{\"regions\": {\"11\": {\"until\": 20240701}}}",
	    "regions.11.until: must be a date \"YYYY-MM-DD\"");
	parse_fails("{\"regions\": {\"11\": [{\"from\": null}]}}",
	    "regions.11[0].from: must be a date \"YYYY-MM-DD\"");
	/* lists: not empty, of objects, whose fields are checked as ever */
	parse_fails("{\"regions\": {\"33\": []}}",
	    "regions.33: an empty list: give at least one parameter set");
	parse_fails("{\"regions\": {\"33\": [{\"from\": \"2024-01-01\"}, 5]}}",
	    "regions.33[1]: must be an object");
	parse_fails("{\"regions\": {\"33\": [{\"from\": \"2024-01-01\", "
	            "\"marginal_bps\": -1}]}}",
	    "regions.33[0].marginal_bps: must be a non-negative integer");
	parse_fails("{\"regions\": {\"33\": [{\"from\": \"2024-01-01\", "
	            "\"to\": \"2024-12-31\"}]}}",
	    "regions.33[0].to: unknown parameter");
	parse_fails("{\"regions\": {\"33\": [{\"from\": \"2024-01-01\", "
	            "\"comment\": 1}]}}",
	    "regions.33[0].comment: must be a string");
}

/* Where each value of a resolution comes from, and every set listed. */
static void test_applied_and_sets(void **state)
{
	(void)state;
	policy_params p;
	policy_applied a;
	policy_book *b = parse_ok(
	    "{\"regions\": {"
	    "\"11\": [{\"from\": \"2023-07-01\", \"dibao_standard_fen\": "
	    "{\"urban\": 139500, \"rural\": 139500}},"
	    " {\"from\": \"2024-07-01\", \"dibao_standard_fen\": "
	    "{\"urban\": 146000}}],"
	    "\"1101\": {\"tekun_bps\": 14000},"
	    "\"110105\": {\"from\": \"2025-01-01\", \"until\": "
	    "\"2025-12-31\", \"max_residences\": 2}}}");
	assert_int_equal(
	    policy_book_apply(b, "110105", 20250601, &p, &a), HD_OK);
	assert_int_equal(a.n, 4);
	assert_true(a.sets[0].builtin);
	assert_string_equal(a.sets[0].key, "11");
	assert_int_equal(a.sets[0].from, 20240701);
	assert_false(a.sets[1].builtin);
	assert_string_equal(a.sets[1].key, "11");
	assert_int_equal(a.sets[1].index, 1);
	assert_int_equal(a.sets[1].from, 20240701);
	assert_int_equal(a.sets[1].ends, 0);
	assert_string_equal(a.sets[2].key, "1101");
	assert_int_equal(a.sets[2].index, -1);
	assert_string_equal(a.sets[3].key, "110105");
	assert_int_equal(a.sets[3].ends, 20251231);

	policy_param_text t[POLICY_SLOT_MAX];
	size_t n = policy_params_texts(&p, t);
	assert_int_equal(n, 17);
	int seen = 0;
	for (size_t i = 0; i < n; i++) {
		int o = a.origin[t[i].slot];
		if (strcmp(t[i].name, "dibao_standard_fen.urban") == 0) {
			/* the file's set overrides the built-in one */
			assert_int_equal(o, 1);
			assert_string_equal(t[i].value, "146000");
			seen++;
		} else if (strcmp(t[i].name, "dibao_standard_fen.rural") ==
		           0) {
			assert_int_equal(o, 0); /* the built-in's */
			assert_string_equal(t[i].value, "145000");
			seen++;
		} else if (strcmp(t[i].name, "tekun_bps") == 0) {
			assert_int_equal(o, 2);
			seen++;
		} else if (strcmp(t[i].name, "max_residences") == 0) {
			assert_int_equal(o, 3);
			assert_string_equal(t[i].value, "2");
			seen++;
		} else {
			assert_int_equal(o, -1); /* default */
		}
	}
	assert_int_equal(seen, 4);
	assert_string_equal(t[n - 1].name, "rigid_expense_share_bps");
	assert_string_equal(t[7].name, "vehicle_exempt_kinds");
	assert_string_equal(
	    t[7].value, "motorcycle,electric_bike,disability_mobility");

	/* every set of every entry that prefixes the region */
	policy_set_info sets[8];
	assert_int_equal(policy_book_sets(b, "110105", sets, 8), 5);
	assert_true(sets[0].builtin);
	assert_int_equal(sets[1].from, 20230701);
	assert_int_equal(sets[1].ends, 20240630); /* the day before */
	assert_int_equal(sets[1].until, 0);
	assert_int_equal(sets[2].from, 20240701);
	assert_string_equal(sets[3].key, "1101");
	assert_string_equal(sets[4].key, "110105");
	assert_int_equal(policy_book_sets(b, "110105", sets, 2), 5);
	assert_int_equal(policy_book_sets(b, "120105", sets, 8), 0);
	assert_int_equal(policy_book_sets(b, "1101", sets, 8), 0);
	char name[32];
	policy_set_name(&sets[0], name, sizeof name);
	assert_string_equal(name, "builtin:11@2024-07-01");
	policy_set_name(&sets[3], name, sizeof name);
	assert_string_equal(name, "1101");

	/* a date before every set: only defaults and the undated entry */
	assert_int_equal(
	    policy_book_apply(b, "110105", 20200101, &p, &a), HD_OK);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.sets[0].key, "1101");
	assert_int_equal(
	    policy_book_apply(b, "110105", 20201301, &p, &a), HD_EINVAL);
	policy_book_free(b);
}

/* A file of the format before dates: the same values on every date. */
static void test_undated_files_unchanged(void **state)
{
	(void)state;
	static const char old[] =
	    "{\"comment\": \"before dates\", \"regions\": {"
	    "\"33\": {\"dibao_standard_fen\": {\"urban\": 120000, "
	    "\"rural\": 120000}, \"vehicle_exempt_kinds\": [\"motorcycle\"]},"
	    "\"3301\": {\"dibao_standard_fen\": {\"urban\": 130000},"
	    " \"max_residential_area_per_capita_centi_m2\": 4000},"
	    "\"330106\": {\"marginal_bps\": 16000}}}";
	policy_book *b = parse_ok(old);
	static const idnum_date dates[] = {
	    18000101, 19991231, 20240630, 20240701, 20261101, 99991231};
	policy_params first, p;
	char v0[POLICY_VERSION_SIZE], v[POLICY_VERSION_SIZE];
	resolve_at(b, "330106", dates[0], &first, v0);
	assert_int_equal(first.dibao_standard_fen[POLICY_AREA_URBAN], 130000);
	assert_int_equal(first.dibao_standard_fen[POLICY_AREA_RURAL], 120000);
	assert_int_equal(first.marginal_bps, 16000);
	assert_int_equal(first.max_residential_area_per_capita_centi_m2, 4000);
	assert_non_null(strstr(v0, ",33,3301,330106"));
	for (size_t i = 1; i < sizeof dates / sizeof dates[0]; i++) {
		resolve_at(b, "330106", dates[i], &p, v);
		assert_memory_equal(&p, &first, sizeof p);
		assert_string_equal(v, v0);
	}
	policy_book_free(b);
}

/* The version names the file by the SHA-256 of its bytes. */
static void test_file_hash(void **state)
{
	(void)state;
	static const char text[] =
	    "{\"regions\": {\"33\": {\"tekun_bps\": 1}}}\n";
	char tmp[] = "/tmp/test_policy_hash_XXXXXX", err[256] = "";
	char v[POLICY_VERSION_SIZE], h[13], want[64];
	policy_params p;
	policy_book *b = NULL;
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof text - 1), sizeof text - 1);
	close(fd);
	assert_int_equal(policy_book_load(tmp, &b, err, sizeof err), HD_OK);
	unlink(tmp);
	sha12(text, h);
	assert_memory_equal(policy_book_file_sha256(b), h, 12);
	resolve(b, "330106", &p, v);
	snprintf(want, sizeof want, ",file:%s,33", h);
	assert_non_null(strstr(v, want));
	policy_book_free(b);
}

/* A nationwide file: every county and city with its own dated standards,
 * in no particular order; each region finds its own sets. */
static void test_many_entries(void **state)
{
	(void)state;
	size_t cap = 4u << 20, at = 0;
	char *json = malloc(cap);
	assert_non_null(json);
	at += (size_t)snprintf(json + at, cap - at, "{\"regions\": {");
	/* counties in descending order, their cities after them */
	for (int c = 3000; c >= 1; c--) {
		int prov = 10 + c % 80, city = 1 + c % 90, county = c % 97;
		at += (size_t)snprintf(json + at, cap - at,
		    "%s\"%02d%02d%02d\": ["
		    "{\"from\": \"2023-01-01\", \"dibao_standard_fen\": "
		    "{\"urban\": %d}},"
		    "{\"from\": \"2024-01-01\", \"until\": \"2024-12-31\", "
		    "\"dibao_standard_fen\": {\"urban\": %d}}]",
		    c == 3000 ? "" : ",", prov, city, county, 100000 + c,
		    200000 + c);
		if (c % 97 == 0)
			at += (size_t)snprintf(json + at, cap - at,
			    ",\"%02d%02d\": {\"tekun_bps\": %d}", prov, city,
			    13000 + c);
		assert_true(at < cap);
	}
	snprintf(json + at, cap - at, "}}");
	char err[256] = "";
	policy_book *b = NULL;
	hd_err rv = policy_book_parse(json, strlen(json), &b, err, sizeof err);
	if (rv != HD_OK)
		fail_msg("%s", err);
	for (int c = 1; c <= 3000; c += 7) {
		char region[16];
		unsigned prov = 10 + (unsigned)c % 80;
		unsigned city = 1 + (unsigned)c % 90,
		         county = (unsigned)c % 97;
		snprintf(
		    region, sizeof region, "%02u%02u%02u", prov, city, county);
		/* codes are unique: (c mod 80, 90, 97) for c up to 3000 */
		assert_int_equal(S_at(b, region, 20230601), 100000 + c);
		assert_int_equal(S_at(b, region, 20240601), 200000 + c);
		/* after the last until: the province, i.e. Beijing's built-in
		 * set or the default */
		assert_int_equal(
		    S_at(b, region, 20250601), prov == 11 ? 145000 : 100000);
		assert_int_equal(S_at(b, region, 20221231), 100000);
	}
	/* a city entry among them, and the built-in set */
	policy_applied a;
	policy_params p;
	assert_int_equal(
	    policy_book_apply(b, "270800", 20240601, &p, &a), HD_OK);
	assert_int_equal(p.tekun_bps, 13000 + 97);
	assert_int_equal(a.n, 2); /* 2708 and 270800 */
	assert_int_equal(S_at(b, "119999", 20250601), 145000);
	policy_book_free(b);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_canonical_text),
	    cmocka_unit_test(test_beijing_builtin),
	    cmocka_unit_test(test_longest_prefix),
	    cmocka_unit_test(test_every_field),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_version_stability),
	    cmocka_unit_test(test_shipped_and_files),
	    cmocka_unit_test(test_dated_standard_change),
	    cmocka_unit_test(test_dated_levels),
	    cmocka_unit_test(test_dated_errors),
	    cmocka_unit_test(test_applied_and_sets),
	    cmocka_unit_test(test_undated_files_unchanged),
	    cmocka_unit_test(test_file_hash),
	    cmocka_unit_test(test_many_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
