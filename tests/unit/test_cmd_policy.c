/* SPDX-License-Identifier: MIT */
/*
 * hedui policy show without a service: usage and bad arguments (exit 2,
 * nothing sent, a bad region not echoed), and --file, which reads a
 * policy file with heduid's loader: the table, the JSON, and a file heduid
 * would refuse (exit 2, the entry named). No network.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "policy_output.h"

static char out_text[16384], err_text[4096];
static char file_path[64];

static void write_file(const char *text)
{
	snprintf(file_path, sizeof file_path, "/tmp/hedui-policy-XXXXXX");
	int fd = mkstemp(file_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void slurp(int fd, char *buf, size_t cap)
{
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, buf, cap - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Runs "hedui policy ARGS..." with stdout and stderr kept. */
static int run_policy(char **argv)
{
	cli_ctx ctx;
	int argc = 0;
	while (argv[argc] != NULL)
		argc++;
	memset(&ctx, 0, sizeof ctx);
	snprintf(ctx.server, sizeof ctx.server, "tls+tcp://127.0.0.1:1");
	ctx.argc = argc;
	ctx.argv = argv;

	char opath[] = "/tmp/hedui-policy-out-XXXXXX";
	char epath[] = "/tmp/hedui-policy-err-XXXXXX";
	int ofd = mkstemp(opath), efd = mkstemp(epath);
	assert_true(ofd >= 0 && efd >= 0);
	unlink(opath);
	unlink(epath);
	fflush(stdout);
	fflush(stderr);
	int so = dup(1), se = dup(2);
	dup2(ofd, 1);
	dup2(efd, 2);
	int rc = cmd_policy(&ctx);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	assert_null(ctx.client); /* never connected */
	slurp(ofd, out_text, sizeof out_text);
	slurp(efd, err_text, sizeof err_text);
	return rc;
}

static void assert_has(const char *text, const char *want)
{
	if (strstr(text, want) == NULL) {
		print_error("lacks \"%s\":\n%s\n", want, text);
		fail();
	}
}

static void bad_usage(void **state)
{
	(void)state;
	char *none[] = {"policy", NULL};
	assert_int_equal(run_policy(none), CLI_EXIT_USAGE);
	assert_has(err_text, "usage: hedui policy show REGION");
	char *other[] = {"policy", "list", NULL};
	assert_int_equal(run_policy(other), CLI_EXIT_USAGE);
	char *no_region[] = {"policy", "show", NULL};
	assert_int_equal(run_policy(no_region), CLI_EXIT_USAGE);
	char *two[] = {"policy", "show", "110105", "330106", NULL};
	assert_int_equal(run_policy(two), CLI_EXIT_USAGE);
	char *opt[] = {"policy", "show", "110105", "--yaml", NULL};
	assert_int_equal(run_policy(opt), CLI_EXIT_USAGE);
	char *dangling[] = {"policy", "show", "110105", "--as-of", NULL};
	assert_int_equal(run_policy(dangling), CLI_EXIT_USAGE);
	/* an ID number typed for a region: refused, not echoed */
	char *id[] = {"policy", "show", "11010519491231002X", NULL};
	assert_int_equal(run_policy(id), CLI_EXIT_USAGE);
	assert_has(err_text, "REGION must be a 6-digit region code");
	assert_null(strstr(err_text, "1949"));
	char *date[] = {
	    "policy", "show", "110105", "--as-of", "2024-7-1", NULL};
	assert_int_equal(run_policy(date), CLI_EXIT_USAGE);
	assert_has(err_text, "--as-of must be a date YYYY-MM-DD");
}

static const char dated[] =
    "{\"regions\": {\"11\": ["
    "{\"from\": \"2023-07-01\", \"dibao_standard_fen\": "
    "{\"urban\": 139500, \"rural\": 139500}},"
    "{\"from\": \"2024-07-01\", \"dibao_standard_fen\": "
    "{\"urban\": 145000, \"rural\": 145000}}],"
    "\"1101\": {\"max_residential_area_per_capita_centi_m2\": 4000, "
    "\"vehicle_exempt_kinds\": []}}}";

static void file_table(void **state)
{
	(void)state;
	write_file(dated);
	char *argv[] = {"policy", "show", "110105", "--as-of", "2024-06-30",
	    "--file", file_path, NULL};
	assert_int_equal(run_policy(argv), CLI_EXIT_OK);
	unlink(file_path);
	assert_has(out_text, "  地区 Region: 110105\n");
	assert_has(out_text, "  核对基准日 As of: 2024-06-30\n");
	assert_has(out_text, ",11@2023-07-01,1101\n");
	assert_has(out_text, "  低保标准（农村） dibao_standard_fen.rural: "
	                     "¥1,395.00 (139500 fen)  [11@2023-07-01]\n");
	assert_has(out_text, "  人均住房面积上限 "
	                     "max_residential_area_per_capita_centi_m2: "
	                     "40.00 m² (4000 centi-m²)  [1101]\n");
	assert_has(out_text, "  豁免车辆类型 vehicle_exempt_kinds: "
	                     "(无 none)  [1101]\n");
	assert_has(out_text, "  经营注册资本上限 business_capital_cap_fen: "
	                     "¥100,000.00 (10000000 fen)  [全国默认 "
	                     "default]\n");
	assert_has(out_text, "  特困供养标准倍数 tekun_bps: 130.00% (13000 "
	                     "bps)  [全国默认 default]\n");
	assert_has(out_text, "  允许非住宅房产 allow_non_residential: false");
	assert_has(out_text, "    builtin:11@2024-07-01  内置 built-in  "
	                     "2024-07-01 起 from  dibao_standard_fen.urban, "
	                     "dibao_standard_fen.rural\n");
	assert_has(out_text, "  * 11@2023-07-01  文件 file  2023-07-01 起 "
	                     "from, 至 until 2024-06-30  ");
	assert_has(out_text, "    11@2024-07-01  文件 file  2024-07-01 起 "
	                     "from  ");
	assert_has(out_text, "  * 1101  文件 file  一直 always  "
	                     "max_residential_area_per_capita_centi_m2, "
	                     "vehicle_exempt_kinds\n");
	assert_string_equal(err_text, "");

	/* a region no entry names */
	write_file(dated);
	char *other[] = {
	    "policy", "show", "540102", "--file", file_path, NULL};
	assert_int_equal(run_policy(other), CLI_EXIT_OK);
	unlink(file_path);
	assert_has(out_text, "  无 none: 全国默认 national defaults only\n");
	assert_has(out_text, ",file:");
}

