/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consent_registry.h"
#include "heduid_config.h"

static char path[64];

static void write_ini(const char *text)
{
	snprintf(path, sizeof path, "/tmp/heduid-cfg-%d.ini", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static heduid_action parse(heduid_config *cfg, int argc, const char **argv)
{
	heduid_config_defaults(cfg);
	return heduid_config_parse(cfg, argc, (char **)argv);
}

static void shipped_example_parses(void **state)
{
	(void)state;
	char ex[512];
	snprintf(ex, sizeof ex, "%s/etc/heduid.ini",
	    getenv("HEDUI_SRC") != NULL ? getenv("HEDUI_SRC") : ".");
	const char *argv[] = {"heduid", "--config", ex};
	heduid_config cfg;
	assert_int_equal(parse(&cfg, 3, argv), HEDUID_RUN);
	assert_string_equal(cfg.listen, "tls+tcp://127.0.0.1:7443");
	assert_int_equal(cfg.max_inflight, 256);
	assert_string_equal(cfg.source_tax, "tls+tcp://127.0.0.1:7452");
	assert_string_equal(cfg.policy_file, "etc/policy.json");
	assert_string_equal(cfg.tls_engine, "");
	assert_string_equal(cfg.store_path, "heduid.db");
	assert_string_equal(cfg.audit_key, "");
	assert_int_equal(cfg.store_probe_ms, 1000);
	/* Off unless an office says. */
	assert_int_equal(cfg.retention_days, 0);
	assert_int_equal(cfg.source_batch_max, 128);
	assert_int_equal(cfg.batch_max_households, 256);
	assert_int_equal(cfg.batch_inflight_households, 256);
	/* The example uses the source plane's own CA and identity. */
	assert_string_equal(cfg.source_ca, "build/certs/source-ca.crt");
	assert_string_equal(cfg.source_cert, "build/certs/heduid-sources.crt");
	assert_string_equal(cfg.source_key, "build/certs/heduid-sources.key");
	assert_string_equal(cfg.ca, "build/certs/ca.crt");
	/* Metrics on loopback only in the example; off by default. */
	assert_string_equal(cfg.metrics_listen, "http://127.0.0.1:9464");
	heduid_config_defaults(&cfg);
	assert_string_equal(cfg.metrics_listen, "");
	/* Flags over the file. */
	const char *flag[] = {"heduid", "--config", ex, "--metrics",
	    "http://127.0.0.1:1"};
	assert_int_equal(parse(&cfg, 5, flag), HEDUID_RUN);
	assert_string_equal(cfg.metrics_listen, "http://127.0.0.1:1");
}

static void source_plane(void **state)
{
	(void)state;
	heduid_config cfg;
	/* Not set: the [tls] files, as before the source plane had a CA. */
	write_ini("[tls]\nca = a\ncert = b\nkey = c\nkey_password = p\n");
	const char *plain[] = {"heduid", "--config", path};
	assert_int_equal(parse(&cfg, 3, plain), HEDUID_RUN);
	assert_string_equal(cfg.source_ca, "a");
	assert_string_equal(cfg.source_cert, "b");
	assert_string_equal(cfg.source_key, "c");
	assert_string_equal(cfg.source_key_password, "p");
	/* From the file, and flags over it. */
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n"
	          "[sources]\nca = sa\ncert = sb\nkey = sc\n"
	          "key_password = sp\n");
	assert_int_equal(parse(&cfg, 3, plain), HEDUID_RUN);
	assert_string_equal(cfg.source_ca, "sa");
	assert_string_equal(cfg.source_cert, "sb");
	assert_string_equal(cfg.source_key, "sc");
	assert_string_equal(cfg.source_key_password, "sp");
	assert_string_equal(cfg.ca, "a");
	const char *flags[] = {"heduid", "--config", path, "--source-ca", "fa",
	    "--source-cert", "fb", "--source-key", "fc"};
	assert_int_equal(parse(&cfg, 9, flags), HEDUID_RUN);
	assert_string_equal(cfg.source_ca, "fa");
	assert_string_equal(cfg.source_cert, "fb");
	assert_string_equal(cfg.source_key, "fc");
	/* Half an identity would pair a certificate with another key. */
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n[sources]\ncert = sb\n");
	assert_int_equal(parse(&cfg, 3, plain), HEDUID_EXIT_USAGE);
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n");
	const char *half[] = {
	    "heduid", "--config", path, "--source-key", "fc"};
	assert_int_equal(parse(&cfg, 5, half), HEDUID_EXIT_USAGE);
	unlink(path);
}

static void store_settings(void **state)
{
	(void)state;
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n"
	          "[store]\npath = /var/lib/hedui/r.db\nprobe_ms = 250\n");
	const char *argv[] = {
	    "heduid", "--config", path, "--audit-key", "/etc/hedui/audit.key"};
	heduid_config cfg;
	assert_int_equal(parse(&cfg, 5, argv), HEDUID_RUN);
	assert_string_equal(cfg.store_path, "/var/lib/hedui/r.db");
	assert_string_equal(cfg.audit_key, "/etc/hedui/audit.key");
	assert_int_equal(cfg.store_probe_ms, 250);
	const char *flag[] = {"heduid", "--config", path, "--store", "x.db"};
	assert_int_equal(parse(&cfg, 5, flag), HEDUID_RUN);
	assert_string_equal(cfg.store_path, "x.db");
	/* A PostgreSQL URL, with the '=', ':', '@' and '&' of libpq's
	 * parameters, is kept whole. */
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n[store]\n"
	          "path = postgresql://heduid:pw@db1:5432/hedui"
	          "?sslmode=verify-full&connect_timeout=3\n");
	const char *pg[] = {"heduid", "--config", path};
	assert_int_equal(parse(&cfg, 3, pg), HEDUID_RUN);
	assert_string_equal(cfg.store_path,
	    "postgresql://heduid:pw@db1:5432/hedui"
	    "?sslmode=verify-full&connect_timeout=3");
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n[store]\nprobe_ms = 0\n");
	const char *bad[] = {"heduid", "--config", path};
	assert_int_equal(parse(&cfg, 3, bad), HEDUID_EXIT_USAGE);
	unlink(path);
}

