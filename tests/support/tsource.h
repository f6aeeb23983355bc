/* SPDX-License-Identifier: MIT */
/*
 * tsource: mock data sources for integration tests. Starts real
 * hedui-source processes (stopped with the test program, like every
 * tproc) and calls their Lookup methods.
 */
#ifndef HEDUI_TSOURCE_H
#define HEDUI_TSOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "rpc_client.h"
#include "tsupport.h"

/* $HEDUI_SRC/tests/fixtures/households.json */
const char *tsource_fixtures(void);

/*
 * Starts the source of kind ("bank", "tax", "property") on a free port,
 * serving store_flag ("--fixtures" or "--db") store, with the dev PKI's
 * source-KIND certificate and extra flags (NULL terminated). Waits until it
 * listens. NULL if it did not start.
 */
tproc *tsource_start(const char *kind, const char *store_flag,
    const char *store, const char *const extra[], int *port);

/* A client of a source as heduid calls it: its source-plane identity
 * heduid-sources (CN=heduid, from source-ca), trusting source-ca.crt. */
rpc_client *tsource_client(int port);

/* "hedui.v1.BankSource/Lookup" etc.; NULL for another kind. */
const char *tsource_method(const char *kind);
const ProtobufCMessageDescriptor *tsource_response_desc(const char *kind);

/* One Lookup of n ID numbers. On RPC_OK *resp is the kind's response
 * (free with protobuf_c_message_free_unpacked). */
rpc_code tsource_lookup(rpc_client *c, const char *kind,
    const char *const *ids, size_t n, uint32_t deadline_ms,
    ProtobufCMessage **resp, rpc_status *st);

#endif