static void file_json(void **state)
{
	(void)state;
	write_file(dated);
	char *argv[] = {"policy", "show", "--json", "110105", "--file",
	    file_path, "--as-of", "2024-07-01", NULL};
	assert_int_equal(run_policy(argv), CLI_EXIT_OK);
	unlink(file_path);
	json_error_t je;
	json_t *o = json_loads(out_text, 0, &je);
	assert_non_null(o);
	assert_string_equal(
	    json_string_value(json_object_get(o, "region_code")), "110105");
	assert_int_equal(
	    strlen(json_string_value(json_object_get(o, "file_sha256"))), 64);
	json_t *values = json_object_get(o, "values");
	assert_int_equal(json_array_size(values), 17);
	json_t *v0 = json_array_get(values, 0);
	assert_string_equal(json_string_value(json_object_get(v0, "name")),
	    "dibao_standard_fen.urban");
	assert_string_equal(
	    json_string_value(json_object_get(v0, "value")), "145000");
	assert_string_equal(
	    json_string_value(json_object_get(v0, "source")), "11@2024-07-01");
	json_t *sets = json_object_get(o, "sets");
	assert_int_equal(json_array_size(sets), 4);
	json_t *s1 = json_array_get(sets, 1);
	assert_string_equal(
	    json_string_value(json_object_get(s1, "from")), "2023-07-01");
	assert_string_equal(
	    json_string_value(json_object_get(s1, "ends")), "2024-06-30");
	assert_string_equal(
	    json_string_value(json_object_get(s1, "until")), "");
	assert_int_equal(json_integer_value(json_object_get(s1, "index")), 0);
	assert_true(json_is_false(json_object_get(s1, "in_force")));
	assert_true(json_is_true(
	    json_object_get(json_array_get(sets, 0), "in_force")));
	assert_true(
	    json_is_true(json_object_get(json_array_get(sets, 0), "builtin")));
	json_decref(o);
}

static void file_refused(void **state)
{
	(void)state;
	write_file("{\"regions\": {\"11\": ["
	           "{\"from\": \"2023-07-01\", \"until\": \"2024-06-29\"},"
	           "{\"from\": \"2024-07-01\"}]}}");
	char *argv[] = {"policy", "show", "110105", "--file", file_path, NULL};
	assert_int_equal(run_policy(argv), CLI_EXIT_USAGE);
	unlink(file_path);
	assert_has(err_text, "regions.11[1] (from 2024-07-01) leaves a gap "
	                     "after regions.11[0] (2023-07-01 to 2024-06-29): "
	                     "nothing applies from 2024-06-30 to 2024-06-30");
	assert_string_equal(out_text, "");
	char *missing[] = {"policy", "show", "110105", "--file",
	    "/nonexistent/policy.json", NULL};
	assert_int_equal(run_policy(missing), CLI_EXIT_USAGE);
	assert_has(err_text, "cannot open /nonexistent/policy.json");
}

/* Text from a service never reaches the terminal as control codes. */
static void hostile_answer(void **state)
{
	(void)state;
	Hedui__V1__ShowPolicyResponse r =
	    HEDUI__V1__SHOW_POLICY_RESPONSE__INIT;
	Hedui__V1__PolicyValue v = HEDUI__V1__POLICY_VALUE__INIT;
	Hedui__V1__PolicyValue *vp[1] = {&v};
	Hedui__V1__PolicySet s = HEDUI__V1__POLICY_SET__INIT;
	Hedui__V1__PolicySet *sp[1] = {&s};
	char *names[1] = {"\x1b[2Jx"};
	r.region_code = "\x1b]0;t\x07";
	r.as_of = "2024-07-01";
	r.policy_version = "pv1-\x9b"
	                   "31m";
	r.file_sha256 = "";
	v.name = "tekun_bps";
	v.value = "99999999999999999999";
	v.source = "\x1b[31m";
	r.values = vp;
	r.n_values = 1;
	s.name = "\r\nx";
	s.key = "11";
	s.names = names;
	s.n_names = 1;
	r.sets = sp;
	r.n_sets = 1;
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(policy_output_table(f, &r), HD_OK);
	assert_int_equal(policy_output_json(f, &r), HD_OK);
	rewind(f);
	size_t n = fread(out_text, 1, sizeof out_text - 1, f);
	out_text[n] = '\0';
	fclose(f);
	assert_null(strchr(out_text, '\x1b'));
	assert_null(strchr(out_text, '\r'));
	assert_null(strstr(out_text, "\xc2\x9b"));
	/* a value too long for a number is shown as text */
	assert_has(out_text, "tekun_bps: 99999999999999999999");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bad_usage),
	    cmocka_unit_test(file_table),
	    cmocka_unit_test(file_json),
	    cmocka_unit_test(file_refused),
	    cmocka_unit_test(hostile_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