/* [store] retention_days: off by default, days, "off", a flag over the
 * file; nonsense refused. */
static void retention_setting(void **state)
{
	(void)state;
	heduid_config cfg;
	const char *plain[] = {"heduid", "--config", path};
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n");
	assert_int_equal(parse(&cfg, 3, plain), HEDUID_RUN);
	assert_int_equal(cfg.retention_days, 0);
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n[store]\n"
	          "retention_days = 365\n");
	assert_int_equal(parse(&cfg, 3, plain), HEDUID_RUN);
	assert_int_equal(cfg.retention_days, 365);
	const char *flag[] = {
	    "heduid", "--config", path, "--retention-days", "30"};
	assert_int_equal(parse(&cfg, 5, flag), HEDUID_RUN);
	assert_int_equal(cfg.retention_days, 30);
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n[store]\n"
	          "retention_days = off\n");
	assert_int_equal(parse(&cfg, 3, plain), HEDUID_RUN);
	assert_int_equal(cfg.retention_days, 0);
	static const char *const bad[] = {"-1", "36501", "a year", "30d"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[128];
		snprintf(text, sizeof text,
		    "[tls]\nca = a\ncert = b\nkey = c\n[store]\n"
		    "retention_days = %s\n",
		    bad[i]);
		write_ini(text);
		assert_int_equal(parse(&cfg, 3, plain), HEDUID_EXIT_USAGE);
	}
	unlink(path);
}

static void source_batching(void **state)
{
	(void)state;
	write_ini(
	    "[tls]\nca = a\ncert = b\nkey = c\n[sources]\nbatch_max = 8\n");
	heduid_config cfg;
	const char *file[] = {"heduid", "--config", path};
	assert_int_equal(parse(&cfg, 3, file), HEDUID_RUN);
	assert_int_equal(cfg.source_batch_max, 8);
	const char *flag[] = {
	    "heduid", "--config", path, "--source-batch-max", "1"};
	assert_int_equal(parse(&cfg, 5, flag), HEDUID_RUN);
	assert_int_equal(cfg.source_batch_max, 1);
	static const char *const bad[] = {"0", "129", "many"};
	for (size_t i = 0; i < 3; i++) {
		const char *argv[] = {
		    "heduid", "--config", path, "--source-batch-max", bad[i]};
		assert_int_equal(parse(&cfg, 5, argv), HEDUID_EXIT_USAGE);
	}
	unlink(path);
}

static void batch_settings(void **state)
{
	(void)state;
	write_ini(
	    "[tls]\nca = a\ncert = b\nkey = c\n[server]\n"
	    "batch_max_households = 64\nbatch_inflight_households = 1000\n");
	heduid_config cfg;
	const char *file[] = {"heduid", "--config", path};
	assert_int_equal(parse(&cfg, 3, file), HEDUID_RUN);
	assert_int_equal(cfg.batch_max_households, 64);
	assert_int_equal(cfg.batch_inflight_households, 1000);
	const char *flag[] = {"heduid", "--config", path,
	    "--batch-max-households", "4096", "--batch-inflight-households",
	    "1"};
	assert_int_equal(parse(&cfg, 7, flag), HEDUID_RUN);
	assert_int_equal(cfg.batch_max_households, 4096);
	assert_int_equal(cfg.batch_inflight_households, 1);
	static const char *const bad[] = {"0", "4097", "many", "-1"};
	for (size_t i = 0; i < 4; i++) {
		const char *argv[] = {"heduid", "--config", path,
		    "--batch-max-households", bad[i]};
		assert_int_equal(parse(&cfg, 5, argv), HEDUID_EXIT_USAGE);
		const char *argv2[] = {"heduid", "--config", path,
		    "--batch-inflight-households", i == 1 ? "65537" : bad[i]};
		assert_int_equal(parse(&cfg, 5, argv2), HEDUID_EXIT_USAGE);
	}
	unlink(path);
}

