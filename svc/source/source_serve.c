/* SPDX-License-Identifier: MIT */
/*
 * hedui-source serve: one source over mutual TLS until SIGTERM or SIGINT.
 *
 * Signals are blocked before nng starts its threads, so that they reach
 * only the main thread's sigwait and shutdown runs in plain code.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fixtures.h"
#include "log.h"
#include "rpc_builtin.h"
#include "rpc_peer.h"
#include "rpc_server.h"
#include "source_cli.h"
#include "metrics.h"
#include "metrics_http.h"
#include "source_service.h"
#include "svc_notify.h"
#include "tls_setup.h"

/* More than a source plane would ever list; a bound keeps the array fixed. */
#define SERVE_ALLOW_MAX 16

/* Who may call a source when --allow-client is not given: heduid's
 * source-plane identity (serve_usage_text says so too). */
#define SERVE_ALLOW_DEFAULT "CN=heduid"

typedef struct serve_opts {
	bool kind_set;
	srcdb_kind kind;
	const char *listen;
	const char *db, *fixtures;
	const char *ca, *crl, *cert, *key, *certs_dir;
	const char *tls_engine;
	const char *metrics; /* --metrics URL; NULL: off */
	source_chaos chaos;
	long long max_inflight, max_held, max_deadline_ms;
	rpc_limits limits;
	/* NULL-terminated, for rpc_server_opts.allow_peers. */
	const char *allow[SERVE_ALLOW_MAX + 1];
	int n_allow;
	char listen_buf[64], ca_buf[PATH_MAX], crl_buf[PATH_MAX],
	    cert_buf[PATH_MAX], key_buf[PATH_MAX];
} serve_opts;

static const char serve_usage_text[] =
    "usage: hedui-source [serve] --kind bank|tax|property\n"
    "           (--db FILE | --fixtures FILE)\n"
    "           (--certs DIR | --ca FILE --cert FILE --key FILE)\n"
    "           [options]\n"
    "\n"
    "A mock bank, tax bureau or property registry over mutual TLS.\n"
    "\n"
    "      --kind KIND          bank, tax or property\n"
    "      --listen URL         default tls+tcp://127.0.0.1:7451 (bank),\n"
    "                           7452 (tax), 7453 (property)\n"
    "      --db FILE            a store made by `gen` or `load`\n"
    "      --fixtures FILE      a fixtures JSON file (docs/RULES.md), served\n"
    "                           from memory\n"
    "      --certs DIR          DIR/source-ca.crt (the source-plane CA),\n"
    "                           DIR/source-ca.crl (when there),\n"
    "                           DIR/source-KIND.crt and .key\n"
    "      --ca FILE            CA that clients must chain to: the\n"
    "                           source plane's, never the agencies'\n"
    "      --crl FILE, --cert FILE, --key FILE\n"
    "      --metrics URL        Prometheus metrics at URL/metrics, e.g.\n"
    "                           http://127.0.0.1:9465 (off by default)\n"
    "      --allow-client ENTRY a client this source answers; repeat\n"
    "                           for more. CN=NAME (or NAME), a whole\n"
    "                           subject (CN=heduid,O=hedui dev,C=CN) or\n"
    "                           sha256:HEX (the certificate). Default\n"
    "                           CN=heduid. Others get PERMISSION_DENIED\n"
    "                           (Health excepted), logged as rpc.reject\n"
    "      --tls-engine NAME    openssl (TLS 1.3) or mbedtls (1.2)\n"
    "      --latency-ms N       add N ms to every answer\n"
    "      --jitter-ms N        and a random 0..N ms more\n"
    "      --fail-rate R        fail this share of requests UNAVAILABLE:\n"
    "                           basis points (250) or percent (2.5%)\n"
    "      --hang               never answer (calls held to their "
    "deadline)\n"
    "      --max-inflight N     requests handled at once (default 128)\n"
    "      --max-held N         of which held at once (default half)\n"
    "      --max-deadline-ms N  deadline when a caller sets none "
    "(30000)\n"
    "      --log-level LEVEL    debug, info, warn or error\n"
    "  -V, --version\n"
    "  -h, --help\n"
    "\n"
    "What clients can hold (a number, or off where it can be; a "
    "source\n"
    "has no rate limit unless --rate-per-identity is given: heduid is\n"
    "its one caller):\n";

