/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "idnum.h"

/* The example of GB 11643-1999 and docs/RULES.md. */
#define GOOD "11010519491231002X"

static void check_digit_of_standard_example(void **state)
{
	(void)state;
	assert_int_equal(idnum_check_char("11010519491231002"), 'X');
	char out[IDNUM_LEN + 1];
	assert_int_equal(idnum_check(GOOD, 20261101, out), IDNUM_OK);
	assert_string_equal(out, GOOD);
}

static void lower_case_x_is_normalised(void **state)
{
	(void)state;
	char out[IDNUM_LEN + 1];
	assert_int_equal(idnum_check("11010519491231002x", 0, out), IDNUM_OK);
	assert_string_equal(out, GOOD);
}

static void defects(void **state)
{
	(void)state;
	char out[IDNUM_LEN + 1];
	assert_int_equal(idnum_check("", 0, out), IDNUM_EMPTY);
	assert_int_equal(idnum_check(NULL, 0, out), IDNUM_EMPTY);
	assert_int_equal(
	    idnum_check("110105491231002", 0, out), IDNUM_LEGACY_15);
	assert_int_equal(
	    idnum_check("11010519491231002", 0, out), IDNUM_BAD_LENGTH);
	assert_int_equal(
	    idnum_check("11010519491231002X1", 0, out), IDNUM_BAD_LENGTH);
	assert_int_equal(
	    idnum_check("1101051949123100XX", 0, out), IDNUM_BAD_CHAR);
	assert_int_equal(
	    idnum_check("11010519491231002Y", 0, out), IDNUM_BAD_CHAR);
	/* Full-width digits are multi-byte: wrong length or characters. */
	assert_int_not_equal(idnum_check("\xef\xbc\x91"
	                                 "1010519491231002X",
	                         0, out),
	    IDNUM_OK);
	assert_int_equal(
	    idnum_check("110105194912310021", 0, out), IDNUM_BAD_CHECK);
	/* 1949-02-30 does not exist; 2000-02-29 does, 1900-02-29 not. */
	char id[IDNUM_LEN + 1];
	memcpy(id, "11010519490230002", 17);
	id[17] = idnum_check_char(id);
	id[18] = '\0';
	assert_int_equal(idnum_check(id, 0, out), IDNUM_BAD_DATE);
	memcpy(id, "11010520000229002", 17);
	id[17] = idnum_check_char(id);
	assert_int_equal(idnum_check(id, 0, out), IDNUM_OK);
	memcpy(id, "11010519000229002", 17);
	id[17] = idnum_check_char(id);
	assert_int_equal(idnum_check(id, 0, out), IDNUM_BAD_DATE);
	/* Born after the assessment date. */
	memcpy(id, "11010520261102002", 17);
	id[17] = idnum_check_char(id);
	assert_int_equal(idnum_check(id, 20261101, out), IDNUM_FUTURE_DATE);
	assert_int_equal(idnum_check(id, 20261102, out), IDNUM_OK);
	for (int d = IDNUM_OK; d <= IDNUM_BAD_CHECK; d++)
		assert_true(strlen(idnum_defect_str((idnum_defect)d)) > 0);
	assert_non_null(strstr(idnum_defect_str(IDNUM_LEGACY_15), "18-digit"));
}

static void age_counts_full_years(void **state)
{
	(void)state;
	/* Born 1949-12-31. */
	assert_int_equal(idnum_age(GOOD, 20091230), 59);
	assert_int_equal(idnum_age(GOOD, 20091231), 60);
	assert_int_equal(idnum_age(GOOD, 20100101), 60);
	assert_int_equal(idnum_birth_date(GOOD), 19491231);
}

static void masking(void **state)
{
	(void)state;
	char m[IDNUM_MASKED_LEN + 1];
	idnum_mask(GOOD, m);
	assert_string_equal(m, "110105********002X");
	idnum_mask("12345", m);
	assert_string_equal(m, "******************");
	idnum_mask(NULL, m);
	assert_string_equal(m, "******************");
}

static void dates(void **state)
{
	(void)state;
	idnum_date d;
	assert_true(idnum_date_parse("2026-11-01", &d));
	assert_int_equal(d, 20261101);
	assert_false(idnum_date_parse("2026-13-01", &d));
	assert_false(idnum_date_parse("2026-1-01", &d));
	assert_false(idnum_date_parse("2026/11/01", &d));
	assert_false(idnum_date_parse("2025-02-29", &d));
	assert_true(idnum_date_parse("2024-02-29", &d));
	assert_true(idnum_date_valid(idnum_date_today()));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(check_digit_of_standard_example),
	    cmocka_unit_test(lower_case_x_is_normalised),
	    cmocka_unit_test(defects),
	    cmocka_unit_test(age_counts_full_years),
	    cmocka_unit_test(masking),
	    cmocka_unit_test(dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
