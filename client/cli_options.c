/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "agency_sig.h"
#include "cli.h"
#include "tls_setup.h"
#include "utf8.h"

static void cli_usage(FILE *f)
{
	fprintf(f,
	    "usage: hedui [options] COMMAND [ARGS]\n"
	    "\n"
	    "Commands:\n"
	    "  health [SERVICE]     is the service (or one of its services) "
	    "serving?\n"
	    "  methods              list the methods the service offers\n"
	    "  verify FILE [--json] verify a household's economic status;\n"
	    "                       FILE is household JSON (- for standard "
	    "input),\n"
	    "                       see examples/household-dibao.json\n"
	    "  report get ID [-o FILE] [--json]\n"
	    "                       a stored report; -o saves the signed "
	    "bytes\n"
	    "  report verify FILE --cert SERVICE.crt [--ca CA.crt]\n"
	    "                       check a saved report's signature "
	    "offline\n"
	    "  audit verify --store FILE [--key FILE]\n"
	    "                       check heduid's audit trail (hash "
	    "chain)\n"
	    "  consent add FILE [--form SCAN] [--json]\n"
	    "                       register consents (JSON, "
	    "docs/CONSENT.md)\n"
	    "  consent revoke NUMBER --reason TEXT [--region CODE]\n"
	    "  consent show NUMBER [--region CODE] [--json]\n"
	    "  consent list (--member ID | --number NUMBER |\n"
	    "      --expiring-before DATE | --expiring-within DAYS)\n"
	    "      [--region PREFIX] [--limit N] [--page-token T] [--json]\n"
	    "  monitor ROSTER [--out DIR] [--rate N] ...\n"
	    "                       re-check every enrolled household, "
	    "resumably;\n"
	    "                       alerts by county (monitor --help, "
	    "docs/MONITORING.md)\n"
	    "  policy show REGION [--as-of DATE] [--json] [--file FILE]\n"
	    "                       the parameters in force for a region and "
	    "where\n"
	    "                       each comes from (heduid's, or FILE's)\n"
	    "  stats --from DATE --to DATE [--region PREFIX] [--json|--csv]\n"
	    "                       checks per county and program in a "
	    "period\n"
	    "\n"
	    "Options (also from HEDUI_* environment variables and the config "
	    "file):\n"
	    "  -s, --server URL     service address [HEDUI_SERVER, "
	    "tls+tcp://127.0.0.1:7443]\n"
	    "      --ca FILE        CA certificate [HEDUI_CA]\n"
	    "      --cert FILE      our agency certificate [HEDUI_CERT]\n"
	    "      --key FILE       our agency key [HEDUI_KEY]\n"
	    "                       (defaults: ca.crt, cli.crt and cli.key "
	    "in $HEDUI_CERTS or build/certs)\n"
	    "      --operator ID    officer id sent with each call "
	    "[HEDUI_OPERATOR, $USER]\n"
	    "  -d, --deadline MS    give up after MS milliseconds [10000]\n"
	    "      --json           machine-readable output\n"
	    "      --tls-engine E   openssl or mbedtls [HEDUI_TLS_ENGINE]\n"
	    "      --allow-tls12    permit TLS 1.2\n"
	    "  -c, --config FILE    INI file [HEDUI_CONFIG, "
	    "~/.config/hedui/hedui.ini]\n"
	    "  -V, --version        version and TLS engine\n"
	    "  -h, --help           this text\n"
	    "\n"
	    "Exit status: 0 answer obtained, 1 not serving, 2 bad usage or "
	    "input,\n3 the service answered with an error, 4 service "
	    "unreachable or TLS failed.\n");
}

static void cli_set(char *dst, size_t cap, const char *v)
{
	if (v != NULL)
		snprintf(dst, cap, "%s", v);
}

