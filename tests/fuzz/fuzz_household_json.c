/* SPDX-License-Identifier: MIT */
/*
 * The household file the CLI reads (JSON): parsed as `hedui verify` parses
 * it; a household that parses must encode, decode and pass or fail the
 * service's own checks cleanly.
 */
#include "fuzz_util.h"

#include "household.h"
#include "household_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	household_json_result r;
	Hedui__V1__Household *h =
	    household_json_parse((const char *)data, size, &r);
	if (h == NULL) {
		FUZZ_ASSERT(r.error[0] != '\0');
		return 0;
	}
	size_t n = hedui__v1__household__get_packed_size(h);
	uint8_t *buf = malloc(n + 1);
	if (buf == NULL)
		abort();
	hedui__v1__household__pack(h, buf);
	Hedui__V1__Household *back =
	    hedui__v1__household__unpack(NULL, n, buf);
	FUZZ_ASSERT(back != NULL);
	household_norm norm;
	household_problem prob;
	(void)household_check(back, 20270115, &norm, &prob);
	hedui__v1__household__free_unpacked(back, NULL);
	free(buf);
	household_json_free(h);
	return 0;
}
