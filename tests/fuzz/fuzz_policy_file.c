/*
 * The policy file (JSON, per region prefix): parsed as heduid parses it at
 * start; a book that parses must resolve every region to valid parameters
 * and evaluate a small household without trouble.
 */
#include "fuzz_util.h"

#include "policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	policy_book *book = NULL;
	char err[256] = "";
	hd_err e = policy_book_parse(
	    (const char *)data, size, &book, err, sizeof err);
	if (e != HD_OK) {
		FUZZ_ASSERT(book == NULL && err[0] != '\0');
		return 0;
	}
	static const char *const regions[] = {
	    "110105", "330106", "330100", "440300", "999999", "000000"};
	for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
		policy_params p;
		char version[POLICY_VERSION_SIZE];
		if (policy_book_resolve(book, regions[i], &p, version) !=
		    HD_OK)
			continue;
		if (!policy_params_valid(&p))
			continue;
		policy_household h;
		memset(&h, 0, sizeof h);
		memcpy(h.region_code, regions[i], 7);
		h.as_of = 20270115;
		h.n_members = 1;
		memcpy(h.members[0].id_number, "11010519491231002X", 19);
		for (int s = 0; s < POLICY_SOURCE_COUNT; s++)
			h.members[0].lookup[s] = POLICY_LOOKUP_NOT_FOUND;
		policy_verdict *v = malloc(sizeof *v);
		if (v == NULL)
			abort();
		(void)policy_evaluate(&p, &h, v);
		free(v);
	}
	policy_book_free(book);
	return 0;
}
