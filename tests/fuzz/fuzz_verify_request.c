/* SPDX-License-Identifier: MIT */
/*
 * hedui.v1.VerifyHouseholdRequest: through the real Verifier over the
 * in-process server (see fuzz_server.h; its clock is real, so fuzzed
 * requests end at the timestamp check there), and straight through the
 * same steps with the seeds' clock: the household's decoding, the agency
 * signature, the household's checks and the policy lookup.
 */
#include "fuzz_auth.h"
#include "fuzz_server.h"

#include "household.h"
#include "policy.h"

static policy_book *fuzz_book;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[256];
	fuzz_quiet();
	fuzz_server_start();
	fuzz_auth_start();
	if (policy_book_load(NULL, &fuzz_book, err, sizeof err) != HD_OK)
		fuzz_die(err);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int code =
	    fuzz_server_call("hedui.v1.Verifier/VerifyHousehold", data, size);
	FUZZ_ASSERT(code != RPC_OK && code != RPC_INTERNAL);

	Hedui__V1__VerifyHouseholdRequest *req =
	    hedui__v1__verify_household_request__unpack(NULL, size, data);
	if (req == NULL)
		return 0;
	Hedui__V1__Household *hh = hedui__v1__household__unpack(
	    NULL, req->household.len, req->household.data);
	agency_identity who;
	if (hh != NULL &&
	    fuzz_auth_check(req->auth, "hedui.v1.Verifier/VerifyHousehold",
	        req->household.data, req->household.len, FUZZ_NOW_MS,
	        &who) == RPC_OK) {
		household_norm norm;
		household_problem prob;
		if (household_check(hh, 20270115, &norm, &prob)) {
			/* Its strings go back in the verdict. */
			const char *field = NULL;
			FUZZ_ASSERT(utf8_message_valid(&hh->base, &field));
			policy_params params;
			char version[POLICY_VERSION_SIZE];
			FUZZ_ASSERT(
			    policy_book_resolve(fuzz_book, hh->region_code,
			        norm.as_of, &params, version) == HD_OK);
			(void)agency_auth_covers(&who, hh->region_code);
		} else {
			FUZZ_ASSERT(fuzz_str_utf8(prob.reason));
		}
	}
	if (hh != NULL)
		hedui__v1__household__free_unpacked(hh, NULL);
	hedui__v1__verify_household_request__free_unpacked(req, NULL);
	return 0;
}
