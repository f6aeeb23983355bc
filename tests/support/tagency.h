/* SPDX-License-Identifier: MIT */
/*
 * tagency: calls signed as an agency of the dev PKI (its NAME.crt and
 * NAME.key in $HEDUI_CERTS), and the hedui CLI as a process, for the
 * integration tests of stored reports, statistics and retention.
 */
#ifndef HEDUI_TAGENCY_H
#define HEDUI_TAGENCY_H

#include <stdbool.h>

#include "hedui/v1/stats.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "rpc_client.h"

/* Copies the dev PKI into the test's temporary directory with one more
 * agency, agency-33 (region prefix 33), and points $HEDUI_CERTS at the
 * copy. */
bool tagency_certs_with_33(void);

/* VerifyHousehold of h, signed as agency with operator-id officer-42.
 * *out (when RPC_OK) freed with protobuf_c_message_free_unpacked. */
rpc_code tagency_verify(rpc_client *c, const char *agency,
    const Hedui__V1__Household *h, Hedui__V1__VerifyHouseholdResponse **out,
    rpc_status *st);
/* GetReport of id, signed as agency. */
rpc_code tagency_get_report(rpc_client *c, const char *agency, const char *id,
    Hedui__V1__VerifyHouseholdResponse **out, rpc_status *st);
/* Stats/Query of q, signed as agency. */
rpc_code tagency_stats(rpc_client *c, const char *agency,
    const Hedui__V1__StatsQuery *q, Hedui__V1__StatsResponse **out,
    rpc_status *st);

/* Runs the hedui CLI with args (NULL-terminated); its exit status, and
 * the path of its output (stdout and stderr) in log. */
int tagency_cli(const char *const args[], char log[512]);

#endif
