/* SPDX-License-Identifier: MIT */
/* log_mask_client: what a client chose, as it may appear in a log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "log_mask.h"

static const char *mask(const char *in, size_t cap)
{
	static char out[256];
	return log_mask_client(in, out, cap < sizeof out ? cap : sizeof out);
}

static void id_numbers_are_masked(void **state)
{
	(void)state;
	assert_string_equal(
	    mask("330106197803150013", 256), "330106********0013");
	assert_string_equal(
	    mask("req-11010519491231002X-a", 256), "req-110105********002X-a");
	assert_string_equal(
	    mask("11010519491231002x", 256), "110105********002x");
	/* First generation, 15 digits. */
	assert_string_equal(mask("330106780315001", 256), "330106*****5001");
	/* Two in a row: nothing of the middle shows. */
	assert_string_equal(mask("330106197803150013330106197803150013", 256),
	    "330106**************************0013");
	/* Full-width digits are masked character by character. */
	assert_string_equal(mask("３３０１０６１９７８０３１５００１３", 256),
	    "３３０１０６********００１３");
	assert_string_equal(mask("a\"b\\c330106197803150013\"", 256),
	    "a?b?c330106********0013?");
}

static void short_runs_are_kept(void **state)
{
	(void)state;
	assert_string_equal(mask("12345678901234", 256), "12345678901234");
	assert_string_equal(
	    mask("case-330106-2026-000123", 256), "case-330106-2026-000123");
	assert_string_equal(mask("", 256), "");
	char out[4];
	assert_string_equal(log_mask_client(NULL, out, sizeof out), "");
	assert_string_equal(mask("张三 officer-7", 256), "张三 officer-7");
}

static void cut_within_bounds(void **state)
{
	(void)state;
	/* Cut inside a run: never more than the masked form shows. */
	assert_string_equal(mask("330106197803150013", 10), "330106***");
	assert_string_equal(mask("330106197803150013", 1), "");
	/* Never inside a UTF-8 sequence. */
	assert_string_equal(mask("ab张", 5), "ab");
	assert_string_equal(mask("ab张", 6), "ab张");
	assert_string_equal(mask("１２", 4), "１");
	/* A sequence cut by the end of the string stays cut. */
	assert_string_equal(mask("a\xe5\xbc", 256), "a\xe5\xbc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(id_numbers_are_masked),
	    cmocka_unit_test(short_runs_are_kept),
	    cmocka_unit_test(cut_within_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
