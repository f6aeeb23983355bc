/* SPDX-License-Identifier: MIT */
/*
 * tconsent: registering consents (hedui.v1.Consents) as an agency's
 * system does, for the integration tests: every household verified in the
 * default mode needs its members' consents registered first.
 */
#ifndef HEDUI_TCONSENT_H
#define HEDUI_TCONSENT_H

#include <stdbool.h>
#include <stddef.h>

#include "agency_sig.h"
#include "hedui/v1/consent.pb-c.h"
#include "idnum.h"
#include "rpc_client.h"

#define TCONSENT_SERVICE "hedui.v1.Consents/"

/* A consent and the buffers its message points into. */
typedef struct tconsent {
	Hedui__V1__Consent c;
	Hedui__V1__ConsentMember m[20];
	Hedui__V1__ConsentMember *mp[20];
	char ids[20][IDNUM_LEN + 1];
	char guardians[20][IDNUM_LEN + 1];
	char *programs[4];
	char *sources[3];
	char number[80];
	char region[8];
} tconsent;

/*
 * A consent NUMBER of REGION covering ids (at most 20): every program and
 * source, signed on and valid from 2026-01-01 to 2030-12-31, each adult
 * signing for himself and a minor (on 2026-01-01) through the first adult
 * of ids, as parent. Change what a test needs afterwards.
 */
void tconsent_init(tconsent *t, const char *number, const char *region,
    const char *const *ids, size_t n);

/* Signs body (packed) for "hedui.v1.Consents/METHOD" as s and calls;
 * *resp (when not NULL) is the decoded response on RPC_OK, freed by the
 * caller with protobuf_c_message_free_unpacked. op: the operator-id sent
 * and signed (NULL: none). */
rpc_code tconsent_call(rpc_client *c, agency_signer *s, const char *method,
    const ProtobufCMessage *body, const char *op, ProtobufCMessage **resp,
    rpc_status *st);

/* RegisterConsent of t->c. */
rpc_code tconsent_register(rpc_client *c, agency_signer *s, const tconsent *t,
    Hedui__V1__ConsentResponse **resp, rpc_status *st);

/* RevokeConsent of (number, region) with a reason. */
rpc_code tconsent_revoke(rpc_client *c, agency_signer *s, const char *number,
    const char *region, const char *reason, Hedui__V1__ConsentResponse **resp,
    rpc_status *st);

/*
 * The one line tests need: registers tconsent_init's consent at heduid on
 * port as identity NAME (a dev PKI file stem, e.g. "agency-330106") over a
 * client of its own. True when it is registered (or already was, the
 * same).
 */
bool tconsent_cover(int port, const char *identity, const char *number,
    const char *region, const char *const *ids, size_t n);

#endif
