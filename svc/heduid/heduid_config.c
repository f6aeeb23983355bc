/* SPDX-License-Identifier: MIT */
#include "heduid_config.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent_registry.h"
#include "retention.h"
#include "tls_setup.h"
#include "verify_service.h"

#define HEDUID_VERSION "0.1.0"

void heduid_config_defaults(heduid_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->listen, sizeof cfg->listen, "tls+tcp://127.0.0.1:7443");
	cfg->max_inflight = 256;
	cfg->reject_contexts = 16;
	cfg->recv_max_bytes = 1024 * 1024;
	cfg->max_deadline_ms = 30000;
	cfg->log_level = LOG_LVL_INFO;
	snprintf(cfg->store_path, sizeof cfg->store_path, "heduid.db");
	cfg->store_probe_ms = 1000;
	cfg->refusal_summary_ms = 60000;
	snprintf(
	    cfg->source_peer[0], sizeof cfg->source_peer[0], "CN=source-bank");
	snprintf(
	    cfg->source_peer[1], sizeof cfg->source_peer[1], "CN=source-tax");
	snprintf(cfg->source_peer[2], sizeof cfg->source_peer[2],
	    "CN=source-property");
	cfg->source_batch_max = 128;
	cfg->batch_max_households = VERIFY_BATCH_DEFAULT_HOUSEHOLDS;
	cfg->batch_inflight_households = VERIFY_BATCH_DEFAULT_INFLIGHT;
	/* Empty: HEDUI_TLS_ENGINE, else openssl (tls_setup_engine). */
}

static bool cfg_parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "1") == 0 || strcmp(v, "on") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "0") == 0 || strcmp(v, "off") == 0) {
		*out = false;
		return true;
	}
	return false;
}

static bool cfg_parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return false;
	*out = n;
	return true;
}

static bool cfg_copy(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);
	if (n >= cap)
		return false;
	memcpy(dst, v, n + 1);
	return true;
}

#define CFG_STR(sec, nm, field)                                               \
	if (strcmp(section, sec) == 0 && strcmp(name, nm) == 0)               \
	return cfg_copy(cfg->field, sizeof cfg->field, value) ? "" : "too long"