enum {
	OPT_KIND = 256,
	OPT_LISTEN,
	OPT_DB,
	OPT_FIXTURES,
	OPT_CA,
	OPT_CRL,
	OPT_CERT,
	OPT_KEY,
	OPT_CERTS,
	OPT_ENGINE,
	OPT_LATENCY,
	OPT_JITTER,
	OPT_FAILRATE,
	OPT_HANG,
	OPT_INFLIGHT,
	OPT_HELD,
	OPT_DEADLINE,
	OPT_LOGLEVEL,
	OPT_ALLOW,
	OPT_METRICS,
	OPT_LIMIT, /* OPT_LIMIT + i: rpc_limits_flag(i) */
};

bool source_cli_count(const char *s, long long max, long long *out)
{
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	long long v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > max)
			return false;
	}
	if (*s != '\0')
		return false;
	*out = v;
	return true;
}

int source_cli_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "hedui-source: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(hedui-source --help for the options)\n");
	return 2;
}

static int serve_count(const char *flag, const char *v, long long lo,
    long long hi, long long *out)
{
	if (!source_cli_count(v, hi, out) || *out < lo)
		return source_cli_usage("--%s: a whole number %lld..%lld, not "
		                        "\"%s\"",
		    flag, lo, hi, v);
	return 0;
}

/* One --allow-client entry, checked so that a typo fails at start rather
 * than refusing heduid at its first call. */
static int serve_allow_add(serve_opts *o, const char *entry)
{
	if (o->n_allow >= SERVE_ALLOW_MAX)
		return source_cli_usage(
		    "--allow-client: at most %d entries", SERVE_ALLOW_MAX);
	if (entry[0] == '\0')
		return source_cli_usage("%s", "--allow-client: empty entry");
	if (strncasecmp(entry, "sha256:", 7) == 0) {
		size_t n = strspn(entry + 7, "0123456789abcdefABCDEF");
		if (n != 64 || entry[7 + n] != '\0')
			return source_cli_usage(
			    "--allow-client: sha256: takes the certificate's "
			    "64 hex digits, not \"%s\"",
			    entry);
	} else if (strcmp(entry, "CN=") == 0) {
		return source_cli_usage(
		    "%s", "--allow-client: CN= needs a name");
	}
	o->allow[o->n_allow++] = entry;
	o->allow[o->n_allow] = NULL;
	return 0;
}

