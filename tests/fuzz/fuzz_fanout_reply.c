/* SPDX-License-Identifier: MIT */
/*
 * A source's reply as the fan-out reads it: the first byte picks the
 * source (bank, tax, property), the rest is its LookupResponse. The
 * answer is applied to a household of three and the household judged:
 * whatever a source sends, each member ends found, not found or failed,
 * and the rules engine copes with the figures.
 */
#include "fuzz_util.h"

#include "policy.h"
#include "verify_fanout.h"

static const char *const fuzz_ids[] = {
    "11010519491231002X", "110105195001010012", "110105201001010010"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	policy_source src = (policy_source)(data[0] % POLICY_SOURCE_COUNT);
	ProtobufCMessage *resp = protobuf_c_message_unpack(
	    verify_fanout_response_desc(src), NULL, size - 1, data + 1);
	if (resp == NULL)
		return 0;
	policy_household *h = policy_household_alloc(3);
	policy_verdict *v = malloc(sizeof *v);
	if (h == NULL || v == NULL)
		abort();
	memcpy(h->region_code, "110105", 7);
	h->as_of = 20270115;
	h->n_members = 3;
	h->members[1].relation = POLICY_RELATION_SPOUSE;
	h->members[2].relation = POLICY_RELATION_CHILD;
	for (size_t m = 0; m < h->n_members; m++) {
		memcpy(h->members[m].id_number, fuzz_ids[m], IDNUM_LEN + 1);
		for (int s = 0; s < POLICY_SOURCE_COUNT; s++)
			h->members[m].lookup[s] = POLICY_LOOKUP_NOT_FOUND;
	}
	verify_fanout_take(h, src, resp);
	for (size_t m = 0; m < h->n_members; m++)
		FUZZ_ASSERT(h->members[m].lookup[src] < POLICY_LOOKUP_COUNT);
	policy_params p;
	policy_params_defaults(&p);
	FUZZ_ASSERT(policy_evaluate(&p, h, v) == HD_OK);
	FUZZ_ASSERT(v->conclusion < POLICY_CONCLUSION_COUNT);
	protobuf_c_message_free_unpacked(resp, NULL);
	free(v);
	policy_household_free(h);
	return 0;
}