static int cli_ini_handler(
    void *user, const char *section, const char *name, const char *value)
{
	cli_ctx *ctx = user;
	if (strcmp(section, "client") != 0) {
		fprintf(
		    stderr, "hedui: config: unknown section [%s]\n", section);
		return 0;
	}
	if (strcmp(name, "server") == 0)
		cli_set(ctx->server, sizeof ctx->server, value);
	else if (strcmp(name, "ca") == 0)
		cli_set(ctx->ca, sizeof ctx->ca, value);
	else if (strcmp(name, "cert") == 0)
		cli_set(ctx->cert, sizeof ctx->cert, value);
	else if (strcmp(name, "key") == 0)
		cli_set(ctx->key, sizeof ctx->key, value);
	else if (strcmp(name, "operator") == 0)
		cli_set(ctx->operator_id, sizeof ctx->operator_id, value);
	else if (strcmp(name, "deadline_ms") == 0)
		ctx->deadline_ms = (uint32_t)strtoul(value, NULL, 10);
	else {
		fprintf(stderr, "hedui: config: unknown setting %s\n", name);
		return 0;
	}
	return 1;
}

static void cli_defaults(cli_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	cli_set(ctx->server, sizeof ctx->server, "tls+tcp://127.0.0.1:7443");
	const char *dir = getenv("HEDUI_CERTS");
	if (dir == NULL || dir[0] == '\0')
		dir = "build/certs";
	snprintf(ctx->ca, sizeof ctx->ca, "%s/ca.crt", dir);
	snprintf(ctx->cert, sizeof ctx->cert, "%s/cli.crt", dir);
	snprintf(ctx->key, sizeof ctx->key, "%s/cli.key", dir);
	const char *user = getenv("USER");
	cli_set(ctx->operator_id, sizeof ctx->operator_id,
	    user != NULL ? user : "unknown");
	ctx->deadline_ms = 10000;
}

int cli_options_parse(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"ca", required_argument, NULL, 'A'},
	    {"cert", required_argument, NULL, 'C'},
	    {"key", required_argument, NULL, 'K'},
	    {"operator", required_argument, NULL, 'o'},
	    {"deadline", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"tls-engine", required_argument, NULL, 'E'},
	    {"allow-tls12", no_argument, NULL, '2'},
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	cli_defaults(ctx);

	/* Precedence: flags over environment over the config file. */
	const char *cfg = getenv("HEDUI_CONFIG");
	char home_cfg[512] = "";
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--config") == 0 ||
		    strcmp(argv[i], "-c") == 0)
			cfg = argv[i + 1];
	if (cfg == NULL && getenv("HOME") != NULL) {
		snprintf(home_cfg, sizeof home_cfg,
		    "%s/.config/hedui/hedui.ini", getenv("HOME"));
		if (access(home_cfg, R_OK) == 0)
			cfg = home_cfg;
	}
	if (cfg != NULL && ini_parse(cfg, cli_ini_handler, ctx) != 0) {
		fprintf(stderr, "hedui: %s: invalid config file\n", cfg);
		return CLI_EXIT_USAGE;
	}
	cli_set(ctx->server, sizeof ctx->server, getenv("HEDUI_SERVER"));
	cli_set(ctx->ca, sizeof ctx->ca, getenv("HEDUI_CA"));
	cli_set(ctx->cert, sizeof ctx->cert, getenv("HEDUI_CERT"));
	cli_set(ctx->key, sizeof ctx->key, getenv("HEDUI_KEY"));
	cli_set(ctx->operator_id, sizeof ctx->operator_id,
	    getenv("HEDUI_OPERATOR"));
	cli_set(ctx->tls_engine, sizeof ctx->tls_engine,
	    getenv("HEDUI_TLS_ENGINE"));

	int opt;
	while ((opt = getopt_long(argc, argv, "+s:d:c:hV", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 's':
			cli_set(ctx->server, sizeof ctx->server, optarg);
			break;
		case 'A':
			cli_set(ctx->ca, sizeof ctx->ca, optarg);
			break;
		case 'C':
			cli_set(ctx->cert, sizeof ctx->cert, optarg);
			break;
		case 'K':
			cli_set(ctx->key, sizeof ctx->key, optarg);
			break;
		case 'o':
			cli_set(
			    ctx->operator_id, sizeof ctx->operator_id, optarg);
			break;
		case 'd': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end != '\0' || v == 0 || v > 3600000) {
				fprintf(stderr, "hedui: --deadline must be "
				                "1 to 3600000 ms\n");
				return CLI_EXIT_USAGE;
			}
			ctx->deadline_ms = (uint32_t)v;
			break;
		}
		case 'j':
			ctx->json = true;
			break;
		case 'E':
			cli_set(
			    ctx->tls_engine, sizeof ctx->tls_engine, optarg);
			break;
		case '2':
			ctx->allow_tls12 = true;
			break;
		case 'c':
			break;
		case 'h':
			cli_usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			if (tls_setup_engine(ctx->tls_engine[0] != '\0'
			                         ? ctx->tls_engine
			                         : NULL) != HD_OK)
				return CLI_EXIT_USAGE;
			printf("hedui 0.1.0\ntls engine: %s (%s), max %s\n",
			    tls_setup_engine_name(),
			    tls_setup_engine_description(),
			    tls_setup_max_version(NULL));
			return CLI_EXIT_OK;
		default:
			cli_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	ctx->argc = argc - optind;
	ctx->argv = argv + optind;
	return -1;
}