/* 0 to run, or the exit status. */
static int serve_parse(serve_opts *o, int argc, char **argv)
{
	static const struct option fixed[] = {
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {"db", required_argument, NULL, OPT_DB},
	    {"fixtures", required_argument, NULL, OPT_FIXTURES},
	    {"ca", required_argument, NULL, OPT_CA},
	    {"crl", required_argument, NULL, OPT_CRL},
	    {"cert", required_argument, NULL, OPT_CERT},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"certs", required_argument, NULL, OPT_CERTS},
	    {"tls-engine", required_argument, NULL, OPT_ENGINE},
	    {"latency-ms", required_argument, NULL, OPT_LATENCY},
	    {"jitter-ms", required_argument, NULL, OPT_JITTER},
	    {"fail-rate", required_argument, NULL, OPT_FAILRATE},
	    {"hang", no_argument, NULL, OPT_HANG},
	    {"max-inflight", required_argument, NULL, OPT_INFLIGHT},
	    {"max-held", required_argument, NULL, OPT_HELD},
	    {"max-deadline-ms", required_argument, NULL, OPT_DEADLINE},
	    {"log-level", required_argument, NULL, OPT_LOGLEVEL},
	    {"allow-client", required_argument, NULL, OPT_ALLOW},
	    {"metrics", required_argument, NULL, OPT_METRICS},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	};
	struct option longopts[sizeof fixed / sizeof fixed[0] + 32];
	size_t nl = sizeof fixed / sizeof fixed[0];
	memcpy(longopts, fixed, sizeof fixed);
	for (size_t i = 0; rpc_limits_flag(i) != NULL &&
	                   nl + 1 < sizeof longopts / sizeof longopts[0];
	     i++)
		longopts[nl++] = (struct option){rpc_limits_flag(i),
		    required_argument, NULL, OPT_LIMIT + (int)i};
	longopts[nl] = (struct option){NULL, 0, NULL, 0};
	long long n;
	log_level lvl;
	int opt, rc;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "Vh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_KIND:
			if (!srcdb_kind_parse(optarg, &o->kind))
				return source_cli_usage("--kind: bank, tax or "
				                        "property, not \"%s\"",
				    optarg);
			o->kind_set = true;
			break;
		case OPT_LISTEN:
			o->listen = optarg;
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_FIXTURES:
			o->fixtures = optarg;
			break;
		case OPT_CA:
			o->ca = optarg;
			break;
		case OPT_CRL:
			o->crl = optarg;
			break;
		case OPT_CERT:
			o->cert = optarg;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_CERTS:
			o->certs_dir = optarg;
			break;
		case OPT_ENGINE:
			o->tls_engine = optarg;
			break;
		case OPT_LATENCY:
			if ((rc = serve_count(
			         "latency-ms", optarg, 0, 600000, &n)) != 0)
				return rc;
			o->chaos.latency_ms = (uint32_t)n;
			break;
		case OPT_JITTER:
			if ((rc = serve_count(
			         "jitter-ms", optarg, 0, 600000, &n)) != 0)
				return rc;
			o->chaos.jitter_ms = (uint32_t)n;
			break;
		case OPT_FAILRATE:
			if (!source_chaos_parse_rate(
			        optarg, &o->chaos.fail_bps))
				return source_cli_usage(
				    "--fail-rate: basis points 0..10000 or a "
				    "percentage like 2.5%%, not \"%s\"",
				    optarg);
			break;
		case OPT_HANG:
			o->chaos.hang = true;
			break;
		case OPT_INFLIGHT:
			if ((rc = serve_count("max-inflight", optarg, 2,
			         100000, &o->max_inflight)) != 0)
				return rc;
			break;
		case OPT_HELD:
			if ((rc = serve_count("max-held", optarg, 1, 100000,
			         &o->max_held)) != 0)
				return rc;
			break;
		case OPT_DEADLINE:
			if ((rc = serve_count("max-deadline-ms", optarg, 1,
			         3600000, &o->max_deadline_ms)) != 0)
				return rc;
			break;
		case OPT_ALLOW:
			if ((rc = serve_allow_add(o, optarg)) != 0)
				return rc;
			break;
		case OPT_METRICS:
			o->metrics = optarg;
			break;
		case OPT_LOGLEVEL:
			if (!log_level_parse(optarg, &lvl))
				return source_cli_usage("--log-level: debug, "
				                        "info, warn or error, "
				                        "not \"%s\"",
				    optarg);
			log_set_level(lvl);
			break;
		case 'V':
			tls_setup_engine(o->tls_engine);
			printf(
			    "hedui-source %s\ntls engine: %s (%s), max %s\n",
			    SOURCE_VERSION, tls_setup_engine_name(),
			    tls_setup_engine_description(),
			    tls_setup_max_version(NULL));
			return -1;
		case 'h':
			fputs(serve_usage_text, stdout);
			rpc_limits_usage(stdout);
			return -1;
		default:
			if (opt >= OPT_LIMIT) {
				const char *name =
				    rpc_limits_flag((size_t)(opt - OPT_LIMIT));
				const char *problem =
				    rpc_limits_set(&o->limits, name, optarg);
				if (problem != NULL && problem[0] != '\0')
					return source_cli_usage(
					    "--%s: %s, not \"%s\"", name,
					    problem, optarg);
				break;
			}
			return source_cli_usage("%s", "unknown option");
		}
	}
	if (optind < argc)
		return source_cli_usage(
		    "unexpected argument \"%s\"", argv[optind]);
	if (!o->kind_set)
		return source_cli_usage("--kind bank|tax|property is needed");
	if ((o->db == NULL) == (o->fixtures == NULL))
		return source_cli_usage(
		    "exactly one of --db FILE and --fixtures FILE is needed");
	if (o->max_held < 0)
		o->max_held = o->max_inflight / 2;
	if (o->max_held >= o->max_inflight)
		return source_cli_usage("--max-held must be below "
		                        "--max-inflight (%lld)",
		    o->max_inflight);
	const char *kind = srcdb_kind_name(o->kind);
	if (o->listen == NULL) {
		snprintf(o->listen_buf, sizeof o->listen_buf,
		    "tls+tcp://127.0.0.1:%d", SOURCE_BASE_PORT + (int)o->kind);
		o->listen = o->listen_buf;
	}
	if (o->n_allow == 0) {
		o->allow[0] = SERVE_ALLOW_DEFAULT;
		o->allow[1] = NULL;
		o->n_allow = 1;
	}
	if (o->certs_dir != NULL) {
		/* The source plane's CA, not the agencies' ca.crt: an agency
		 * certificate must not even complete a handshake here. */
		snprintf(o->ca_buf, sizeof o->ca_buf, "%s/source-ca.crt",
		    o->certs_dir);
		snprintf(o->crl_buf, sizeof o->crl_buf, "%s/source-ca.crl",
		    o->certs_dir);
		snprintf(o->cert_buf, sizeof o->cert_buf, "%s/source-%s.crt",
		    o->certs_dir, kind);
		snprintf(o->key_buf, sizeof o->key_buf, "%s/source-%s.key",
		    o->certs_dir, kind);
		o->ca = o->ca != NULL ? o->ca : o->ca_buf;
		o->cert = o->cert != NULL ? o->cert : o->cert_buf;
		o->key = o->key != NULL ? o->key : o->key_buf;
		if (o->crl == NULL && access(o->crl_buf, R_OK) == 0)
			o->crl = o->crl_buf;
	}
	if (o->ca == NULL || o->cert == NULL || o->key == NULL)
		return source_cli_usage(
		    "--certs DIR, or --ca, --cert and --key, are needed");
	if (o->ca == o->ca_buf && access(o->ca_buf, R_OK) != 0) {
		/* A PKI made before the source plane had its own CA. */
		fprintf(stderr,
		    "hedui-source: %s: cannot read it; the sources trust "
		    "the source-plane CA, which certs/make-dev-pki.sh %s "
		    "makes\n",
		    o->ca_buf, o->certs_dir);
		return 1;
	}
	return 0;
}

