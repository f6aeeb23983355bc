/* SPDX-License-Identifier: MIT */
/*
 * verify_service: hedui.v1.Verifier. Validates and authenticates a
 * household request (VerifyHousehold) or a batch of them (VerifyBatch),
 * fans out to the sources, applies the region's rules and answers signed
 * verdicts, each committed to the store first; GetReport reads them back.
 */
#ifndef HEDUI_VERIFY_SERVICE_H
#define HEDUI_VERIFY_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "rpc_server.h"
#include "tls_setup.h"

typedef struct verify_service verify_service;

typedef struct verify_service_opts {
	const char *ca_file;  /* agency certificates must chain to it */
	const char *crl_file; /* optional */
	const char *source_urls[POLICY_SOURCE_COUNT];
	/* Each source's certificate identity (rpc_client_opts.expect_peer);
	 * NULL or "": any the CA admits. */
	const char *source_peers[POLICY_SOURCE_COUNT];
	tls_opts source_tls;     /* our identity towards the sources */
	const char *policy_file; /* NULL: built-in defaults */
	const char *sign_key;    /* the service key that signs reports */
	const char *sign_key_password;
	const char *store_path;     /* NULL or "": heduid.db */
	const char *audit_key_path; /* NULL or "": store_path.audit-key */
	uint32_t store_probe_ms;    /* 0: 1000 */
	int source_batch_max; /* households per source request; 0: 128, 1: off
	                       */
	uint32_t refusal_summary_ms; /* unsigned refusals recorded in
	                                aggregate this often; 0: 60000 */
	/* VerifyBatch: households in one batch at most (0: the default),
	 * and batch households being worked on at once over all batches
	 * (0: the default; verify_gate.h). */
	int batch_max_households;
	int batch_inflight_households;
	int consent_mode; /* consent_mode (consent_registry.h); 0: registry */
	/* Source requests, store commits and refusals by kind (metrics.h;
	 * borrowed, outlives the service). NULL: none. */
	struct metrics *metrics;
	/* Reports' content is purged after so many days (retention.h);
	 * 0: kept. */
	int retention_days;
} verify_service_opts;

#define VERIFY_BATCH_DEFAULT_HOUSEHOLDS 256
#define VERIFY_BATCH_LIMIT_HOUSEHOLDS 4096 /* the most one may configure */
#define VERIFY_BATCH_DEFAULT_INFLIGHT 256

verify_service *verify_service_alloc(
    const verify_service_opts *opts, char *err, size_t errlen);
/* Commits every queued report and audit record and closes the store;
 * calls still waiting for it are answered. Before freeing the server. */
void verify_service_stop(verify_service *vs);
void verify_service_free(verify_service *vs);

hd_err verify_service_register(verify_service *vs, rpc_server *srv);

#endif
