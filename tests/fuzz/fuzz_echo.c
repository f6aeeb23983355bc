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
	/* Any status (fail_code asks for one), but always a reply that
	 * decodes, fail_message and all. */
	int code = fuzz_server_call("hedui.v1.Debug/Echo", data, size);
	FUZZ_ASSERT(code >= 0 && code < RPC_CODE_COUNT);
	return 0;
}
