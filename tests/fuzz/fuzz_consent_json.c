/* SPDX-License-Identifier: MIT */
/*
 * The consent file `hedui consent add` reads (JSON, one consent or a
 * list): parsed as the CLI parses it; a file that parses gives consents
 * that encode, decode and pass or fail the registration rules cleanly,
 * naming a field, with UTF-8 messages that hold no ID number.
 */
#include "fuzz_util.h"

#include "consent_form.h"
#include "consent_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hedui__V1__Consent **list = NULL;
	size_t n = 0;
	consent_json_result r;
	if (consent_json_parse((const char *)data, size, &list, &n, &r) != 0) {
		FUZZ_ASSERT(r.error[0] != '\0');
		FUZZ_ASSERT(list == NULL);
		return 0;
	}
	FUZZ_ASSERT(n >= 1 && list != NULL);
	for (size_t i = 0; i < n; i++) {
		size_t len = hedui__v1__consent__get_packed_size(list[i]);
		uint8_t *buf = malloc(len + 1);
		if (buf == NULL)
			abort();
		hedui__v1__consent__pack(list[i], buf);
		Hedui__V1__Consent *back =
		    hedui__v1__consent__unpack(NULL, len, buf);
		FUZZ_ASSERT(back != NULL);
		consent_form f;
		consent_problem p;
		if (consent_form_check(back, 20270115, &f, &p)) {
			FUZZ_ASSERT(f.n_members >= 1 &&
			            f.n_members <= CONSENT_MAX_MEMBERS);
			FUZZ_ASSERT(f.valid_from <= f.valid_until);
			const char *field = NULL;
			FUZZ_ASSERT(utf8_message_valid(&back->base, &field));
		} else {
			FUZZ_ASSERT(p.field[0] != '\0');
			FUZZ_ASSERT(fuzz_str_utf8(p.reason));
			for (size_t m = 0; m < back->n_members; m++) {
				const char *id = back->members[m]->id_number;
				if (strlen(id) >= 15)
					FUZZ_ASSERT(
					    strstr(p.reason, id) == NULL);
			}
		}
		hedui__v1__consent__free_unpacked(back, NULL);
		free(buf);
	}
	consent_json_free(list, n);
	return 0;
}
