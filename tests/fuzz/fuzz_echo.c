/* SPDX-License-Identifier: MIT */
/* hedui.v1.EchoRequest as the payload of Debug/Echo, through the real server's
 * decoding and handler (see fuzz_server.h). */
#include "fuzz_server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_server_start();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* drop_connection asks the server to close the connection instead
	 * of answering (for the client's retry tests): an answer is what
	 * this target checks, so the request goes without it. */
	uint8_t *owned = NULL;
	Hedui__V1__EchoRequest *req =
	    hedui__v1__echo_request__unpack(NULL, size, data);
	if (req != NULL && req->drop_connection != 0) {
		req->drop_connection = 0;
		size = hedui__v1__echo_request__get_packed_size(req);
		if ((owned = malloc(size > 0 ? size : 1)) == NULL)
			abort();
		size = hedui__v1__echo_request__pack(req, owned);
		data = owned;
	}
	if (req != NULL)
		hedui__v1__echo_request__free_unpacked(req, NULL);
	/* Any status (fail_code asks for one), but always a reply that
	 * decodes, fail_message and all. */
	int code = fuzz_server_call("hedui.v1.Debug/Echo", data, size);
	FUZZ_ASSERT(code >= 0 && code < RPC_CODE_COUNT);
	free(owned);
	return 0;
}
