/* SPDX-License-Identifier: MIT */
/*
 * hedui.v1.LookupRequest, the sources' one request: through the real
 * bank source service (see fuzz_server.h), and straight into the lookup of
 * the tax and property stores, whose answers must encode and decode.
 */
#include "fuzz_server.h"

#include "source_lookup.h"

static srcdb *fuzz_db[SRCDB_KIND_COUNT];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char fx[512], err[256];
	fuzz_quiet();
	fuzz_server_start();
	fuzz_path("tests/fixtures/households.json", fx, sizeof fx);
	for (int k = 0; k < SRCDB_KIND_COUNT; k++)
		if (fixtures_open_memory(fx, (srcdb_kind)k, &fuzz_db[k], NULL,
		        err, sizeof err) != HD_OK)
			fuzz_die(err);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int code = fuzz_server_call("hedui.v1.BankSource/Lookup", data, size);
	FUZZ_ASSERT(code == RPC_OK || code == RPC_INVALID_ARGUMENT ||
	            code == RPC_DEADLINE_EXCEEDED);

	Hedui__V1__LookupRequest *req =
	    hedui__v1__lookup_request__unpack(NULL, size, data);
	if (req == NULL)
		return 0;
	for (int k = SRCDB_TAX; k < SRCDB_KIND_COUNT; k++) {
		source_answer ans;
		source_lookup(fuzz_db[k], req, &ans);
		if (ans.code == RPC_OK && !ans.hold) {
			FUZZ_ASSERT(ans.response != NULL);
			size_t n =
			    protobuf_c_message_get_packed_size(ans.response);
			uint8_t *buf = malloc(n + 1);
			if (buf == NULL)
				abort();
			protobuf_c_message_pack(ans.response, buf);
			ProtobufCMessage *back = protobuf_c_message_unpack(
			    source_response_descriptor((srcdb_kind)k), NULL, n,
			    buf);
			FUZZ_ASSERT(back != NULL);
			protobuf_c_message_free_unpacked(back, NULL);
			free(buf);
		}
		FUZZ_ASSERT(fuzz_str_utf8(ans.message));
		source_answer_free(&ans);
	}
	hedui__v1__lookup_request__free_unpacked(req, NULL);
	return 0;
}
