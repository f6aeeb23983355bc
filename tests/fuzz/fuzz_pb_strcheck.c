/* SPDX-License-Identifier: MIT */
/*
 * pb_strcheck_message, the wire-level check of string fields that runs on
 * every envelope, payload, household and reply: the first byte picks one
 * of our message types, the rest is its encoding. Beyond "no crash": a
 * refusal names its field and reason in UTF-8 within bounds; an accepted
 * message that protobuf-c decodes has only UTF-8 strings, and so has its
 * re-encoding (no string can have kept a NUL).
 */
#include "fuzz_util.h"

#include "hedui/v1/consent.pb-c.h"
#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/source.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "pb_strcheck.h"

static const ProtobufCMessageDescriptor *const fuzz_types[] = {
    &hedui__v1__rpc_request__descriptor,
    &hedui__v1__rpc_reply__descriptor,
    &hedui__v1__household__descriptor,
    &hedui__v1__verify_household_request__descriptor,
    &hedui__v1__get_report_request__descriptor,
    &hedui__v1__verify_household_response__descriptor,
    &hedui__v1__verdict__descriptor,
    &hedui__v1__lookup_request__descriptor,
    &hedui__v1__bank_lookup_response__descriptor,
    &hedui__v1__tax_lookup_response__descriptor,
    &hedui__v1__property_lookup_response__descriptor,
    &hedui__v1__echo_request__descriptor,
    &hedui__v1__health_check_request__descriptor,
    &hedui__v1__agency_auth__descriptor,
    /* The consent registry's (appended: earlier selectors keep their
     * meaning). */
    &hedui__v1__consent__descriptor,
    &hedui__v1__consent_response__descriptor,
    &hedui__v1__list_consents_response__descriptor,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const ProtobufCMessageDescriptor *d =
	    fuzz_types[data[0] % (sizeof fuzz_types / sizeof fuzz_types[0])];
	const uint8_t *buf = data + 1;
	size_t len = size - 1;
	pb_strcheck_problem p;
	bool ok = pb_strcheck_message(d, buf, len, &p);
	FUZZ_ASSERT(strlen(p.field) < sizeof p.field);
	FUZZ_ASSERT(fuzz_str_utf8(p.field));
	if (!ok) {
		FUZZ_ASSERT(p.reason != NULL && p.reason[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(p.field[0] == '\0');
	ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, buf);
	if (m == NULL)
		return 0;
	const char *field = NULL;
	FUZZ_ASSERT(utf8_message_valid(m, &field));
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *again = malloc(n > 0 ? n : 1);
	if (again == NULL)
		abort();
	FUZZ_ASSERT(protobuf_c_message_pack(m, again) == n);
	FUZZ_ASSERT(pb_strcheck_message(d, again, n, &p));
	free(again);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