/* The allow list for the start line: entries quoted safely, "; "
 * between them (a whole subject has commas of its own). */
static void serve_allow_text(const serve_opts *o, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < o->n_allow && len + 1 < cap; i++) {
		char safe[RPC_PEER_SUBJECT_MAX];
		rpc_peer_log_safe(o->allow[i], safe, sizeof safe);
		int n = snprintf(
		    out + len, cap - len, "%s%s", i > 0 ? "; " : "", safe);
		if (n < 0)
			break;
		len += (size_t)n < cap - len ? (size_t)n : cap - len - 1;
	}
}

/* The store to answer from; an exit status on failure. */
static int serve_open_store(const serve_opts *o, srcdb **db, long long *n)
{
	char err[256];
	if (o->fixtures != NULL) {
		size_t count = 0;
		hd_err e = fixtures_open_memory(
		    o->fixtures, o->kind, db, &count, err, sizeof err);
		if (e != HD_OK) {
			fprintf(stderr, "hedui-source: %s: %s\n", o->fixtures,
			    err);
			return 2;
		}
		*n = (long long)count;
		return 0;
	}
	hd_err e = srcdb_open(NULL, o->db, o->kind, SRCDB_OPEN_READ, db);
	if (e != HD_OK) {
		fprintf(stderr,
		    "hedui-source: %s: cannot open as a %s store: %s\n", o->db,
		    srcdb_kind_name(o->kind), hd_strerror(e));
		return e == HD_EINVAL ? 2 : 1;
	}
	if (srcdb_count(*db, n) != HD_OK)
		*n = -1;
	return 0;
}

