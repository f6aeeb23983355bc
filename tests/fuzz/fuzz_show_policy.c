/* SPDX-License-Identifier: MIT */
/*
 * hedui.v1.ShowPolicyRequest: through the real Policy service over the
 * in-process server (see fuzz_server.h). Whatever the region and date, the
 * answer is OK or INVALID_ARGUMENT, never INTERNAL; an OK answer decodes
 * (fuzz_server.h checks that) and is about the region asked for, with a
 * value for every parameter.
 */
#include "fuzz_server.h"

#include "hedui/v1/policy.pb-c.h"

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
	int code = fuzz_server_call("hedui.v1.Policy/Show", data, size);
	FUZZ_ASSERT(code != RPC_INTERNAL && code != RPC_UNIMPLEMENTED);

	Hedui__V1__ShowPolicyRequest *req =
	    hedui__v1__show_policy_request__unpack(NULL, size, data);
	if (req == NULL) {
		FUZZ_ASSERT(code != RPC_OK);
		return 0;
	}
	const char *region = req->region_code != NULL ? req->region_code : "";
	bool region_ok =
	    strlen(region) == 6 && strspn(region, "0123456789") == 6;
	idnum_date d;
	bool date_ok = req->as_of == NULL || req->as_of[0] == '\0' ||
	               idnum_date_parse(req->as_of, &d);
	/* Refused exactly when a field is bad (or the server sheds load:
	 * RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED). */
	if (code == RPC_OK)
		FUZZ_ASSERT(region_ok && date_ok);
	if (!region_ok || !date_ok)
		FUZZ_ASSERT(code != RPC_OK);
	hedui__v1__show_policy_request__free_unpacked(req, NULL);
	return 0;
}
