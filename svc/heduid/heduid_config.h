/* SPDX-License-Identifier: MIT */
/*
 * heduid_config: heduid's settings from an INI file (read with inih) and
 * command-line flags that override it. The format is documented in
 * docs/CONFIG.md and etc/heduid.ini.
 */
#ifndef HEDUI_HEDUID_CONFIG_H
#define HEDUI_HEDUID_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"
#include "log.h"
#include "rpc_limits.h"

typedef struct heduid_config {
	/* [server] */
	char listen[256];
	int max_inflight;
	int reject_contexts;
	size_t recv_max_bytes;
	uint32_t max_deadline_ms;
	bool debug_service;
	log_level log_level;
	int batch_max_households;      /* VerifyBatch: per batch */
	int batch_inflight_households; /* at work at once, all batches */
	/* [tls] */
	char tls_engine[16];
	char ca[512];
	char crl[512];
	char cert[512];
	char key[512];
	char key_password[128];
	bool allow_tls12;
	/* [sources] */
	char source_bank[256];
	char source_tax[256];
	char source_property[256];
	/* The source plane (docs/SOURCES.md): the CA that sources' server
	 * certificates chain to, and heduid's client identity towards them.
	 * Each defaults to its [tls] counterpart once parsed, for set-ups
	 * with a single CA. */
	char source_ca[512];
	/* The identity each source's certificate must have ([sources]
	 * bank_peer, ...): one source of the plane's CA must not answer as
	 * another. Defaults "CN=source-bank" etc. (the dev PKI's). */
	char source_peer[3][256];
	char source_cert[512];
	char source_key[512];
	char source_key_password[128];
	/* [policy] */
	char policy_file[512];
	char metrics_listen[256]; /* [metrics] listen; "": off */
	/* [store] */
	char store_path[512];
	char audit_key[512]; /* empty: store_path + ".audit-key" */
	uint32_t store_probe_ms;
	uint32_t refusal_summary_ms; /* [store] refusal_summary_ms */
	int retention_days;          /* [store] retention_days; 0: off */
	int source_batch_max;        /* [sources] batch_max */
	int consent_mode;            /* [consent] mode: consent_mode */
	/* [limits]: what clients can hold (0: the defaults) */
	rpc_limits limits;
} heduid_config;

typedef enum heduid_action {
	HEDUID_RUN,
	HEDUID_EXIT_OK,    /* --help, --version: printed, exit 0 */
	HEDUID_EXIT_USAGE, /* bad usage: printed, exit 2 */
} heduid_action;

void heduid_config_defaults(heduid_config *cfg);

/* Loads the file, if any, then applies flags. Errors name the file, line
 * or flag and go to stderr. */
heduid_action heduid_config_parse(heduid_config *cfg, int argc, char **argv);

#endif
