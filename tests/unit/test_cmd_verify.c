/* SPDX-License-Identifier: MIT */
/* hedui verify's refusals: each exits 2, says why on stderr, and sends
 * nothing (no connection is even set up). No network. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define ID0 "11010519491231002X"

static char file_path[64];
static char err_path[64];
static char err_text[4096];
static const char *operator_id = ""; /* --operator for the next run */

static void write_file(const char *text)
{
	snprintf(file_path, sizeof file_path, "/tmp/hedui-verify-XXXXXX");
	int fd = mkstemp(file_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Runs "hedui verify ARGS..." and keeps what it wrote to stderr. */
static int run_verify(int argc, char **argv)
{
	cli_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	snprintf(ctx.cert, sizeof ctx.cert, "/nonexistent/cli.crt");
	snprintf(ctx.key, sizeof ctx.key, "/nonexistent/cli.key");
	snprintf(ctx.operator_id, sizeof ctx.operator_id, "%s", operator_id);
	ctx.argc = argc;
	ctx.argv = argv;

	snprintf(err_path, sizeof err_path, "/tmp/hedui-verify-err-XXXXXX");
	int efd = mkstemp(err_path);
	assert_true(efd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(efd, 2);
	int rc = cmd_verify(&ctx);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_null(ctx.client); /* never connected */

	lseek(efd, 0, SEEK_SET);
	ssize_t n = read(efd, err_text, sizeof err_text - 1);
	err_text[n > 0 ? n : 0] = '\0';
	close(efd);
	unlink(err_path);
	return rc;
}

static int verify_text(const char *household)
{
	write_file(household);
	char *argv[] = {"verify", file_path, "--json", NULL};
	int rc = run_verify(3, argv);
	unlink(file_path);
	return rc;
}

static void assert_err_has(const char *want)
{
	if (strstr(err_text, want) == NULL) {
		print_error("stderr lacks \"%s\":\n%s\n", want, err_text);
		fail();
	}
}

#define HEAD                                                                  \
	"{\"case_id\": \"c-1\", \"region_code\": \"330106\", \"area\": "      \
	"\"urban\", \"program\": \"dibao\", \"members\": ["

static void bad_usage(void **state)
{
	(void)state;
	char *none[] = {"verify", NULL};
	assert_int_equal(run_verify(1, none), CLI_EXIT_USAGE);
	assert_err_has("usage: hedui verify FILE");
	char *two[] = {"verify", "a.json", "b.json", NULL};
	assert_int_equal(run_verify(3, two), CLI_EXIT_USAGE);
	char *opt[] = {"verify", "--yaml", "a.json", NULL};
	assert_int_equal(run_verify(3, opt), CLI_EXIT_USAGE);
}

static void unreadable_file(void **state)
{
	(void)state;
	char *argv[] = {"verify", "/nonexistent/household.json", NULL};
	assert_int_equal(run_verify(2, argv), CLI_EXIT_USAGE);
	assert_err_has("hedui: /nonexistent/household.json: cannot open");
}

static void invalid_file(void **state)
{
	(void)state;
	assert_int_equal(verify_text(HEAD "{\"id_number\": \"" ID0 "\", "
	                                  "\"relation\": \"applicant\", "
	                                  "\"sever_disability\": true}]}"),
	    CLI_EXIT_USAGE);
	assert_err_has(": members[0].sever_disability is not a known field");
	assert_int_equal(
	    verify_text("{\"case_id\": \"c-1\",\n oops}"), CLI_EXIT_USAGE);
	assert_err_has(": line 2, column");
}

static void invalid_household(void **state)
{
	(void)state;
	/* Wrong check character: named, not echoed. */
	assert_int_equal(verify_text(HEAD "{\"id_number\": "
	                                  "\"110105194912310021\", "
	                                  "\"name\": \"张三\", "
	                                  "\"relation\": \"applicant\", "
	                                  "\"consent_ref\": \"SQ-1\"}]}"),
	    CLI_EXIT_USAGE);
	assert_err_has(": members[0].id_number has a wrong check character");
	assert_null(strstr(err_text, "1949"));
	assert_null(strstr(err_text, "张三"));
}

static void missing_consent(void **state)
{
	(void)state;
	assert_int_equal(verify_text(HEAD "{\"id_number\": \"" ID0 "\", "
	                                  "\"relation\": \"applicant\"}]}"),
	    CLI_EXIT_USAGE);
	assert_err_has(": members[0].consent_ref is missing");
	assert_err_has("nothing was sent");
	assert_null(strstr(err_text, "1949"));
}

static void no_agency_identity(void **state)
{
	(void)state;
	assert_int_equal(verify_text(HEAD "{\"id_number\": \"" ID0 "\", "
	                                  "\"relation\": \"applicant\", "
	                                  "\"consent_ref\": \"SQ-1\"}]}"),
	    CLI_EXIT_USAGE);
	assert_err_has("cannot sign the request: cannot read certificate "
	               "/nonexistent/cli.crt");
}

/* The operator id is signed and audited: one that could not be is
 * refused before anything else, and not echoed. */
static void bad_operator(void **state)
{
	(void)state;
	operator_id = "330106 197803150013";
	int rc = verify_text(HEAD "{\"id_number\": \"" ID0 "\", "
	                          "\"relation\": \"applicant\", "
	                          "\"consent_ref\": \"SQ-1\"}]}");
	operator_id = "";
	assert_int_equal(rc, CLI_EXIT_USAGE);
	assert_err_has("operator id");
	assert_err_has("[A-Za-z0-9._@-]");
	assert_null(strstr(err_text, "197803150013"));
	assert_null(strstr(err_text, "cannot sign"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bad_usage),
	    cmocka_unit_test(unreadable_file),
	    cmocka_unit_test(invalid_file),
	    cmocka_unit_test(invalid_household),
	    cmocka_unit_test(missing_consent),
	    cmocka_unit_test(no_agency_identity),
	    cmocka_unit_test(bad_operator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
