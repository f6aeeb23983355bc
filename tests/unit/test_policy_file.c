/* The regional policy file: parsing, prefix lookup, policy_version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"

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

static void resolve(
    const policy_book *b, const char *region, policy_params *p, char *version)
{
	assert_int_equal(policy_book_resolve(b, region, p, version), HD_OK);
}

static void test_defaults_and_canonical_text(void **state)
{
	(void)state;
	policy_params p, d;
	char text[1024], version[POLICY_VERSION_SIZE];
	policy_params_defaults(&d);
	assert_true(policy_params_valid(&d));
	size_t n = policy_params_canonical(&d, text, sizeof(text));
	assert_int_equal(n, strlen(defaults_text));
	assert_string_equal(text, defaults_text);
	assert_int_equal(policy_params_canonical(&d, NULL, 0), n);
	assert_int_equal(policy_params_canonical(&d, text, 10), n);
	assert_string_equal(text, "hedui-pol"); /* truncated, terminated */
	assert_int_equal(policy_params_version(&d, version), HD_OK);
	assert_string_equal(version, defaults_version);

	policy_book *b = NULL;
	assert_int_equal(policy_book_load(NULL, &b, NULL, 0), HD_OK);
	resolve(b, "330106", &p, version);
	assert_memory_equal(&p, &d, sizeof(p));
	assert_string_equal(version, defaults_version);
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
	assert_string_not_equal(v1, defaults_version);
	resolve(NULL, "110229", &p, v2); /* no book: built-ins too */
	assert_int_equal(p.dibao_standard_fen[POLICY_AREA_RURAL], 145000);
	assert_string_equal(v1, v2);
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

	assert_int_equal(policy_book_resolve(b, "3301", &p, NULL), HD_EINVAL);
	assert_int_equal(
	    policy_book_resolve(b, "33010a", &p, NULL), HD_EINVAL);
	assert_int_equal(
	    policy_book_resolve(b, "3301061", &p, NULL), HD_EINVAL);
	assert_int_equal(policy_book_resolve(b, NULL, &p, NULL), HD_EINVAL);
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
	    {"{\"regions\": {\"33\": []}}", "regions.33: must be an object"},
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
	/* two files that yield the same parameters: same version */
	policy_book *a =
	    parse_ok("{\"regions\": {\"33\": {\"tekun_bps\": 14000, "
	             "\"vehicle_exempt_kinds\": [\"motorcycle\", \"car\"]}}}");
	policy_book *b = parse_ok(
	    "{\"regions\": {\"3301\": {\"vehicle_exempt_kinds\": [\"car\", "
	    "\"motorcycle\", \"car\"]}, \"330106\": {\"tekun_bps\": 14000, "
	    "\"marginal_bps\": 15000, \"comment\": \"x\"}}}");
	resolve(a, "330106", &p, v1);
	resolve(b, "330106", &p, v2);
	assert_string_equal(v1, v2);
	assert_int_equal(strlen(v1), POLICY_VERSION_SIZE - 1);
	assert_memory_equal(v1, "pv1-", 4);
	for (size_t i = 4; i < strlen(v1); i++)
		assert_non_null(strchr("0123456789abcdef", v1[i]));
	/* elsewhere the entries do not apply: the defaults' version */
	resolve(a, "340106", &p, v1);
	assert_string_equal(v1, defaults_version);

	/* any changed parameter changes the version */
	policy_params d;
	policy_params_defaults(&d);
	char base[POLICY_VERSION_SIZE];
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
