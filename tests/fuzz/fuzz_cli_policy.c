/* SPDX-License-Identifier: MIT */
/*
 * The CLI's side of `hedui policy show`: a ShowPolicyResponse from the
 * service (which may be hostile or broken) printed as the table and as
 * JSON. Nothing the server sends may reach the terminal as a control
 * character (C0, DEL or C1), only newlines of our own; the JSON parses.
 */
#include "fuzz_util.h"

#include <jansson.h>

#include "policy_output.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void fuzz_print(
    hd_err (*print)(FILE *, const Hedui__V1__ShowPolicyResponse *),
    const Hedui__V1__ShowPolicyResponse *r, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		abort();
	hd_err e = print(f, r);
	fclose(f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		FUZZ_ASSERT(c == '\n' || (c >= 0x20 && c != 0x7f));
		FUZZ_ASSERT(!(c == 0xc2 && i + 1 < len &&
		              (unsigned char)buf[i + 1] < 0xa0));
	}
	if (json && e == HD_OK) {
		json_error_t je;
		json_t *o = json_loadb(buf, len, 0, &je);
		FUZZ_ASSERT(o != NULL);
		FUZZ_ASSERT(json_array_size(json_object_get(o, "values")) ==
		            r->n_values);
		json_decref(o);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hedui__V1__ShowPolicyResponse *r =
	    hedui__v1__show_policy_response__unpack(NULL, size, data);
	if (r == NULL)
		return 0;
	fuzz_print(policy_output_table, r, false);
	fuzz_print(policy_output_json, r, true);
	hedui__v1__show_policy_response__free_unpacked(r, NULL);
	return 0;
}
