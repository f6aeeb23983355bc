/* SPDX-License-Identifier: MIT */
/*
 * hedui-source: a mock bank, tax bureau or property registry.
 *
 *   hedui-source --kind bank --listen URL --db FILE --cert F --key F --ca F
 *                [--allow-client CN=heduid ...]
 *   hedui-source gen --size N --seed S --out DIR
 *   hedui-source load --fixtures FILE --out DIR
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixtures.h"
#include "log.h"
#include "popgen.h"
#include "popgen_roster.h"
#include "rpc_close.h"
#include "source_cli.h"
#include "srcdb.h"

static const char usage_text[] =
    "usage:\n"
    "  hedui-source [serve] --kind bank|tax|property\n"
    "               (--db FILE | --fixtures FILE)\n"
    "               (--certs DIR | --ca FILE --cert FILE --key FILE)\n"
    "               [--listen URL] [--allow-client ENTRY ...]\n"
    "               [--latency-ms N] [--jitter-ms N]\n"
    "               [--fail-rate R] [--hang] [--max-inflight N] ...\n"
    "  hedui-source all (--fixtures FILE | --dir DIR) --certs DIR\n"
    "  hedui-source gen --size N --seed S --out DIR [--households K]\n"
    "               [--region PREFIX] [--roster FILE [--policy FILE]\n"
    "               [--roster-consents DIR]]\n"
    "  hedui-source load --fixtures FILE --out DIR\n"
    "  hedui-source --version | --help | COMMAND --help\n";

static int make_dir(const char *dir)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "hedui-source: cannot create %s: %s\n", dir,
		    strerror(errno));
		return 1;
	}
	return 0;
}

/* One store per kind in dir: bank.db, tax.db, property.db. */
static hd_err open_out_stores(const char *dir, srcdb *stores[SRCDB_KIND_COUNT])
{
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s.db", dir,
		    srcdb_kind_name((srcdb_kind)k));
		hd_err err = srcdb_open(
		    NULL, path, (srcdb_kind)k, SRCDB_OPEN_CREATE, &stores[k]);
		if (err != HD_OK) {
			fprintf(stderr, "hedui-source: cannot create %s: %s\n",
			    path, hd_strerror(err));
			return err;
		}
	}
	return HD_OK;
}

static void close_stores(srcdb *stores[SRCDB_KIND_COUNT])
{
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		srcdb_close(stores[k]);
		stores[k] = NULL;
	}
}

