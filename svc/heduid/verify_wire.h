/* SPDX-License-Identifier: MIT */
/*
 * verify_wire: the Verifier's answers encoded straight from stored bytes.
 *
 * A stored report is already a serialized hedui.v1.Verdict, and its proof a
 * serialized hedui.v1.ReportProof. An embedded message is encoded on the
 * wire exactly as a bytes field holding its serialization, so a
 * VerifyHouseholdResponse (and a batch's outcomes) can be written around
 * those bytes as they are: no decoding and re-encoding of every verdict
 * and proof per answer. Decoders see the same bytes protobuf-c would
 * produce (tests/unit/test_verify_wire.c decodes them with protobuf-c).
 */
#ifndef HEDUI_VERIFY_WIRE_H
#define HEDUI_VERIFY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc_status.h"
#include "store.h"

/* What of a stored report goes into an answer. */
typedef struct verify_wire_report {
	const uint8_t *report; /* the serialized Verdict */
	size_t report_len;
	const uint8_t *sig;
	size_t sig_len;
	const uint8_t *proof; /* a serialized ReportProof, or NULL */
	size_t proof_len;
} verify_wire_report;

verify_wire_report verify_wire_of(const store_report *r);

/*
 * The VerifyHouseholdResponse of a stored report r: verdict (only when
 * with_verdict: the report's own bytes, as its decoded form), report,
 * signature, signature_alg (REPORT_SIG_ALG, or REPORT_SIG_ALG_MERKLE when
 * r has a proof) and proof. _size gives the length; _put writes it into
 * out (at least that long) and returns the length.
 */
size_t verify_wire_response_size(
    const verify_wire_report *r, bool with_verdict);
size_t verify_wire_response_put(
    uint8_t *out, const verify_wire_report *r, bool with_verdict);

/*
 * One BatchOutcome: request_id, code, message, and, when r is not NULL,
 * result (the response of r without its verdict: in a batch, a client
 * decodes result.report, which is the same Verdict; carrying both would
 * double the reply). Strings are copied as given (UTF-8, checked by the
 * caller). The outcome is written as field 1 of VerifyBatchResponse, so
 * that outcomes put one after another form the whole response.
 */
size_t verify_wire_outcome_size(const char *request_id, rpc_code code,
    const char *message, const verify_wire_report *r);
size_t verify_wire_outcome_put(uint8_t *out, const char *request_id,
    rpc_code code, const char *message, const verify_wire_report *r);

#endif
