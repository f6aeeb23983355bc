/*
 * tverify: a signed hedui.v1.Verifier/VerifyHousehold call, as an agency's
 * system makes it, for the integration tests.
 */
#ifndef HEDUI_TVERIFY_H
#define HEDUI_TVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "agency_sig.h"
#include "hedui/v1/verifier.pb-c.h"
#include "rpc_client.h"

#define TVERIFY_METHOD "hedui.v1.Verifier/VerifyHousehold"

/*
 * Signs body (a packed hedui.v1.Household) as s under o->request_id, which
 * must be set because the signature covers it, and calls. On RPC_OK *resp
 * (when not NULL) is the response, freed by the caller with
 * protobuf_c_message_free_unpacked; otherwise it is NULL. A signing failure
 * is RPC_INTERNAL without a call.
 */
rpc_code tverify_signed(rpc_client *c, agency_signer *s, const uint8_t *body,
    size_t len, const rpc_call_opts *o,
    Hedui__V1__VerifyHouseholdResponse **resp, rpc_status *st);

#endif
