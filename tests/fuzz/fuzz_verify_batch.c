/* SPDX-License-Identifier: MIT */
/*
 * hedui.v1.VerifyBatchRequest and the HouseholdBatch inside it: through
 * the real Verifier over the in-process server (see fuzz_server.h; its
 * clock is real, so fuzzed requests end at the timestamp check there), and
 * straight through the batch's own steps with the seeds' clock: the
 * batch's decoding, the agency signature over the batch bytes, then each
 * household's decoding, wire check and request validation.
 */
#include "fuzz_auth.h"
#include "fuzz_server.h"

#include "household.h"
#include "pb_strcheck.h"

#define FUZZ_BATCH_METHOD "hedui.v1.Verifier/VerifyBatch"

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
	int code = fuzz_server_call(FUZZ_BATCH_METHOD, data, size);
	FUZZ_ASSERT(code != RPC_OK && code != RPC_INTERNAL);

	Hedui__V1__VerifyBatchRequest *req =
	    hedui__v1__verify_batch_request__unpack(NULL, size, data);
	if (req == NULL)
		return 0;
	Hedui__V1__HouseholdBatch *b = hedui__v1__household_batch__unpack(
	    NULL, req->batch.len, req->batch.data);
	agency_identity who;
	if (b != NULL &&
	    fuzz_auth_check(req->auth, FUZZ_BATCH_METHOD, req->batch.data,
	        req->batch.len, FUZZ_NOW_MS, &who) == RPC_OK) {
		for (size_t i = 0; i < b->n_households; i++) {
			const ProtobufCBinaryData *bytes = &b->households[i];
			Hedui__V1__Household *hh =
			    hedui__v1__household__unpack(
			        NULL, bytes->len, bytes->data);
			pb_strcheck_problem bad;
			bool text_ok = pb_strcheck_message(
			    &hedui__v1__household__descriptor, bytes->data,
			    bytes->len, &bad);
			if (!text_ok)
				FUZZ_ASSERT(fuzz_str_utf8(bad.field));
			household_norm norm;
			household_problem prob;
			if (hh != NULL && text_ok &&
			    household_check(hh, 20270115, &norm, &prob)) {
				/* Its strings go back in the verdict. */
				const char *field = NULL;
				FUZZ_ASSERT(
				    utf8_message_valid(&hh->base, &field));
				(void)agency_auth_covers(
				    &who, hh->region_code);
			} else if (hh != NULL && text_ok) {
				FUZZ_ASSERT(fuzz_str_utf8(prob.reason));
			}
			if (hh != NULL)
				hedui__v1__household__free_unpacked(hh, NULL);
		}
	}
	if (b != NULL)
		hedui__v1__household_batch__free_unpacked(b, NULL);
	hedui__v1__verify_batch_request__free_unpacked(req, NULL);
	return 0;
}
