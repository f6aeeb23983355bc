/* SPDX-License-Identifier: MIT */
/*
 * verify_wire: answers written around stored bytes decode with protobuf-c
 * exactly as the messages they stand for (verdict from the report bytes,
 * proof from its serialization), for lengths of one and several varint
 * bytes, with and without proof, OK and refused outcomes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hedui/v1/verifier.pb-c.h"
#include "report_sig.h"
#include "verify_wire.h"

static uint8_t report[4096], proof[1024];

/* A report of a Verdict whose case_id has n characters, so that its
 * length crosses varint sizes. */
static size_t make_report(size_t n)
{
	Hedui__V1__Verdict v = HEDUI__V1__VERDICT__INIT;
	static char case_id[3000];
	memset(case_id, 'c', n);
	case_id[n] = '\0';
	v.report_id = "HD-20261101-0123456789abcdef";
	v.case_id = case_id;
	v.conclusion = "meets";
	v.monthly_income_fen = 123456;
	return hedui__v1__verdict__pack(&v, report);
}

static size_t make_proof(size_t depth)
{
	Hedui__V1__ReportProof p = HEDUI__V1__REPORT_PROOF__INIT;
	static uint8_t hashes[20][32];
	ProtobufCBinaryData path[20];
	for (size_t i = 0; i < depth; i++) {
		memset(hashes[i], (int)i + 1, 32);
		path[i].data = hashes[i];
		path[i].len = 32;
	}
	p.leaf_index = 300;
	p.tree_size = 301;
	p.n_path = depth;
	p.path = path;
	p.root.data = hashes[0];
	p.root.len = 32;
	return hedui__v1__report_proof__pack(&p, proof);
}

static void check_response(const Hedui__V1__VerifyHouseholdResponse *r,
    const verify_wire_report *w, bool with_verdict)
{
	assert_int_equal(r->report.len, w->report_len);
	assert_memory_equal(r->report.data, w->report, w->report_len);
	assert_int_equal(r->signature.len, w->sig_len);
	assert_memory_equal(r->signature.data, w->sig, w->sig_len);
	assert_string_equal(r->signature_alg,
	    w->proof_len > 0 ? REPORT_SIG_ALG_MERKLE : REPORT_SIG_ALG);
	if (with_verdict) {
		assert_non_null(r->verdict);
		assert_string_equal(
		    r->verdict->report_id, "HD-20261101-0123456789abcdef");
		assert_int_equal(r->verdict->monthly_income_fen, 123456);
		/* The verdict re-encoded is the report. */
		uint8_t again[4096];
		size_t n = hedui__v1__verdict__pack(r->verdict, again);
		assert_int_equal(n, w->report_len);
		assert_memory_equal(again, w->report, n);
	} else {
		assert_null(r->verdict);
	}
	if (w->proof_len > 0) {
		assert_non_null(r->proof);
		assert_int_equal(r->proof->leaf_index, 300);
		assert_int_equal(r->proof->tree_size, 301);
		uint8_t again[1024];
		size_t n = hedui__v1__report_proof__pack(r->proof, again);
		assert_int_equal(n, w->proof_len);
		assert_memory_equal(again, w->proof, n);
	} else {
		assert_null(r->proof);
	}
}

static void response_round_trip(void **state)
{
	(void)state;
	static const size_t sizes[] = {0, 50, 120, 200, 2900};
	uint8_t sig[72];
	for (size_t i = 0; i < sizeof sig; i++)
		sig[i] = (uint8_t)(i * 7);
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
		for (size_t depth = 0; depth <= 9; depth += 9)
			for (int wv = 0; wv < 2; wv++) {
				verify_wire_report w = {
				    .report = report,
				    .report_len = make_report(sizes[s]),
				    .sig = sig,
				    .sig_len = sizeof sig,
				    .proof = depth > 0 ? proof : NULL,
				    .proof_len =
				        depth > 0 ? make_proof(depth) : 0,
				};
				size_t len = verify_wire_response_size(&w, wv);
				uint8_t *buf = malloc(len);
				assert_int_equal(
				    verify_wire_response_put(buf, &w, wv),
				    len);
				Hedui__V1__VerifyHouseholdResponse *r =
				    hedui__v1__verify_household_response__unpack(
				        NULL, len, buf);
				assert_non_null(r);
				check_response(r, &w, wv);
				hedui__v1__verify_household_response__free_unpacked(
				    r, NULL);
				free(buf);
			}
}

static void outcomes_form_a_batch_response(void **state)
{
	(void)state;
	uint8_t sig[70];
	memset(sig, 0x5a, sizeof sig);
	verify_wire_report w = {
	    .report = report,
	    .report_len = make_report(130),
	    .sig = sig,
	    .sig_len = sizeof sig,
	    .proof = proof,
	    .proof_len = make_proof(8),
	};
	static char long_msg[400];
	memset(long_msg, 'm', sizeof long_msg - 1);
	struct {
		const char *rid;
		rpc_code code;
		const char *msg;
		const verify_wire_report *r;
	} in[] = {
	    {"hh-0", RPC_OK, "", &w},
	    {"", RPC_INVALID_ARGUMENT, "households[1] does not decode", NULL},
	    {"hh-2", RPC_ALREADY_EXISTS, long_msg, NULL},
	    {"hh-3 \xe6\xb5\x8b", RPC_OK, "", &w},
	    {"hh-4", RPC_UNAUTHENTICATED, "", NULL},
	};
	size_t n = sizeof in / sizeof in[0], total = 0;
	for (size_t i = 0; i < n; i++)
		total += verify_wire_outcome_size(
		    in[i].rid, in[i].code, in[i].msg, in[i].r);
	uint8_t *buf = malloc(total);
	size_t off = 0;
	for (size_t i = 0; i < n; i++)
		off += verify_wire_outcome_put(
		    buf + off, in[i].rid, in[i].code, in[i].msg, in[i].r);
	assert_int_equal(off, total);
	Hedui__V1__VerifyBatchResponse *r =
	    hedui__v1__verify_batch_response__unpack(NULL, total, buf);
	assert_non_null(r);
	assert_int_equal(r->n_outcomes, n);
	for (size_t i = 0; i < n; i++) {
		const Hedui__V1__BatchOutcome *o = r->outcomes[i];
		assert_string_equal(o->request_id, in[i].rid);
		assert_int_equal(o->code, in[i].code);
		assert_string_equal(o->message, in[i].msg);
		if (in[i].r != NULL) {
			assert_non_null(o->result);
			check_response(o->result, &w, false);
		} else {
			assert_null(o->result);
		}
	}
	hedui__v1__verify_batch_response__free_unpacked(r, NULL);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(response_round_trip),
	    cmocka_unit_test(outcomes_form_a_batch_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