static int cmd_gen(int argc, char **argv)
{
	static const struct option opts[] = {{"size", 1, NULL, 'n'},
	    {"seed", 1, NULL, 's'}, {"out", 1, NULL, 'o'},
	    {"households", 1, NULL, 'H'}, {"log-level", 1, NULL, 'l'},
	    {"region", 1, NULL, 'r'}, {"roster", 1, NULL, 'R'},
	    {"policy", 1, NULL, 'p'}, {"roster-consents", 1, NULL, 'C'},
	    {"help", 0, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	long long size = -1, seed = -1, households = 20;
	const char *out = NULL, *region = NULL, *roster = NULL, *policy = NULL,
		   *roster_consents = NULL;
	log_level lvl;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!source_cli_count(optarg, 100000000LL, &size) ||
			    size < 1)
				return source_cli_usage(
				    "--size: a count 1..100000000, not \"%s\"",
				    optarg);
			break;
		case 's':
			if (!source_cli_count(optarg, INT64_MAX, &seed))
				return source_cli_usage(
				    "--seed: a non-negative number, not "
				    "\"%s\"",
				    optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'H':
			if (!source_cli_count(optarg, 100000, &households))
				return source_cli_usage(
				    "--households: a count 0..100000, not "
				    "\"%s\"",
				    optarg);
			break;
		case 'r':
			region = optarg;
			if (strlen(region) < 2 || strlen(region) > 6 ||
			    strspn(region, "0123456789") != strlen(region))
				return source_cli_usage(
				    "--region: a region code prefix of 2 to 6 "
				    "digits, not \"%s\"",
				    optarg);
			break;
		case 'R':
			roster = optarg;
			break;
		case 'p':
			policy = optarg;
			break;
		case 'C':
			roster_consents = optarg;
			break;
		case 'l':
			if (!log_level_parse(optarg, &lvl))
				return source_cli_usage(
				    "--log-level: debug|info|warn|error, not "
				    "\"%s\"",
				    optarg);
			log_set_level(lvl);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return source_cli_usage("gen: %s", "bad option");
		}
	}
	if (optind < argc)
		return source_cli_usage(
		    "gen: unexpected argument \"%s\"", argv[optind]);
	if (size < 0 || seed < 0 || out == NULL)
		return source_cli_usage(
		    "gen: %s", "--size, --seed and --out are needed");
	if (make_dir(out) != 0)
		return 1;
	srcdb *stores[SRCDB_KIND_COUNT] = {NULL};
	char sample_dir[4096], consent_dir[4096];
	snprintf(sample_dir, sizeof sample_dir, "%s/households", out);
	snprintf(consent_dir, sizeof consent_dir, "%s/consents", out);
	popgen_opts po = {.seed = (uint64_t)seed,
	    .size = size,
	    .sample_dir = households > 0 ? sample_dir : NULL,
	    .sample_households = (int)households,
	    .consent_dir = households > 0 ? consent_dir : NULL,
	    .region_prefix = region,
	    .roster_path = roster,
	    .roster_consent_dir = roster_consents,
	    .policy_file = policy};
	if ((policy != NULL || roster_consents != NULL) && roster == NULL)
		return source_cli_usage("gen: %s",
		    "--policy and --roster-consents go with --roster");
	popgen_stats st;
	hd_err err = open_out_stores(out, stores);
	if (err == HD_OK)
		err = popgen_run(&po, stores, &st);
	close_stores(stores);
	if (err != HD_OK) {
		fprintf(stderr, "hedui-source: gen failed: %s\n",
		    hd_strerror(err));
		return 1;
	}
	printf("generated %lld persons in %lld households (seed %lld) into "
	       "%s\n"
	       "  known to the bank %lld, the tax bureau %lld, the property "
	       "registry %lld\n"
	       "  deposits over 100000 yuan %lld, two or more homes %lld, "
	       "cars %lld, active businesses %lld\n"
	       "  wage earners %lld, of whom under 8000 yuan a month %lld\n",
	    st.persons, st.households, seed, out, st.found[SRCDB_BANK],
	    st.found[SRCDB_TAX], st.found[SRCDB_PROPERTY],
	    st.deposits_over_100k_yuan, st.several_homes, st.cars,
	    st.active_businesses, st.wage_earners, st.modest_wages);
	if (households > 0)
		printf("  sample household requests: %s/hh-*.json\n"
		       "  their consents (hedui consent add): %s/hh-*.json, "
		       "to revoke: %s/hh-*.revoke\n",
		    sample_dir, consent_dir, consent_dir);
	if (roster != NULL) {
		printf(
		    "  roster of %lld enrolled households: %s\n"
		    "    enrolled in dibao %lld, marginal %lld, tekun %lld\n"
		    "    changed since enrollment:",
		    st.households, roster, st.enrolled[0], st.enrolled[1],
		    st.enrolled[2]);
		for (int c = 1; c < POPGEN_CHANGE_COUNT; c++)
			printf("%s %s %lld", c > 1 ? "," : "",
			    popgen_change_name((popgen_change)c),
			    st.changes[c]);
		printf("\n");
		if (roster_consents != NULL)
			printf("  their consents (hedui consent add each "
			       "file): %s/consents-*.json\n",
			    roster_consents);
	}
	return 0;
}

static int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {{"fixtures", 1, NULL, 'f'},
	    {"out", 1, NULL, 'o'}, {"help", 0, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *file = NULL, *out = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return source_cli_usage("load: %s", "bad option");
		}
	}
	if (optind < argc)
		return source_cli_usage(
		    "load: unexpected argument \"%s\"", argv[optind]);
	if (file == NULL || out == NULL)
		return source_cli_usage(
		    "load: %s", "--fixtures and --out are needed");
	/* Check the file before anything is created. */
	char err[256];
	hd_err e = fixtures_load_file(file, NULL, NULL, err, sizeof err);
	if (e != HD_OK) {
		fprintf(stderr, "hedui-source: %s: %s\n", file, err);
		return 2;
	}
	if (make_dir(out) != 0)
		return 1;
	srcdb *stores[SRCDB_KIND_COUNT] = {NULL};
	size_t count = 0;
	e = open_out_stores(out, stores);
	if (e == HD_OK)
		e = fixtures_load_file(file, stores, &count, err, sizeof err);
	close_stores(stores);
	if (e != HD_OK) {
		fprintf(stderr, "hedui-source: %s: %s\n", file, err);
		return 1;
	}
	printf("loaded %zu persons from %s into %s/{bank,tax,property}.db\n",
	    count, file, out);
	return 0;
}

/* After serving: nng frees every closed connection before the exit. */
static int served(int rc)
{
	rpc_close_all("hedui-source");
	return rc;
}

int main(int argc, char **argv)
{
	log_set_program("hedui-source");
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "gen") == 0)
		return cmd_gen(argc - 1, argv + 1);
	if (strcmp(cmd, "load") == 0)
		return cmd_load(argc - 1, argv + 1);
	if (strcmp(cmd, "all") == 0)
		return served(source_all_main(argc - 1, argv + 1));
	if (strcmp(cmd, "serve") == 0)
		return served(source_serve_main(argc - 1, argv + 1));
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (cmd[0] == '-')
		return served(source_serve_main(argc, argv));
	return source_cli_usage("unknown command \"%s\"", cmd);
}
