/* SPDX-License-Identifier: MIT */
#include "verify_wire.h"

#include <string.h>

#include "report_sig.h"

/* Wire types of the protobuf encoding. */
#define WIRE_VARINT 0
#define WIRE_LEN 2

static size_t wire_varint_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t wire_varint_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/* A length-delimited field of len bytes, tag and length included. */
static size_t wire_len_field_size(size_t len)
{
	return 1 + wire_varint_size(len) + len;
}

static size_t wire_len_field_put(
    uint8_t *out, unsigned field, const void *data, size_t len)
{
	size_t n = wire_varint_put(out, (uint64_t)field << 3 | WIRE_LEN);
	n += wire_varint_put(out + n, len);
	if (len > 0)
		memcpy(out + n, data, len);
	return n + len;
}

/* proto3: empty strings and bytes, and zero numbers, are not written. */
static size_t wire_opt_size(size_t len)
{
	return len > 0 ? wire_len_field_size(len) : 0;
}

static size_t wire_opt_put(
    uint8_t *out, unsigned field, const void *data, size_t len)
{
	return len > 0 ? wire_len_field_put(out, field, data, len) : 0;
}

verify_wire_report verify_wire_of(const store_report *r)
{
	verify_wire_report w = {
	    .report = r->report,
	    .report_len = r->report_len,
	    .sig = r->sig,
	    .sig_len = r->sig_len,
	    .proof = r->proof,
	    .proof_len = r->proof_len,
	};
	return w;
}

static const char *verify_wire_alg(const verify_wire_report *r)
{
	return r->proof_len > 0 ? REPORT_SIG_ALG_MERKLE : REPORT_SIG_ALG;
}

size_t verify_wire_response_size(
    const verify_wire_report *r, bool with_verdict)
{
	return (with_verdict ? wire_len_field_size(r->report_len) : 0) +
	       wire_opt_size(r->report_len) + wire_opt_size(r->sig_len) +
	       wire_opt_size(strlen(verify_wire_alg(r))) +
	       wire_opt_size(r->proof_len);
}

size_t verify_wire_response_put(
    uint8_t *out, const verify_wire_report *r, bool with_verdict)
{
	const char *alg = verify_wire_alg(r);
	size_t n = 0;
	/* Field 1, Verdict verdict: the report is its serialization. */
	if (with_verdict)
		n += wire_len_field_put(out + n, 1, r->report, r->report_len);
	n += wire_opt_put(out + n, 2, r->report, r->report_len);
	n += wire_opt_put(out + n, 3, r->sig, r->sig_len);
	n += wire_opt_put(out + n, 4, alg, strlen(alg));
	/* Field 5, ReportProof proof: stored serialized. */
	n += wire_opt_put(out + n, 5, r->proof, r->proof_len);
	return n;
}

static size_t verify_wire_outcome_body_size(const char *request_id,
    rpc_code code, const char *message, const verify_wire_report *r)
{
	size_t n =
	    wire_opt_size(strlen(request_id)) + wire_opt_size(strlen(message));
	if (code != RPC_OK)
		n += 1 + wire_varint_size((uint64_t)code);
	if (r != NULL)
		n += wire_len_field_size(verify_wire_response_size(r, false));
	return n;
}

size_t verify_wire_outcome_size(const char *request_id, rpc_code code,
    const char *message, const verify_wire_report *r)
{
	return wire_len_field_size(
	    verify_wire_outcome_body_size(request_id, code, message, r));
}

size_t verify_wire_outcome_put(uint8_t *out, const char *request_id,
    rpc_code code, const char *message, const verify_wire_report *r)
{
	size_t body =
	    verify_wire_outcome_body_size(request_id, code, message, r);
	/* VerifyBatchResponse field 1, repeated BatchOutcome outcomes. */
	size_t n = wire_varint_put(out, 1 << 3 | WIRE_LEN);
	n += wire_varint_put(out + n, body);
	n += wire_opt_put(out + n, 1, request_id, strlen(request_id));
	if (code != RPC_OK) {
		n += wire_varint_put(out + n, 2 << 3 | WIRE_VARINT);
		n += wire_varint_put(out + n, (uint64_t)code);
	}
	n += wire_opt_put(out + n, 3, message, strlen(message));
	if (r != NULL) {
		size_t rl = verify_wire_response_size(r, false);
		n += wire_varint_put(out + n, 4 << 3 | WIRE_LEN);
		n += wire_varint_put(out + n, rl);
		n += verify_wire_response_put(out + n, r, false);
	}
	return n;
}