/* Returns NULL when the key is unknown, "" when set, else the problem. */
static const char *cfg_set(heduid_config *cfg, const char *section,
    const char *name, const char *value)
{
	long n;
	bool b;
	CFG_STR("server", "listen", listen);
	if (strcmp(section, "server") == 0) {
		if (strcmp(name, "max_inflight") == 0) {
			if (!cfg_parse_long(value, 1, 100000, &n))
				return "must be a number from 1 to 100000";
			cfg->max_inflight = (int)n;
			return "";
		}
		if (strcmp(name, "reject_contexts") == 0) {
			if (!cfg_parse_long(value, 1, 10000, &n))
				return "must be a number from 1 to 10000";
			cfg->reject_contexts = (int)n;
			return "";
		}
		if (strcmp(name, "recv_max_bytes") == 0) {
			if (!cfg_parse_long(value, 1024, 256L << 20, &n))
				return "must be from 1024 to 268435456";
			cfg->recv_max_bytes = (size_t)n;
			return "";
		}
		if (strcmp(name, "max_deadline_ms") == 0) {
			if (!cfg_parse_long(value, 1, 3600000, &n))
				return "must be from 1 to 3600000";
			cfg->max_deadline_ms = (uint32_t)n;
			return "";
		}
		if (strcmp(name, "debug_service") == 0) {
			if (!cfg_parse_bool(value, &b))
				return "must be true or false";
			cfg->debug_service = b;
			return "";
		}
		if (strcmp(name, "batch_max_households") == 0) {
			if (!cfg_parse_long(
			        value, 1, VERIFY_BATCH_LIMIT_HOUSEHOLDS, &n))
				return "must be a number from 1 to 4096";
			cfg->batch_max_households = (int)n;
			return "";
		}
		if (strcmp(name, "batch_inflight_households") == 0) {
			if (!cfg_parse_long(value, 1, 65536, &n))
				return "must be a number from 1 to 65536";
			cfg->batch_inflight_households = (int)n;
			return "";
		}
		if (strcmp(name, "log_level") == 0) {
			if (!log_level_parse(value, &cfg->log_level))
				return "must be debug, info, warn or error";
			return "";
		}
	}
	if (strcmp(section, "tls") == 0) {
		if (strcmp(name, "engine") == 0) {
			if (value[0] != '\0' &&
			    strcmp(value, "openssl") != 0 &&
			    strcmp(value, "mbedtls") != 0)
				return "must be openssl, mbedtls or empty";
			return cfg_copy(cfg->tls_engine,
			           sizeof cfg->tls_engine, value)
			           ? ""
			           : "too long";
		}
		if (strcmp(name, "allow_tls12") == 0) {
			if (!cfg_parse_bool(value, &cfg->allow_tls12))
				return "must be true or false";
			return "";
		}
	}
	CFG_STR("tls", "ca", ca);
	CFG_STR("tls", "crl", crl);
	CFG_STR("tls", "cert", cert);
	CFG_STR("tls", "key", key);
	CFG_STR("tls", "key_password", key_password);
	CFG_STR("sources", "bank", source_bank);
	CFG_STR("sources", "tax", source_tax);
	CFG_STR("sources", "property", source_property);
	CFG_STR("sources", "ca", source_ca);
	CFG_STR("sources", "bank_peer", source_peer[0]);
	CFG_STR("sources", "tax_peer", source_peer[1]);
	CFG_STR("sources", "property_peer", source_peer[2]);
	CFG_STR("sources", "cert", source_cert);
	CFG_STR("sources", "key", source_key);
	CFG_STR("sources", "key_password", source_key_password);
	if (strcmp(section, "sources") == 0 &&
	    strcmp(name, "batch_max") == 0) {
		if (!cfg_parse_long(value, 1, 128, &n))
			return "must be from 1 (no batching) to 128";
		cfg->source_batch_max = (int)n;
		return "";
	}
	if (strcmp(section, "limits") == 0)
		return rpc_limits_set(&cfg->limits, name, value);
	if (strcmp(section, "consent") == 0 && strcmp(name, "mode") == 0) {
		consent_mode m;
		if (!consent_mode_parse(value, &m))
			return "must be registry or unchecked";
		cfg->consent_mode = (int)m;
		return "";
	}
	CFG_STR("policy", "file", policy_file);
	CFG_STR("metrics", "listen", metrics_listen);
	CFG_STR("store", "path", store_path);
	CFG_STR("store", "audit_key", audit_key);
	if (strcmp(section, "store") == 0 && strcmp(name, "probe_ms") == 0) {
		if (!cfg_parse_long(value, 10, 60000, &n))
			return "must be from 10 to 60000";
		cfg->store_probe_ms = (uint32_t)n;
		return "";
	}
	if (strcmp(section, "store") == 0 &&
	    strcmp(name, "retention_days") == 0) {
		if (strcmp(value, "off") == 0) {
			cfg->retention_days = 0;
			return "";
		}
		if (!cfg_parse_long(value, 0, RETENTION_MAX_DAYS, &n))
			return "must be off or from 0 (off) to 36500 days";
		cfg->retention_days = (int)n;
		return "";
	}
	if (strcmp(section, "store") == 0 &&
	    strcmp(name, "refusal_summary_ms") == 0) {
		if (!cfg_parse_long(value, 100, 3600000, &n))
			return "must be from 100 to 3600000";
		cfg->refusal_summary_ms = (uint32_t)n;
		return "";
	}
	return NULL;
}

typedef struct cfg_ctx {
	heduid_config *cfg;
	const char *path;
	bool failed;
} cfg_ctx;

static int cfg_ini_handler(
    void *user, const char *section, const char *name, const char *value)
{
	cfg_ctx *ctx = user;
	const char *problem = cfg_set(ctx->cfg, section, name, value);
	if (problem == NULL) {
		fprintf(stderr, "heduid: %s: unknown setting [%s] %s\n",
		    ctx->path, section, name);
		ctx->failed = true;
	} else if (problem[0] != '\0') {
		fprintf(stderr, "heduid: %s: [%s] %s %s\n", ctx->path, section,
		    name, problem);
		ctx->failed = true;
	}
	return 1; /* keep going: report every problem at once */
}