/* [consent] mode: the registry unless the transition setting says
 * unchecked; anything else refused. */
static void consent_mode_setting(void **state)
{
	(void)state;
	heduid_config cfg;
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n");
	const char *argv[] = {"heduid", "--config", path};
	assert_int_equal(parse(&cfg, 3, argv), HEDUID_RUN);
	assert_int_equal(cfg.consent_mode, CONSENT_MODE_REGISTRY);
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n[consent]\n"
	          "mode = unchecked\n");
	assert_int_equal(parse(&cfg, 3, argv), HEDUID_RUN);
	assert_int_equal(cfg.consent_mode, CONSENT_MODE_UNCHECKED);
	const char *flag[] = {
	    "heduid", "--config", path, "--consent-mode", "registry"};
	assert_int_equal(parse(&cfg, 5, flag), HEDUID_RUN);
	assert_int_equal(cfg.consent_mode, CONSENT_MODE_REGISTRY);
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n[consent]\n"
	          "mode = off\n");
	assert_int_equal(parse(&cfg, 3, argv), HEDUID_EXIT_USAGE);
	const char *bad[] = {
	    "heduid", "--config", path, "--consent-mode", "none"};
	write_ini("[tls]\nca = a\ncert = b\nkey = c\n");
	assert_int_equal(parse(&cfg, 5, bad), HEDUID_EXIT_USAGE);
}

static void flags_override_file(void **state)
{
	(void)state;
	write_ini("[server]\nmax_inflight = 10\nlisten = tls+tcp://1.2.3.4:1\n"
	          "[tls]\nca = a\ncert = b\nkey = c\n");
	const char *argv[] = {
	    "heduid", "--max-inflight", "20", "--config", path};
	heduid_config cfg;
	assert_int_equal(parse(&cfg, 5, argv), HEDUID_RUN);
	assert_int_equal(cfg.max_inflight, 20);
	assert_string_equal(cfg.listen, "tls+tcp://1.2.3.4:1");
	assert_string_equal(cfg.ca, "a");
	unlink(path);
}

static void bad_files_and_flags(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "[server]\nmax_inflight = many\n[tls]\nca=a\ncert=b\nkey=c\n",
	    "[server]\nmax_inflight = 0\n[tls]\nca=a\ncert=b\nkey=c\n",
	    "[server]\nmystery = 1\n[tls]\nca=a\ncert=b\nkey=c\n",
	    "[nosuch]\nx = 1\n",
	    "[tls]\nengine = gnutls\nca=a\ncert=b\nkey=c\n",
	    "[server]\ndebug_service = perhaps\n[tls]\nca=a\ncert=b\nkey=c\n",
	    "not an ini line\n",
	    "[server]\nlisten = tls+tcp://127.0.0.1:1\n", /* no TLS files */
	};
	heduid_config cfg;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_ini(bad[i]);
		const char *argv[] = {"heduid", "--config", path};
		assert_int_equal(parse(&cfg, 3, argv), HEDUID_EXIT_USAGE);
	}
	unlink(path);
	const char *missing[] = {"heduid", "--config", "/nonexistent.ini"};
	assert_int_equal(parse(&cfg, 3, missing), HEDUID_EXIT_USAGE);
	const char *badflag[] = {"heduid", "--max-inflight", "-3", "--ca", "a",
	    "--cert", "b", "--key", "c"};
	assert_int_equal(parse(&cfg, 9, badflag), HEDUID_EXIT_USAGE);
	const char *unknown[] = {"heduid", "--frobnicate"};
	assert_int_equal(parse(&cfg, 2, unknown), HEDUID_EXIT_USAGE);
	const char *extra[] = {
	    "heduid", "--ca", "a", "--cert", "b", "--key", "c", "stray"};
	assert_int_equal(parse(&cfg, 8, extra), HEDUID_EXIT_USAGE);
	const char *help[] = {"heduid", "--help"};
	assert_int_equal(parse(&cfg, 2, help), HEDUID_EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(shipped_example_parses),
	    cmocka_unit_test(flags_override_file),
	    cmocka_unit_test(store_settings),
	    cmocka_unit_test(retention_setting),
	    cmocka_unit_test(source_batching),
	    cmocka_unit_test(batch_settings),
	    cmocka_unit_test(source_plane),
	    cmocka_unit_test(bad_files_and_flags),
	    cmocka_unit_test(consent_mode_setting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
