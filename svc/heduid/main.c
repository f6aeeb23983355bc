/* SPDX-License-Identifier: MIT */
/*
 * heduid: the hedui verification service.
 *
 * Signals are blocked before nng starts its threads, so that SIGTERM and
 * SIGINT reach only the main thread's sigwait: shutdown then runs in plain
 * code, not in a signal handler.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "consent_registry.h"
#include "heduid_config.h"
#include "log.h"
#include "policy_service.h"
#include "rpc_close.h"
#include "rpc_builtin.h"
#include "rpc_server.h"
#include "tls_setup.h"
#include "metrics.h"
#include "metrics_http.h"
#include "svc_notify.h"
#include "verify_service.h"

int main(int argc, char **argv)
{
	heduid_config cfg;
	rpc_server *srv = NULL;
	rpc_builtin *builtin = NULL;
	verify_service *verifier = NULL;
	metrics *reg = NULL;
	metrics_http *scrape = NULL;
	char errbuf[256];
	int status = 1;
	sigset_t sigs;

	log_set_program("heduid");
	heduid_config_defaults(&cfg);
	switch (heduid_config_parse(&cfg, argc, argv)) {
	case HEDUID_EXIT_OK:
		return 0;
	case HEDUID_EXIT_USAGE:
		return 2;
	case HEDUID_RUN:
		break;
	}
	log_set_level(cfg.log_level);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit makes writes fail (EFBIG), which the store
	 * reports as a storage failure, instead of killing us. */
	signal(SIGXFSZ, SIG_IGN);

	if (tls_setup_engine(
	        cfg.tls_engine[0] != '\0' ? cfg.tls_engine : NULL) != HD_OK)
		return 1;

	rpc_server_opts so = {
	    .url = cfg.listen,
	    .tls =
	        {
	            .ca_file = cfg.ca,
	            .crl_file = cfg.crl[0] != '\0' ? cfg.crl : NULL,
	            .cert_file = cfg.cert,
	            .key_file = cfg.key,
	            .key_password =
	                cfg.key_password[0] != '\0' ? cfg.key_password : NULL,
	            .allow_tls12 = cfg.allow_tls12,
	        },
	    .max_inflight = cfg.max_inflight,
	    .reject_contexts = cfg.reject_contexts,
	    .recv_max_bytes = cfg.recv_max_bytes,
	    .max_deadline_ms = cfg.max_deadline_ms,
	    .limits = cfg.limits,
	};
	/* Off by default: a registry only when it is to be served. */
	if (cfg.metrics_listen[0] != '\0' && (reg = metrics_alloc()) == NULL)
		goto fail;
	so.metrics = reg;
	if ((srv = rpc_server_alloc(&so)) == NULL)
		goto fail;
	if ((builtin = rpc_builtin_add(srv, cfg.debug_service)) == NULL)
		goto fail;

	/* heduid dials the sources as a client of the source plane: its
	 * own CA and identity there ([sources] ca, cert, key; the [tls]
	 * ones when not set). TLS towards them follows the same policy. */
	verify_service_opts vo = {
	    .ca_file = cfg.ca,
	    .crl_file = so.tls.crl_file,
	    .source_peers = {cfg.source_peer[0], cfg.source_peer[1],
	        cfg.source_peer[2]},
	    .source_urls = {cfg.source_bank, cfg.source_tax,
	        cfg.source_property},
	    .source_tls =
	        {
	            .ca_file = cfg.source_ca,
	            .cert_file = cfg.source_cert,
	            .key_file = cfg.source_key,
	            .key_password = cfg.source_key_password[0] != '\0'
	                                ? cfg.source_key_password
	                                : NULL,
	            .allow_tls12 = cfg.allow_tls12,
	        },
	    .policy_file = cfg.policy_file[0] != '\0' ? cfg.policy_file : NULL,
	    .sign_key = cfg.key,
	    .sign_key_password = so.tls.key_password,
	    .store_path = cfg.store_path,
	    .audit_key_path = cfg.audit_key,
	    .store_probe_ms = cfg.store_probe_ms,
	    .source_batch_max = cfg.source_batch_max,
	    .refusal_summary_ms = cfg.refusal_summary_ms,
	    .batch_max_households = cfg.batch_max_households,
	    .batch_inflight_households = cfg.batch_inflight_households,
	    .consent_mode = cfg.consent_mode,
	    .metrics = reg,
	    .retention_days = cfg.retention_days,
	};
	if ((verifier = verify_service_alloc(&vo, errbuf, sizeof errbuf)) ==
	    NULL) {
		log_error(
		    "heduid.start", "step=verifier error=\"%s\"", errbuf);
		goto fail;
	}
	if (verify_service_register(verifier, srv) != HD_OK)
		goto fail;
	if (policy_service_register(verifier, srv) != HD_OK)
		goto fail;
	hd_err err = rpc_server_start(srv);
	if (err != HD_OK) {
		log_error("heduid.start", "url=\"%s\" error=\"%s\"",
		    cfg.listen, hd_strerror(err));
		goto fail;
	}
	log_info("heduid.start",
	    "version=0.1.0 url=\"%s\" tls_engine=%s "
	    "tls_description=\"%s\" tls_max=%s "
	    "debug_service=%s source_ca=\"%s\" source_cert=\"%s\"",
	    cfg.listen, tls_setup_engine_name(),
	    tls_setup_engine_description(), tls_setup_max_version(&so.tls),
	    cfg.debug_service ? "on" : "off", cfg.source_ca, cfg.source_cert);
	if (reg != NULL) {
		if ((scrape = metrics_http_start(reg, cfg.metrics_listen,
		         errbuf, sizeof errbuf)) == NULL) {
			log_error("heduid.start", "step=metrics error=\"%s\"",
			    errbuf);
			goto fail;
		}
		log_info("metrics.start", "url=\"%s/metrics\"",
		    cfg.metrics_listen);
	}
	char ready[300];
	snprintf(ready, sizeof ready, "serving %s", cfg.listen);
	svc_notify_ready(ready);
	if (cfg.consent_mode == CONSENT_MODE_UNCHECKED)
		/* The transition setting: not what the law asks for. */
		log_warn("heduid.config",
		    "problem=\"consents are not checked ([consent] mode = "
		    "unchecked)\" advice=\"register the offices' consents "
		    "(docs/CONSENT.md) and set mode = registry\"");
	bool any_source = cfg.source_bank[0] != '\0' ||
	                  cfg.source_tax[0] != '\0' ||
	                  cfg.source_property[0] != '\0';
	if (any_source && strcmp(cfg.source_ca, cfg.ca) == 0)
		/* Sources that trust this CA for their clients would also
		 * let every agency certificate through the handshake. */
		log_warn("heduid.config",
		    "problem=\"the sources' CA is the agencies' CA\" "
		    "advice=\"give the source plane its own CA "
		    "([sources] ca, cert, key; docs/SOURCES.md)\"");

	int sig = 0;
	sigwait(&sigs, &sig);
	log_info("heduid.stop", "signal=%s inflight=%d",
	    sig == SIGTERM ? "TERM" : "INT", rpc_server_inflight(srv));
	svc_notify_stopping();
	rpc_server_drain(srv);
	/* Handlers still running hold contexts and source calls: let them
	 * finish (every one is bounded by its deadline) before freeing. */
	for (uint32_t waited = 0; rpc_server_inflight(srv) > 0 &&
	                          waited < cfg.max_deadline_ms + 1000;
	     waited += 10)
		nng_msleep(10);
	/* Whatever is queued for the store is committed before exit 0. */
	verify_service_stop(verifier);
	status = 0;

fail:
	/* Before what its gauges read. */
	metrics_http_stop(scrape);
	rpc_builtin_free(builtin);
	rpc_server_free(srv);
	verify_service_free(verifier);
	metrics_free(reg);
	rpc_close_all("heduid.stop");
	return status;
}