static void heduid_usage(FILE *f)
{
	fprintf(f,
	    "usage: heduid [--config FILE] [options]\n"
	    "\n"
	    "The hedui household verification service.\n"
	    "\n"
	    "  -c, --config FILE        INI configuration (see "
	    "docs/CONFIG.md)\n"
	    "  -l, --listen URL         listen address, tls+tcp://HOST:PORT\n"
	    "      --ca FILE            CA bundle that clients must chain "
	    "to\n"
	    "      --crl FILE           certificate revocation list\n"
	    "      --cert FILE          service certificate\n"
	    "      --key FILE           service private key\n"
	    "      --tls-engine NAME    openssl (TLS 1.3) or mbedtls (1.2)\n"
	    "      --allow-tls12        also accept TLS 1.2 peers\n"
	    "      --max-inflight N     requests handled at once\n"
	    "      --recv-max-bytes N   largest request accepted\n"
	    "      --batch-max-households N  households in one VerifyBatch\n"
	    "                           (1-4096, default 256)\n"
	    "      --batch-inflight-households N  batch households at work\n"
	    "                           at once, all batches (default 256)\n"
	    "      --debug-service      offer hedui.v1.Debug (tests only)\n"
	    "      --bank URL, --tax URL, --property URL   the sources\n"
	    "      --bank-peer ID, --tax-peer ID, --property-peer ID  the\n"
	    "                           identity each source's certificate\n"
	    "                           must have (default CN=source-bank,\n"
	    "                           ...; CN=NAME, a subject, sha256:HEX)\n"
	    "      --source-ca FILE     CA that the sources' certificates "
	    "chain to\n"
	    "                           (the source-plane CA; default "
	    "--ca)\n"
	    "      --source-cert FILE, --source-key FILE\n"
	    "                           heduid's identity towards the "
	    "sources\n"
	    "                           (default --cert, --key)\n"
	    "      --source-batch-max N households per source request "
	    "(1-128,\n"
	    "                           default 128; 1: no batching)\n"
	    "      --policy FILE        regional policy parameters (JSON)\n"
	    "      --store PATH         report and audit store (SQLite "
	    "file;\n"
	    "                           default heduid.db), or "
	    "postgresql://...\n"
	    "                           (docs/DEPLOY.md)\n"
	    "      --audit-key FILE     audit HMAC key (default "
	    "PATH.audit-key,\n"
	    "                           made when absent; required with\n"
	    "                           PostgreSQL)\n"
	    "      --refusal-summary-ms N  unsigned refusals are audited in\n"
	    "                           aggregate this often (60000)\n"
	    "      --metrics URL        Prometheus metrics at URL/metrics, "
	    "e.g.\n"
	    "                           http://127.0.0.1:9464 (off by "
	    "default)\n"
	    "      --retention-days N   purge reports' content N days after\n"
	    "                           they were made (default off; keeps\n"
	    "                           id, agency, time, conclusion, "
	    "hash)\n"
	    "      --consent-mode MODE  registry (default: each consent_ref\n"
	    "                           must name a registered consent) or\n"
	    "                           unchecked (any reference; reports "
	    "say\n"
	    "                           so)\n"
	    "      --log-level LEVEL    debug, info, warn or error\n"
	    "  -V, --version            print version and TLS engine\n"
	    "  -h, --help               this text\n"
	    "\n"
	    "What clients can hold ([limits]; a number, or off where it "
	    "can be):\n");
	rpc_limits_usage(f);
}

enum {
	OPT_CA = 256,
	OPT_CRL,
	OPT_CERT,
	OPT_KEY,
	OPT_ENGINE,
	OPT_TLS12,
	OPT_INFLIGHT,
	OPT_RECVMAX,
	OPT_DEBUG,
	OPT_BANK,
	OPT_TAX,
	OPT_PROPERTY,
	OPT_POLICY,
	OPT_STORE,
	OPT_AUDIT_KEY,
	OPT_LOGLEVEL,
	OPT_BATCHMAX,
	OPT_REFUSALS,
	OPT_SOURCE_CA,
	OPT_SOURCE_CERT,
	OPT_SOURCE_KEY,
	OPT_CONSENT_MODE,
	OPT_BANK_PEER,
	OPT_TAX_PEER,
	OPT_PROPERTY_PEER,
	OPT_BATCH_HH,
	OPT_BATCH_INFLIGHT,
	OPT_METRICS,
	OPT_RETENTION,
	OPT_LIMIT, /* OPT_LIMIT + i: rpc_limits_flag(i) */
};

