/* SPDX-License-Identifier: MIT */
/*
 * tverify: heduid in front of the three sources, and a signed
 * hedui.v1.Verifier/VerifyHousehold call as an agency's system makes it,
 * for the integration tests.
 */
#ifndef HEDUI_TVERIFY_H
#define HEDUI_TVERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agency_sig.h"
#include "hedui/v1/verifier.pb-c.h"
#include "rpc_client.h"
#include "tsupport.h"

#define TVERIFY_METHOD "hedui.v1.Verifier/VerifyHousehold"

/*
 * Signs body (a packed hedui.v1.Household) as s under o->request_id, which
 * must be set because the signature covers it, and the operator-id among
 * o's metadata (none: ""), and calls. On RPC_OK *resp
 * (when not NULL) is the response, freed by the caller with
 * protobuf_c_message_free_unpacked; otherwise it is NULL. A signing failure
 * is RPC_INTERNAL without a call.
 */
rpc_code tverify_signed(rpc_client *c, agency_signer *s, const uint8_t *body,
    size_t len, const rpc_call_opts *o,
    Hedui__V1__VerifyHouseholdResponse **resp, rpc_status *st);

/* A household of one applicant (id, citing consent) of a 6-digit region,
 * urban, dibao, as of as_of (NULL: today), verified with tverify_signed
 * under request_id rid (10 s deadline). */
typedef struct tverify_one {
	const char *id, *consent, *region, *case_id, *as_of, *rid;
} tverify_one;
rpc_code tverify_one_call(rpc_client *c, agency_signer *s,
    const tverify_one *one, Hedui__V1__VerifyHouseholdResponse **resp,
    rpc_status *st);

#define TVERIFY_BATCH_METHOD "hedui.v1.Verifier/VerifyBatch"

/* A serialized HouseholdBatch of n packed households (malloc'd). */
uint8_t *tverify_batch_pack(const uint8_t *const *households,
    const size_t *lens, size_t n, size_t *len);

/*
 * VerifyBatch: signs batch (a packed HouseholdBatch) as s under
 * o->request_id (required), with the operator-id of o's metadata, and
 * calls. On RPC_OK *resp is the response (free with
 * protobuf_c_message_free_unpacked). A signing failure is RPC_INTERNAL
 * without a call.
 */
rpc_code tverify_batch_signed(rpc_client *c, agency_signer *s,
    const uint8_t *batch, size_t len, const rpc_call_opts *o,
    Hedui__V1__VerifyBatchResponse **resp, rpc_status *st);

/* Three sources (bank, tax, property), heduid and a client of it. */
typedef struct tstack {
	tproc *src[3];
	int ports[3];
	tproc *heduid;
	int port;
	rpc_client *client;
} tstack;

/*
 * Starts heduid pointed at the sources on s->ports (started by the caller,
 * or not at all), with extra flags after them (NULL-terminated, at most
 * 16), and a client of it as agency-330106. false when either fails.
 */
bool tstack_start_heduid(tstack *s, const char *const extra[]);
/* Stops the client, heduid and the sources; heduid's exit status. */
int tstack_stop(tstack *s);

#endif
