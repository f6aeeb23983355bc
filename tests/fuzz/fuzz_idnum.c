/* SPDX-License-Identifier: MIT */
/*
 * ID number parsing (GB 11643) and the dates around it: the check, the
 * mask, the age, and YYYY-MM-DD dates. The input is split at the first
 * NUL: an ID number, then a date.
 */
#include "fuzz_util.h"

#include "idnum.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	size_t idlen = strlen(text);
	const char *date = idlen < size ? text + idlen + 1 : "";
	idnum_date as_of = 20270115;
	if (date[0] != '\0' && !idnum_date_parse(date, &as_of))
		as_of = 20270115;
	FUZZ_ASSERT(idnum_date_valid(as_of));

	char norm[IDNUM_LEN + 1];
	idnum_defect d = idnum_check(text, as_of, norm);
	FUZZ_ASSERT(idnum_defect_str(d) != NULL);
	if (d == IDNUM_OK) {
		FUZZ_ASSERT(strlen(norm) == IDNUM_LEN);
		FUZZ_ASSERT(idnum_check_char(norm) == norm[17]);
		FUZZ_ASSERT(idnum_date_valid(idnum_birth_date(norm)));
		int age = idnum_age(norm, as_of);
		FUZZ_ASSERT(age >= 0 && age < 10000);
	}
	char masked[IDNUM_MASKED_LEN + 1];
	idnum_mask(text, masked);
	FUZZ_ASSERT(strlen(masked) == IDNUM_MASKED_LEN);
	/* Never more than the first 6 and last 4 characters. */
	for (int i = 6; i < 14; i++)
		FUZZ_ASSERT(masked[i] == '*');
	free(text);
	return 0;
}
