/*
 * The agency auth metadata (hedui.v1.AgencyAuth) as agency_auth_check
 * reads it: certificate PEM and chain, timestamp window (any int64,
 * INT64_MIN included), signature, replay cache. The body signed is fixed;
 * the server clock is the seeds' one, then the Unix epoch.
 */
#include "fuzz_auth.h"

#include "agency_sig.h"

static const uint8_t fuzz_body[] = "fuzz-body";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_auth_start();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hedui__V1__AgencyAuth *auth =
	    hedui__v1__agency_auth__unpack(NULL, size, data);
	if (auth == NULL)
		return 0;
	agency_identity who;
	static const char *const methods[] = {
	    "hedui.v1.Verifier/VerifyHousehold", "hedui.v1.Verifier/GetReport"};
	rpc_code c = fuzz_auth_check(auth, methods[0], fuzz_body,
	    sizeof fuzz_body - 1, FUZZ_NOW_MS, &who);
	if (c == RPC_OK) {
		FUZZ_ASSERT(strlen(who.region_prefix) >= 2);
		/* The very same request again is a replay. */
		FUZZ_ASSERT(fuzz_auth_check(auth, methods[0], fuzz_body,
		                sizeof fuzz_body - 1, FUZZ_NOW_MS, &who) ==
		    RPC_UNAUTHENTICATED);
	}
	(void)fuzz_auth_check(
	    auth, methods[0], fuzz_body, sizeof fuzz_body - 1, 0, &who);
	char input[AGENCY_SIG_INPUT_MAX];
	(void)agency_sig_input(methods[0], FUZZ_REQUEST_ID, auth->timestamp_ms,
	    fuzz_body, sizeof fuzz_body - 1, input, sizeof input);
	hedui__v1__agency_auth__free_unpacked(auth, NULL);
	return 0;
}
