/* SPDX-License-Identifier: MIT */
/*
 * hedui.v1.GetReportRequest: through the real Verifier over the
 * in-process server (see fuzz_server.h), and its agency signature checked
 * with the seeds' clock (the report_id is what is signed).
 */
#include "fuzz_auth.h"
#include "fuzz_server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_server_start();
	fuzz_auth_start();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int code = fuzz_server_call("hedui.v1.Verifier/GetReport", data, size);
	FUZZ_ASSERT(code != RPC_INTERNAL);

	Hedui__V1__GetReportRequest *req =
	    hedui__v1__get_report_request__unpack(NULL, size, data);
	if (req == NULL)
		return 0;
	agency_identity who;
	const char *id = req->report_id != NULL ? req->report_id : "";
	(void)fuzz_auth_check(req->auth, "hedui.v1.Verifier/GetReport",
	    (const uint8_t *)id, strlen(id), FUZZ_NOW_MS, &who);
	hedui__v1__get_report_request__free_unpacked(req, NULL);
	return 0;
}