int source_serve_main(int argc, char **argv)
{
	serve_opts o = {.max_inflight = 128,
	    .max_held = -1,
	    .max_deadline_ms = 30000,
	    .limits = {.rate_per_identity = -1}};
	int rc = serve_parse(&o, argc, argv);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	static char prog[32];
	snprintf(prog, sizeof prog, "source-%s", srcdb_kind_name(o.kind));
	log_set_program(prog);

	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	srcdb *db = NULL;
	rpc_server *srv = NULL;
	rpc_builtin *builtin = NULL;
	source_service *svc = NULL;
	long long persons = 0;
	int status = 1;
	if (tls_setup_engine(o.tls_engine) != HD_OK)
		return 1;
	if ((rc = serve_open_store(&o, &db, &persons)) != 0)
		return rc;

	metrics *reg = NULL;
	metrics_http *scrape = NULL;
	if (o.metrics != NULL && (reg = metrics_alloc()) == NULL)
		goto fail;
	rpc_server_opts so = {
	    .metrics = reg,
	    .url = o.listen,
	    .tls = {.ca_file = o.ca,
	        .crl_file = o.crl,
	        .cert_file = o.cert,
	        .key_file = o.key},
	    .max_inflight = (int)o.max_inflight,
	    .max_deadline_ms = (uint32_t)o.max_deadline_ms,
	    .limits = o.limits,
	    .allow_peers = o.allow,
	};
	source_service_opts sso = {.db = db,
	    .chaos = o.chaos,
	    .max_waiting = (int)o.max_inflight,
	    .max_held = (int)o.max_held};
	if ((srv = rpc_server_alloc(&so)) == NULL)
		goto fail;
	if ((builtin = rpc_builtin_add(srv, false)) == NULL)
		goto fail;
	if ((svc = source_service_alloc(&sso)) == NULL ||
	    source_service_register(svc, srv) != HD_OK)
		goto fail;
	hd_err err = rpc_server_start(srv);
	if (err != HD_OK) {
		log_error("source.start", "url=\"%s\" error=\"%s\"", o.listen,
		    hd_strerror(err));
		goto fail;
	}
	char allow[1024];
	serve_allow_text(&o, allow, sizeof allow);
	log_info("source.start",
	    "version=%s kind=%s service=%s url=\"%s\" store=\"%s\" "
	    "persons=%lld tls_engine=%s tls_max=%s client_ca=\"%s\" "
	    "allow_clients=\"%s\" latency_ms=%u jitter_ms=%u fail_bps=%d "
	    "hang=%s max_inflight=%lld max_held=%lld",
	    SOURCE_VERSION, srcdb_kind_name(o.kind),
	    source_service_name(o.kind), o.listen,
	    o.db != NULL ? o.db : o.fixtures, persons, tls_setup_engine_name(),
	    tls_setup_max_version(&so.tls), o.ca, allow, o.chaos.latency_ms,
	    o.chaos.jitter_ms, o.chaos.fail_bps, o.chaos.hang ? "on" : "off",
	    o.max_inflight, o.max_held);
	if (reg != NULL) {
		char err[256];
		if ((scrape = metrics_http_start(
		         reg, o.metrics, err, sizeof err)) == NULL) {
			log_error("source.start", "step=metrics error=\"%s\"",
			    err);
			status = 1;
			goto fail;
		}
		log_info("metrics.start", "url=\"%s/metrics\"", o.metrics);
	}
	char ready[300];
	snprintf(ready, sizeof ready, "serving %s on %s",
	    source_service_name(o.kind), o.listen);
	svc_notify_ready(ready);

	int sig = 0;
	sigwait(&sigs, &sig);
	log_info("source.stop", "signal=%s inflight=%d held=%d",
	    sig == SIGTERM ? "TERM" : "INT", rpc_server_inflight(srv),
	    source_service_held(svc));
	svc_notify_stopping();
	rpc_server_drain(srv);
	status = 0;
fail:
	metrics_http_stop(scrape);
	/* Our waiting calls are answered before the server goes. */
	if (svc != NULL)
		source_service_release(svc);
	rpc_builtin_free(builtin);
	rpc_server_free(srv);
	source_service_free(svc);
	metrics_free(reg);
	srcdb_close(db);
	if (status == 0)
		log_info("source.stopped", "kind=%s", srcdb_kind_name(o.kind));
	return status;
}
