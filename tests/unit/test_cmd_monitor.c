/* SPDX-License-Identifier: MIT */
/* hedui monitor's refusals before anything is sent: bad usage, a roster
 * that cannot be read, bad lines (each named by its number, its content
 * never shown, and nothing sent: no connection is even set up), a
 * results directory of another roster or another agency. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static char dir[64], roster[128], out[128];
static char err_text[16384];
static bool may_connect; /* the one case that gets as far */

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/hedui-cmdmon-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(roster, sizeof roster, "%s/roster.jsonl", dir);
	snprintf(out, sizeof out, "%s/out", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *certs(const char *name)
{
	static char buf[2][512];
	static int i;
	const char *d = getenv("HEDUI_CERTS");
	i ^= 1;
	snprintf(buf[i], sizeof buf[i], "%s/%s", d ? d : "build/certs", name);
	return buf[i];
}

/* Runs "hedui monitor ARGS..." as agency NAME, keeps its stderr. */
static int run_as(const char *agency, int argc, char **argv)
{
	cli_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	/* Nothing listens there: a connection would fail the test's
	 * expectations (exit 2 comes before any). */
	snprintf(ctx.server, sizeof ctx.server, "tls+tcp://127.0.0.1:1");
	snprintf(ctx.ca, sizeof ctx.ca, "%s", certs("ca.crt"));
	char c[64], k[64];
	snprintf(c, sizeof c, "%s.crt", agency);
	snprintf(k, sizeof k, "%s.key", agency);
	snprintf(ctx.cert, sizeof ctx.cert, "%s", certs(c));
	snprintf(ctx.key, sizeof ctx.key, "%s", certs(k));
	snprintf(ctx.operator_id, sizeof ctx.operator_id, "tester");
	ctx.deadline_ms = 1000;
	ctx.argc = argc;
	ctx.argv = argv;
	char path[128];
	snprintf(path, sizeof path, "%s/stderr", dir);
	FILE *f = fopen(path, "w+");
	assert_non_null(f);
	fflush(stderr);
	int saved = dup(2);
	dup2(fileno(f), 2);
	int rc = cmd_monitor(&ctx);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (!may_connect)
		assert_null(ctx.client); /* never connected */
	rpc_client_free(ctx.client);
	rewind(f);
	size_t n = fread(err_text, 1, sizeof err_text - 1, f);
	err_text[n] = '\0';
	fclose(f);
	return rc;
}

static int run(int argc, char **argv)
{
	return run_as("agency-1101", argc, argv);
}

static void write_roster(const char *text)
{
	FILE *f = fopen(roster, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void assert_err_has(const char *want)
{
	if (strstr(err_text, want) == NULL) {
		print_error("stderr lacks \"%s\":\n%s\n", want, err_text);
		fail();
	}
}

#define GOOD                                                                  \
	"{\"case_id\":\"C-1\",\"region_code\":\"110105\",\"area\":\"urban\"," \
	"\"members\":[{\"id_number\":\"11010519491231002X\",\"name\":"        \
	"\"张三\",\"relation\":\"applicant\",\"consent_ref\":\"SQ-1\"}],"   \
	"\"enrollment\":{\"program\":\"dibao\",\"category\":\"dibao\","       \
	"\"monthly_benefit_fen\":50000,\"since\":\"2024-01-01\"}}\n"

static void usage(void **state)
{
	(void)state;
	char *none[] = {"monitor", NULL};
	assert_int_equal(run(1, none), CLI_EXIT_USAGE);
	assert_err_has("usage: hedui");
	char *two[] = {"monitor", roster, roster, NULL};
	assert_int_equal(run(3, two), CLI_EXIT_USAGE);
	char *bad_rate[] = {"monitor", roster, "--rate", "0", NULL};
	assert_int_equal(run(4, bad_rate), CLI_EXIT_USAGE);
	assert_err_has("--rate must be 1 to");
	char *bad_batch[] = {"monitor", roster, "--batch", "257", NULL};
	assert_int_equal(run(4, bad_batch), CLI_EXIT_USAGE);
	char *bad_run[] = {"monitor", roster, "--run-id", "a b", NULL};
	assert_int_equal(run(4, bad_run), CLI_EXIT_USAGE);
	char *bad_date[] = {"monitor", roster, "--as-of", "2026-13-01", NULL};
	assert_int_equal(run(4, bad_date), CLI_EXIT_USAGE);
	char *unknown[] = {"monitor", roster, "--fast", NULL};
	assert_int_equal(run(3, unknown), CLI_EXIT_USAGE);
}

static void roster_unreadable(void **state)
{
	(void)state;
	char *argv[] = {
	    "monitor", "/nonexistent/roster.jsonl", "--out", out, NULL};
	assert_int_equal(run(4, argv), CLI_EXIT_USAGE);
	assert_err_has("cannot open");
	char *stdin_argv[] = {"monitor", "-", "--out", out, NULL};
	assert_int_equal(run(4, stdin_argv), CLI_EXIT_USAGE);
	assert_err_has("must be a file");
	write_roster("\n\n");
	char *empty[] = {"monitor", roster, "--out", out, NULL};
	assert_int_equal(run(4, empty), CLI_EXIT_USAGE);
	assert_err_has("no households");
}

static void bad_lines_named_not_shown(void **state)
{
	(void)state;
	/* Lines 2, 4 and 5 are bad; 3 is blank; 1 and 6 good. */
	write_roster(
	    GOOD "{\"case_id\": 11010519491231002X}\n"
	         "\n"
	         "{\"region_code\":\"110105\",\"name\":\"李四\"}\n"
	         "{\"case_id\":\"C-2\",\"enrollment\":{\"program\":\"dibao\","
	         "\"category\":\"tekun\",\"monthly_benefit_fen\":1,\"since\":"
	         "\"2024-01-01\"},\"members\":[]}\n" GOOD);
	char *argv[] = {"monitor", roster, "--out", out, NULL};
	assert_int_equal(run(4, argv), CLI_EXIT_USAGE);
	assert_err_has("line 2: column");
	assert_err_has("line 4: enrollment is required");
	assert_err_has("line 5: enrollment.category cannot be paid");
	assert_err_has("3 of 5 lines are not roster lines");
	assert_err_has("nothing was sent");
	assert_null(strstr(err_text, "line 1:"));
	assert_null(strstr(err_text, "line 6:"));
	assert_null(strstr(err_text, "1101051949"));
	assert_null(strstr(err_text, "李四"));
	/* Nothing was started: no results file. */
	char path[160];
	struct stat st;
	snprintf(path, sizeof path, "%s/results.jsonl", out);
	assert_int_not_equal(stat(path, &st), 0);
}

/* More bad lines than are named: the rest are counted. */
static void many_bad_lines(void **state)
{
	(void)state;
	FILE *f = fopen(roster, "w");
	assert_non_null(f);
	for (int i = 0; i < 50; i++)
		fputs("{}\n", f);
	fclose(f);
	char *argv[] = {"monitor", roster, "--out", out, NULL};
	assert_int_equal(run(4, argv), CLI_EXIT_USAGE);
	assert_err_has("line 10: ");
	assert_null(strstr(err_text, "line 11: "));
	assert_err_has("50 of 50 lines are not roster lines (the first ones");
}

/* A results directory belongs to one roster and one agency. */
static void results_of_another_run(void **state)
{
	(void)state;
	write_roster(GOOD);
	char results[160];
	snprintf(results, sizeof results, "%s/results.jsonl", out);
	mkdir(out, 0700);
	/* A run as agency-1101 of a roster whose only household is refused
	 * by the CLI itself (no consent): it completes without the service
	 * (nothing is sent) and leaves its results. */
	write_roster(
	    "{\"case_id\":\"C-1\",\"region_code\":\"110105\",\"area\":"
	    "\"urban\",\"members\":[{\"id_number\":"
	    "\"11010519491231002X\",\"name\":\"张三\",\"relation\":"
	    "\"applicant\"}],\"enrollment\":{\"program\":\"dibao\","
	    "\"category\":\"dibao\",\"monthly_benefit_fen\":50000,"
	    "\"since\":\"2024-01-01\"}}\n");
	char *argv[] = {"monitor", roster, "--out", out, NULL};
	may_connect = true;
	assert_int_equal(run(4, argv), CLI_EXIT_OK);
	may_connect = false;
	assert_err_has("refused 1");
	struct stat st;
	assert_int_equal(stat(results, &st), 0);

	/* Another agency certificate: refused. */
	assert_int_equal(run_as("agency-330106", 4, argv), CLI_EXIT_USAGE);
	assert_err_has("another agency certificate");
	/* The roster changed: refused. */
	FILE *f = fopen(roster, "a");
	fputs(GOOD, f);
	fclose(f);
	assert_int_equal(run(4, argv), CLI_EXIT_USAGE);
	assert_err_has("another roster");
	/* Another --run-id than the one begun: refused. */
	char *other[] = {
	    "monitor", roster, "--out", out, "--run-id", "x", NULL};
	assert_int_equal(run(6, other), CLI_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(usage, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        roster_unreadable, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        bad_lines_named_not_shown, setup, teardown),
	    cmocka_unit_test_setup_teardown(many_bad_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        results_of_another_run, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
