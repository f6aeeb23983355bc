/* SPDX-License-Identifier: MIT */
/*
 * The CLI's side: a VerifyHouseholdResponse from the service (which may be
 * hostile or broken) printed as `hedui verify` prints it, as the table and
 * as JSON. Nothing the server sends may reach the terminal as a control
 * character (C0, DEL or C1: escape sequences), only newlines of our own.
 */
#include "fuzz_util.h"

#include "verdict_json.h"
#include "verdict_table.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void fuzz_print(
    hd_err (*print)(FILE *, const Hedui__V1__VerifyHouseholdResponse *),
    const Hedui__V1__VerifyHouseholdResponse *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		abort();
	(void)print(f, r);
	fclose(f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		FUZZ_ASSERT(c == '\n' || (c >= 0x20 && c != 0x7f));
		/* C1 controls in UTF-8: U+009B is an 8-bit CSI. */
		FUZZ_ASSERT(!(c == 0xc2 && i + 1 < len &&
		              (unsigned char)buf[i + 1] < 0xa0));
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hedui__V1__VerifyHouseholdResponse *r =
	    hedui__v1__verify_household_response__unpack(NULL, size, data);
	if (r == NULL)
		return 0;
	fuzz_print(verdict_table_print, r);
	fuzz_print(verdict_json_print, r);
	hedui__v1__verify_household_response__free_unpacked(r, NULL);
	return 0;
}
