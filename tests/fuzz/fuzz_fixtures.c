/* SPDX-License-Identifier: MIT */
/*
 * The sources' fixtures file (JSON persons with tax, bank and property
 * facts and faults): loaded as hedui-source loads it, into in-memory
 * stores (a fresh set every so often, so that they stay small).
 */
#include "fuzz_util.h"

#include "fixtures.h"

static srcdb *fuzz_db[SRCDB_KIND_COUNT];
static unsigned fuzz_runs;

static void fuzz_stores_reset(void)
{
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		srcdb_close(fuzz_db[k]);
		fuzz_db[k] = NULL;
		if (srcdb_open(NULL, ":memory:", (srcdb_kind)k,
		        SRCDB_OPEN_CREATE, &fuzz_db[k]) != HD_OK)
			abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_stores_reset();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char err[256] = "";
	size_t count = 0;
	if (++fuzz_runs % 512 == 0)
		fuzz_stores_reset();
	/* Checked alone, then loaded. */
	srcdb *none[SRCDB_KIND_COUNT] = {NULL};
	hd_err e1 = fixtures_load_text(text, none, &count, err, sizeof err);
	FUZZ_ASSERT(e1 == HD_OK || err[0] != '\0');
	hd_err e2 = fixtures_load_text(text, fuzz_db, &count, err, sizeof err);
	FUZZ_ASSERT(e2 == HD_OK || err[0] != '\0');
	FUZZ_ASSERT(fuzz_str_utf8(err) || e1 != HD_OK);
	free(text);
	return 0;
}
