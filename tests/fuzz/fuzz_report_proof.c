/* SPDX-License-Identifier: MIT */
/*
 * A saved report (a hedui.v1.VerifyHouseholdResponse, as `hedui report get
 * -o` writes it and `hedui report verify` reads it) checked offline
 * against the service certificate (the committed test key's,
 * tests/fuzz/pki/heduid.crt): its signature form, its Merkle proof (leaf
 * index, tree size, path, root) and the signature over the root.
 *
 * Invariants: a report that verifies has a proof whose leaf index is in
 * its tree and 32-byte hashes, or none with the single form; and it stops
 * verifying when any one of its report bytes, or its leaf index, changes.
 */
#include "fuzz_util.h"

#include "hedui/v1/verifier.pb-c.h"
#include "merkle.h"
#include "report_sig.h"

static report_verifier *fuzz_rv;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char crt[512], err[256];
	fuzz_quiet();
	fuzz_rv = report_verifier_load(
	    fuzz_path("tests/fuzz/pki/heduid.crt", crt, sizeof crt), NULL, err,
	    sizeof err);
	if (fuzz_rv == NULL) {
		fprintf(stderr, "fuzz: %s\n", err);
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hedui__V1__VerifyHouseholdResponse *r =
	    hedui__v1__verify_household_response__unpack(NULL, size, data);
	if (r == NULL)
		return 0;
	char err[256] = "";
	hd_err e = report_verifier_check(fuzz_rv, r, err, sizeof err);
	FUZZ_ASSERT(e == HD_OK || (e == HD_ECRYPTO && err[0] != '\0'));
	FUZZ_ASSERT(fuzz_str_utf8(err));
	if (e == HD_OK) {
		if (r->proof != NULL) {
			FUZZ_ASSERT(
			    r->proof->leaf_index < r->proof->tree_size);
			FUZZ_ASSERT(r->proof->root.len == MERKLE_HASH_LEN);
			FUZZ_ASSERT(r->proof->n_path <= MERKLE_MAX_PATH);
			r->proof->leaf_index ^= 1;
			FUZZ_ASSERT(report_verifier_check(
			                fuzz_rv, r, err, sizeof err) != HD_OK);
			r->proof->leaf_index ^= 1;
		}
		for (size_t k = 0; k < r->report.len;
		     k += 1 + r->report.len / 8) {
			r->report.data[k] ^= 0x01;
			FUZZ_ASSERT(report_verifier_check(
			                fuzz_rv, r, err, sizeof err) != HD_OK);
			r->report.data[k] ^= 0x01;
		}
	}
	hedui__v1__verify_household_response__free_unpacked(r, NULL);
	return 0;
}
