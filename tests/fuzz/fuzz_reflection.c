/* SPDX-License-Identifier: MIT */
/* hedui.v1.ListMethodsRequest as the payload of Reflection/ListMethods,
 * through the real server's decoding and handler (see fuzz_server.h). */
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
	int code =
	    fuzz_server_call("hedui.v1.Reflection/ListMethods", data, size);
	/* Answered at once: OK, or a payload refused. */
	FUZZ_ASSERT(code == RPC_OK || code == RPC_INVALID_ARGUMENT);
	return 0;
}
