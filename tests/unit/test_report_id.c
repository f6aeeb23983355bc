/* SPDX-License-Identifier: MIT */
/*
 * verify_report_id: the form of a report id, and no id at all when
 * OpenSSL gives no random bytes (it used to give one with a fixed random
 * part, which another process could give too). RAND_bytes is wrapped at
 * link time (-Wl,--wrap=RAND_bytes, Makefile) to fail on demand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "verify_report_id.h"

int __real_RAND_bytes(unsigned char *buf, int num);
int __wrap_RAND_bytes(unsigned char *buf, int num);

/* Calls of RAND_bytes from now on that fail: 0 none, -1 all. */
static int rand_failures;

int __wrap_RAND_bytes(unsigned char *buf, int num)
{
	if (rand_failures != 0) {
		if (rand_failures > 0)
			rand_failures--;
		memset(buf, 0, (size_t)num);
		return 0;
	}
	return __real_RAND_bytes(buf, num);
}

static void id_form(void **state)
{
	(void)state;
	char a[VERIFY_REPORT_ID_SIZE], b[VERIFY_REPORT_ID_SIZE];
	assert_int_equal(verify_report_id_make(a), HD_OK);
	assert_int_equal(verify_report_id_make(b), HD_OK);
	assert_int_equal(strlen(a), 3 + 8 + 1 + 16);
	assert_memory_equal(a, "HD-", 3);
	assert_int_equal(a[11], '-');
	for (size_t i = 12; i < 28; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	/* Made one after another, they sort one after another. */
	assert_true(strcmp(a, b) < 0);
}

static void no_randomness_no_id(void **state)
{
	(void)state;
	char id[VERIFY_REPORT_ID_SIZE];
	memset(id, 'x', sizeof id);
	rand_failures = -1;
	hd_err e = verify_report_id_make(id);
	rand_failures = 0;
	assert_int_equal(e, HD_ECRYPTO);
	assert_string_equal(id, "");
	/* And it recovers with the randomness. */
	assert_int_equal(verify_report_id_make(id), HD_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(id_form),
	    cmocka_unit_test(no_randomness_no_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