heduid_action heduid_config_parse(heduid_config *cfg, int argc, char **argv)
{
	static const struct option fixed[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"listen", required_argument, NULL, 'l'},
	    {"ca", required_argument, NULL, OPT_CA},
	    {"crl", required_argument, NULL, OPT_CRL},
	    {"cert", required_argument, NULL, OPT_CERT},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"tls-engine", required_argument, NULL, OPT_ENGINE},
	    {"allow-tls12", no_argument, NULL, OPT_TLS12},
	    {"max-inflight", required_argument, NULL, OPT_INFLIGHT},
	    {"recv-max-bytes", required_argument, NULL, OPT_RECVMAX},
	    {"debug-service", no_argument, NULL, OPT_DEBUG},
	    {"bank", required_argument, NULL, OPT_BANK},
	    {"tax", required_argument, NULL, OPT_TAX},
	    {"property", required_argument, NULL, OPT_PROPERTY},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"store", required_argument, NULL, OPT_STORE},
	    {"audit-key", required_argument, NULL, OPT_AUDIT_KEY},
	    {"log-level", required_argument, NULL, OPT_LOGLEVEL},
	    {"source-batch-max", required_argument, NULL, OPT_BATCHMAX},
	    {"refusal-summary-ms", required_argument, NULL, OPT_REFUSALS},
	    {"retention-days", required_argument, NULL, OPT_RETENTION},
	    {"source-ca", required_argument, NULL, OPT_SOURCE_CA},
	    {"source-cert", required_argument, NULL, OPT_SOURCE_CERT},
	    {"source-key", required_argument, NULL, OPT_SOURCE_KEY},
	    {"consent-mode", required_argument, NULL, OPT_CONSENT_MODE},
	    {"bank-peer", required_argument, NULL, OPT_BANK_PEER},
	    {"tax-peer", required_argument, NULL, OPT_TAX_PEER},
	    {"property-peer", required_argument, NULL, OPT_PROPERTY_PEER},
	    {"batch-max-households", required_argument, NULL, OPT_BATCH_HH},
	    {"batch-inflight-households", required_argument, NULL,
	        OPT_BATCH_INFLIGHT},
	    {"metrics", required_argument, NULL, OPT_METRICS},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	};
	/* The fixed flags, then one per bound of rpc_limits. */
	struct option longopts[sizeof fixed / sizeof fixed[0] + 32];
	size_t nl = sizeof fixed / sizeof fixed[0];
	memcpy(longopts, fixed, sizeof fixed);
	for (size_t i = 0; rpc_limits_flag(i) != NULL &&
	                   nl + 1 < sizeof longopts / sizeof longopts[0];
	     i++)
		longopts[nl++] = (struct option){rpc_limits_flag(i),
		    required_argument, NULL, OPT_LIMIT + (int)i};
	longopts[nl] = (struct option){NULL, 0, NULL, 0};
	/* The file first, wherever --config stands, so flags override it. */
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--config") == 0 ||
		        strcmp(argv[i], "-c") == 0) &&
		    i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
	}
	if (path != NULL) {
		cfg_ctx ctx = {cfg, path, false};
		int rv = ini_parse(path, cfg_ini_handler, &ctx);
		if (rv < 0) {
			fprintf(stderr, "heduid: %s: cannot read\n", path);
			return HEDUID_EXIT_USAGE;
		}
		if (rv > 0) {
			fprintf(
			    stderr, "heduid: %s:%d: syntax error\n", path, rv);
			return HEDUID_EXIT_USAGE;
		}
		if (ctx.failed)
			return HEDUID_EXIT_USAGE;
	}

	static const struct {
		int opt;
		const char *section, *name;
	} map[] = {
	    {'l', "server", "listen"},
	    {OPT_CA, "tls", "ca"},
	    {OPT_CRL, "tls", "crl"},
	    {OPT_CERT, "tls", "cert"},
	    {OPT_KEY, "tls", "key"},
	    {OPT_ENGINE, "tls", "engine"},
	    {OPT_TLS12, "tls", "allow_tls12"},
	    {OPT_INFLIGHT, "server", "max_inflight"},
	    {OPT_RECVMAX, "server", "recv_max_bytes"},
	    {OPT_DEBUG, "server", "debug_service"},
	    {OPT_BANK, "sources", "bank"},
	    {OPT_TAX, "sources", "tax"},
	    {OPT_PROPERTY, "sources", "property"},
	    {OPT_POLICY, "policy", "file"},
	    {OPT_STORE, "store", "path"},
	    {OPT_AUDIT_KEY, "store", "audit_key"},
	    {OPT_LOGLEVEL, "server", "log_level"},
	    {OPT_BATCHMAX, "sources", "batch_max"},
	    {OPT_REFUSALS, "store", "refusal_summary_ms"},
	    {OPT_RETENTION, "store", "retention_days"},
	    {OPT_SOURCE_CA, "sources", "ca"},
	    {OPT_SOURCE_CERT, "sources", "cert"},
	    {OPT_SOURCE_KEY, "sources", "key"},
	    {OPT_CONSENT_MODE, "consent", "mode"},
	    {OPT_BANK_PEER, "sources", "bank_peer"},
	    {OPT_TAX_PEER, "sources", "tax_peer"},
	    {OPT_PROPERTY_PEER, "sources", "property_peer"},
	    {OPT_BATCH_HH, "server", "batch_max_households"},
	    {OPT_BATCH_INFLIGHT, "server", "batch_inflight_households"},
	    {OPT_METRICS, "metrics", "listen"},
	};
	int opt;
	optind = 1;
	while (
	    (opt = getopt_long(argc, argv, "c:l:Vh", longopts, NULL)) != -1) {
		if (opt == 'c')
			continue;
		if (opt == 'h') {
			heduid_usage(stdout);
			return HEDUID_EXIT_OK;
		}
		if (opt == 'V') {
			tls_setup_engine(cfg->tls_engine[0] != '\0'
			                     ? cfg->tls_engine
			                     : NULL);
			printf("heduid %s\ntls engine: %s (%s), max %s\n",
			    HEDUID_VERSION, tls_setup_engine_name(),
			    tls_setup_engine_description(),
			    tls_setup_max_version(NULL));
			return HEDUID_EXIT_OK;
		}
		if (opt >= OPT_LIMIT) {
			const char *name = rpc_limits_flag(opt - OPT_LIMIT);
			const char *problem =
			    cfg_set(cfg, "limits", name, optarg);
			if (problem != NULL && problem[0] != '\0') {
				fprintf(stderr, "heduid: --%s %s\n", name,
				    problem);
				return HEDUID_EXIT_USAGE;
			}
			continue;
		}
		bool known = false;
		for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
			if (map[i].opt != opt)
				continue;
			known = true;
			const char *v = optarg != NULL ? optarg : "true";
			const char *problem =
			    cfg_set(cfg, map[i].section, map[i].name, v);
			if (problem != NULL && problem[0] != '\0') {
				fprintf(stderr, "heduid: --%s %s\n",
				    longopts[0].name == NULL ? ""
				                             : map[i].name,
				    problem);
				return HEDUID_EXIT_USAGE;
			}
		}
		if (!known) {
			heduid_usage(stderr);
			return HEDUID_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "heduid: unexpected argument \"%s\"\n",
		    argv[optind]);
		return HEDUID_EXIT_USAGE;
	}
	if (cfg->ca[0] == '\0' || cfg->cert[0] == '\0' ||
	    cfg->key[0] == '\0') {
		fprintf(stderr, "heduid: [tls] ca, cert and key are required "
		                "(--ca, --cert, --key or a --config file)\n");
		return HEDUID_EXIT_USAGE;
	}
	if ((cfg->source_cert[0] == '\0') != (cfg->source_key[0] == '\0')) {
		/* Half an identity would pair one file with the other's
		 * default: a key that is not the certificate's. */
		fprintf(stderr, "heduid: [sources] cert and key go together "
		                "(--source-cert and --source-key)\n");
		return HEDUID_EXIT_USAGE;
	}
	/* The source plane falls back to the [tls] files (one CA for
	 * everything, as before it had its own). Same sizes: cannot fail. */
	if (cfg->source_ca[0] == '\0')
		cfg_copy(cfg->source_ca, sizeof cfg->source_ca, cfg->ca);
	if (cfg->source_cert[0] == '\0') {
		cfg_copy(cfg->source_cert, sizeof cfg->source_cert, cfg->cert);
		cfg_copy(cfg->source_key, sizeof cfg->source_key, cfg->key);
	}
	if (cfg->source_key_password[0] == '\0')
		cfg_copy(cfg->source_key_password,
		    sizeof cfg->source_key_password, cfg->key_password);
	return HEDUID_RUN;
}
