/* SPDX-License-Identifier: MIT */
/* The server's whole dispatch path: the input is one request envelope as
 * it arrives on the wire (see fuzz_server.h). */
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
	fuzz_server_send(data, size);
	return 0;
}