int cli_connect(cli_ctx *ctx)
{
	if (tls_setup_engine(ctx->tls_engine[0] != '\0' ? ctx->tls_engine
	                                                : NULL) != HD_OK) {
		fprintf(stderr, "hedui: TLS engine \"%s\" unavailable\n",
		    ctx->tls_engine);
		return CLI_EXIT_USAGE;
	}
	rpc_client_opts o = {
	    .url = ctx->server,
	    .tls = {.ca_file = ctx->ca,
	        .cert_file = ctx->cert,
	        .key_file = ctx->key,
	        .allow_tls12 = ctx->allow_tls12},
	    .recv_max_bytes = ctx->recv_max_bytes,
	};
	ctx->client = rpc_client_alloc(&o);
	if (ctx->client == NULL) {
		fprintf(stderr,
		    "hedui: cannot set up a connection to %s (check --ca, "
		    "--cert, --key and the address)\n",
		    ctx->server);
		return CLI_EXIT_UNREACHABLE;
	}
	return -1;
}

void cli_call_opts(const cli_ctx *ctx, rpc_call_opts *opts, rpc_metadata md[2],
    char trace_id[33])
{
	unsigned char rnd[16];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	for (int i = 0; i < 16; i++)
		snprintf(trace_id + 2 * i, 3, "%02x", rnd[i]);
	md[0].key = "operator-id";
	md[0].value = ctx->operator_id;
	md[1].key = "trace-id";
	md[1].value = trace_id;
	memset(opts, 0, sizeof *opts);
	opts->deadline_ms = ctx->deadline_ms;
	opts->metadata = md;
	opts->metadata_count = 2;
}

bool cli_operator_ok(const cli_ctx *ctx)
{
	if (agency_sig_operator_ok(ctx->operator_id))
		return true;
	/* Not echoed: it could be anything, an ID number included. */
	fprintf(stderr,
	    "hedui: the operator id (--operator, HEDUI_OPERATOR, the config "
	    "file's operator, or $USER) must be 1 to %d characters of "
	    "[A-Za-z0-9._@-]\n",
	    AGENCY_OPERATOR_MAX);
	return false;
}

int cli_report_status(const char *what, rpc_code code, const rpc_status *st)
{
	/* The message is the server's: no control characters (escape
	 * sequences) reach the terminal. */
	char msg[sizeof st->message];
	utf8_sanitize(st->message, msg, sizeof msg, true);
	fprintf(stderr, "hedui: %s: %s: %s\n", what, rpc_code_name(code), msg);
	if (st->local && (code == RPC_UNAVAILABLE || code == RPC_CANCELLED))
		return CLI_EXIT_UNREACHABLE;
	if (st->local && code == RPC_DEADLINE_EXCEEDED)
		return CLI_EXIT_UNREACHABLE;
	return CLI_EXIT_STATUS;
}
