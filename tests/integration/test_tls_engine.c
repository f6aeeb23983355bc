/* SPDX-License-Identifier: MIT */
/*
 * The OpenSSL engine between our own endpoints: registration order,
 * policy, certificate checks (revoked, expired, wrong CA, missing, wrong
 * EKU, wrong name), encrypted keys, bad inputs, large messages and many
 * connections. Peers outside our engine (openssl s_client, nngcat) are in
 * test_tls_interop.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/tls_fixture.h"
#include "tls_engine_openssl.h"

#define TIMEOUT_MS 5000

/* Outcome of registering before nng's start-up, found in a child
 * process at the very start of main: 0 overwritten, 1 kept, 2 other. */
static int early_register_status = -1;

static tlsfx_echo *echo; /* the test's server; teardown stops it */

static int teardown_echo(void **state)
{
	(void)state;
	tlsfx_echo_stop(echo);
	echo = NULL;
	return 0;
}

static int start_server(const tls_opts *o)
{
	int port = 0;
	assert_int_equal(tlsfx_echo_start(o, NULL, &echo, &port), 0);
	return port;
}

static int request(const tls_opts *o, int port)
{
	static const char hello[] = "hello";
	return tlsfx_echo_request(
	    o, NULL, port, hello, sizeof hello, TIMEOUT_MS);
}

static void test_engine_is_registered(void **state)
{
	(void)state;
	assert_string_equal(nng_tls_engine_name(), "openssl");
	assert_string_equal(tls_setup_engine_name(), "openssl");
	assert_non_null(strstr(nng_tls_engine_description(), "OpenSSL 3."));
	assert_non_null(
	    strstr(tls_setup_engine_description(), "(hedui engine)"));
	assert_string_equal(
	    tls_setup_engine_description(), tls_engine_openssl_description());
	tls_opts o = {0};
	assert_string_equal(tls_setup_max_version(&o), "TLSv1.3");
}

/* What tls_setup_engine() works around: nng's start-up overwrites an
 * engine registered before it. */
static void test_register_before_nng_init_is_overwritten(void **state)
{
	(void)state;
	assert_int_equal(early_register_status, 0);
}

static void test_round_trip_tls13_only(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	tlsfx_id_init(&srv, "heduid", true);
	tlsfx_id_init(&cli, "agency-330106", true);
	int port = start_server(&srv.o);
	assert_int_equal(request(&cli.o, port), 0);
	assert_int_equal(tlsfx_echo_served(echo), 1);
	assert_true(tlsfx_echo_last_verified(echo));
}

/* Each refused client: the handshake fails, nothing reaches the server. */
static void refused_client(const char *identity)
{
	tlsfx_id srv, cli;
	tlsfx_id_init(&srv, "heduid", true);
	tlsfx_id_init(&cli, identity, true);
	int port = start_server(&srv.o);
	int rv = request(&cli.o, port);
	assert_int_not_equal(rv, -1); /* the client config itself is fine */
	assert_int_not_equal(rv, 0);
	assert_int_equal(tlsfx_echo_served(echo), 0);
	/* and a good client still gets through afterwards */
	tlsfx_id_init(&cli, "agency-1101", true);
	assert_int_equal(request(&cli.o, port), 0);
}

static void test_revoked_client_refused(void **state)
{
	(void)state;
	refused_client("revoked-client");
}

static void test_expired_client_refused(void **state)
{
	(void)state;
	refused_client("expired-client");
}

static void test_wrong_ca_client_refused(void **state)
{
	(void)state;
	refused_client("rogue-client");
}

static void test_wrong_eku_client_refused(void **state)
{
	(void)state;
	refused_client("wrong-eku-client");
}

static void test_missing_client_cert_refused(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	tlsfx_id_init(&srv, "heduid", true);
	tlsfx_id_init(&cli, "agency-330106", true);
	int port = start_server(&srv.o);
	nng_tls_config *bare = tlsfx_config_no_cert(NNG_TLS_MODE_CLIENT, &cli);
	assert_non_null(bare);
	int rv = tlsfx_echo_request(NULL, bare, port, "x", 1, TIMEOUT_MS);
	nng_tls_config_free(bare);
	assert_int_not_equal(rv, 0);
	assert_int_equal(tlsfx_echo_served(echo), 0);
}

/* Without the CRL the revoked certificate would pass: the CRL is what
 * refuses it. */
static void test_revoked_client_passes_without_crl(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	tlsfx_id_init(&srv, "heduid", false);
	tlsfx_id_init(&cli, "revoked-client", false);
	int port = start_server(&srv.o);
	assert_int_equal(request(&cli.o, port), 0);
}

/* OPTIONAL: no certificate is fine (and not "verified"), a bad one is
 * still refused. */
static void test_optional_auth(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	tlsfx_id_init(&srv, "heduid", true);
	srv.o.auth_optional = true;
	tlsfx_id_init(&cli, "agency-330106", true);
	int port = start_server(&srv.o);

	nng_tls_config *bare = tlsfx_config_no_cert(NNG_TLS_MODE_CLIENT, &cli);
	assert_non_null(bare);
	assert_int_equal(
	    tlsfx_echo_request(NULL, bare, port, "x", 1, TIMEOUT_MS), 0);
	nng_tls_config_free(bare);
	assert_false(tlsfx_echo_last_verified(echo));

	assert_int_equal(request(&cli.o, port), 0);
	assert_true(tlsfx_echo_last_verified(echo));

	tlsfx_id_init(&cli, "revoked-client", true);
	assert_int_not_equal(request(&cli.o, port), 0);
	assert_int_equal(tlsfx_echo_served(echo), 2);
}

static void test_rogue_server_refused(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	tlsfx_id_init(&srv, "rogue-server", false);
	/* The rogue server trusts our CA, so only our client's check of
	 * the server's certificate stands in the way. */
	tlsfx_id_init(&cli, "agency-330106", true);
	int port = start_server(&srv.o);
	int rv = request(&cli.o, port);
	assert_int_not_equal(rv, 0);
	assert_int_not_equal(rv, -1);
	assert_int_equal(tlsfx_echo_served(echo), 0);
}

/* The IP literal is checked against the IP SAN, a DNS name against the
 * DNS SANs; a name the certificate lacks is refused. */
static void test_server_name_checked(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	tlsfx_id_init(&srv, "heduid", true);
	tlsfx_id_init(&cli, "agency-330106", true);
	int port = start_server(&srv.o);
	cli.o.server_name = "127.0.0.1";
	assert_int_equal(request(&cli.o, port), 0);
	cli.o.server_name = "localhost";
	assert_int_equal(request(&cli.o, port), 0);
	cli.o.server_name = "heduid.example.org";
	assert_int_not_equal(request(&cli.o, port), 0);
	cli.o.server_name = "127.0.0.2";
	assert_int_not_equal(request(&cli.o, port), 0);
	assert_int_equal(tlsfx_echo_served(echo), 2);
}

static void test_encrypted_key_with_password(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	tlsfx_id_init(&srv, "heduid", true);
	snprintf(srv.key, sizeof srv.key, "%s", tlsfx_cert("heduid-enc.key"));
	srv.o.key_password = "hedui-dev";
	tlsfx_id_init(&cli, "agency-330106", true);
	int port = start_server(&srv.o);
	assert_int_equal(request(&cli.o, port), 0);
}

/* A wrong or missing password fails to load (and never prompts). */
static void test_encrypted_key_bad_password(void **state)
{
	(void)state;
	tlsfx_id srv;
	nng_tls_config *cfg = NULL;
	tlsfx_id_init(&srv, "heduid", true);
	snprintf(srv.key, sizeof srv.key, "%s", tlsfx_cert("heduid-enc.key"));
	srv.o.key_password = "wrong";
	assert_int_equal(
	    tls_setup_config(NNG_TLS_MODE_SERVER, &srv.o, &cfg), HD_ETLS);
	srv.o.key_password = NULL;
	assert_int_equal(
	    tls_setup_config(NNG_TLS_MODE_SERVER, &srv.o, &cfg), HD_ETLS);
	assert_null(cfg);
}

static void test_bad_inputs_rejected(void **state)
{
	(void)state;
	nng_tls_config *cfg;
	tlsfx_id srv;
	nng_tls_config *ok = NULL;
	tlsfx_id_init(&srv, "heduid", true);
	/* a key that is not the certificate's */
	snprintf(
	    srv.key, sizeof srv.key, "%s", tlsfx_cert("agency-330106.key"));
	assert_int_equal(
	    tls_setup_config(NNG_TLS_MODE_SERVER, &srv.o, &ok), HD_ETLS);
	/* a CRL file that holds a certificate */
	tlsfx_id_init(&srv, "heduid", true);
	snprintf(srv.crl, sizeof srv.crl, "%s", tlsfx_cert("ca.crt"));
	assert_int_equal(
	    tls_setup_config(NNG_TLS_MODE_SERVER, &srv.o, &ok), HD_ETLS);
	assert_null(ok);

	assert_int_equal(nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER), 0);
	assert_int_equal(
	    nng_tls_config_ca_chain(cfg, "not PEM", NULL), NNG_EINVAL);
	assert_int_equal(
	    nng_tls_config_own_cert(cfg, "not PEM", "not PEM", NULL),
	    NNG_EINVAL);
	assert_int_equal(nng_tls_config_version(cfg, NNG_TLS_1_3, NNG_TLS_1_2),
	    NNG_ENOTSUP);
	assert_int_equal(nng_tls_config_version(cfg, NNG_TLS_1_0, NNG_TLS_1_1),
	    NNG_ENOTSUP);
	/* below 1.2 is raised to 1.2 rather than refused */
	assert_int_equal(
	    nng_tls_config_version(cfg, NNG_TLS_1_0, NNG_TLS_1_3), 0);
	assert_int_equal(
	    nng_tls_config_auth_mode(cfg, (nng_tls_auth_mode)7), NNG_EINVAL);
	nng_tls_config_free(cfg);
}

/* A client limited to TLS 1.2 against the default (1.3 only) server is
 * refused, and accepted once the server allows 1.2. */
static void test_tls12_client_policy(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	nng_tls_config *c12 = NULL;
	tlsfx_id_init(&srv, "heduid", true);
	tlsfx_id_init(&cli, "agency-330106", true);
	cli.o.allow_tls12 = true;
	assert_int_equal(
	    tls_setup_config(NNG_TLS_MODE_CLIENT, &cli.o, &c12), HD_OK);
	assert_int_equal(
	    nng_tls_config_version(c12, NNG_TLS_1_2, NNG_TLS_1_2), 0);

	int port = start_server(&srv.o);
	int rv = tlsfx_echo_request(NULL, c12, port, "x", 1, TIMEOUT_MS);
	tlsfx_echo_stop(echo);
	echo = NULL;
	assert_int_not_equal(rv, 0);

	srv.o.allow_tls12 = true;
	port = start_server(&srv.o);
	rv = tlsfx_echo_request(NULL, c12, port, "x", 1, TIMEOUT_MS);
	nng_tls_config_free(c12);
	assert_int_equal(rv, 0);
}

/* A dial that never reaches TLS: nng 1.5.2 still calls the engine's
 * connection fini, on a connection init never saw. */
static void test_dial_to_closed_port_is_clean(void **state)
{
	(void)state;
	tlsfx_id cli;
	tlsfx_id_init(&cli, "agency-330106", true);
	int port = tlsfx_free_port();
	assert_true(port > 0);
	int rv = request(&cli.o, port);
	assert_int_equal(rv, NNG_ECONNREFUSED);
}

/* A configuration in use cannot change: nng 1.5.2 does not enforce
 * that, so the engine does. */
static void test_config_change_after_use(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	nng_tls_config *cfg = NULL;
	tlsfx_id_init(&srv, "heduid", true);
	tlsfx_id_init(&cli, "agency-330106", true);
	assert_int_equal(
	    tls_setup_config(NNG_TLS_MODE_SERVER, &srv.o, &cfg), HD_OK);
	int port = 0;
	assert_int_equal(tlsfx_echo_start(NULL, cfg, &echo, &port), 0);
	assert_int_equal(request(&cli.o, port), 0);
	assert_int_equal(
	    nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE), NNG_EBUSY);
	assert_int_equal(nng_tls_config_server_name(cfg, "x"), NNG_EBUSY);
	assert_int_equal(
	    nng_tls_config_version(cfg, NNG_TLS_1_2, NNG_TLS_1_3), NNG_EBUSY);
	nng_tls_config_free(cfg);
	assert_int_equal(request(&cli.o, port), 0);
}

static void test_one_mib_message(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	tlsfx_id_init(&srv, "heduid", true);
	tlsfx_id_init(&cli, "agency-330106", true);
	int port = start_server(&srv.o);
	size_t len = 1u << 20;
	unsigned char *big = malloc(len);
	assert_non_null(big);
	for (size_t i = 0; i < len; i++)
		big[i] = (unsigned char)(i * 131u + (i >> 12));
	int rv = tlsfx_echo_request(&cli.o, NULL, port, big, len, 20000);
	free(big);
	assert_int_equal(rv, 0);
}

#define N_CLIENTS 50

struct client_arg {
	const tls_opts *o;
	int port;
	int rv;
};

static void *client_main(void *p)
{
	struct client_arg *a = p;
	char msg[32];
	snprintf(msg, sizeof msg, "client %d", a->port);
	a->rv =
	    tlsfx_echo_request(a->o, NULL, a->port, msg, strlen(msg), 30000);
	return NULL;
}

static void test_fifty_concurrent_clients(void **state)
{
	(void)state;
	tlsfx_id srv, cli;
	tlsfx_id_init(&srv, "heduid", true);
	tlsfx_id_init(&cli, "agency-1101", true);
	int port = start_server(&srv.o);
	pthread_t th[N_CLIENTS];
	struct client_arg args[N_CLIENTS];
	for (int i = 0; i < N_CLIENTS; i++) {
		args[i] = (struct client_arg){.o = &cli.o, .port = port};
		assert_int_equal(
		    pthread_create(&th[i], NULL, client_main, &args[i]), 0);
	}
	int failed = 0;
	for (int i = 0; i < N_CLIENTS; i++) {
		pthread_join(th[i], NULL);
		if (args[i].rv != 0) {
			print_error(
			    "client %d: %s\n", i, nng_strerror(args[i].rv));
			failed++;
		}
	}
	assert_int_equal(failed, 0);
	assert_int_equal(tlsfx_echo_served(echo), N_CLIENTS);
}

/* Exit status of a child that chose HEDUI_TLS_ENGINE=mbedtls and did a
 * round trip, run at the start of main: nng cannot take its own engine
 * back once ours is in, and a fork after nng has started threads would
 * leave the child without them. */
static int mbedtls_child_status = -1;

static int mbedtls_child(void)
{
	tlsfx_id srv, cli;
	tlsfx_echo *e = NULL;
	int port;
	tls_opts none = {0};
	setenv("HEDUI_TLS_ENGINE", "mbedtls", 1);
	if (tls_setup_engine(NULL) != HD_OK)
		return 1;
	if (strcmp(tls_setup_engine_name(), "mbedtls") != 0 ||
	    strcmp(tls_setup_max_version(&none), "TLSv1.2") != 0)
		return 2;
	tlsfx_id_init(&srv, "heduid", true);
	tlsfx_id_init(&cli, "agency-330106", true);
	if (tlsfx_echo_start(&srv.o, NULL, &e, &port) != 0)
		return 3;
	if (strcmp(nng_tls_engine_name(), "mbed") != 0)
		return 4;
	return request(&cli.o, port) == 0 ? 0 : 5;
}

static void test_mbedtls_choice(void **state)
{
	(void)state;
	assert_int_equal(mbedtls_child_status, 0);
	/* with openssl in, switching back is refused rather than half done */
	assert_int_equal(tls_setup_engine("mbedtls"), HD_EINVAL);
	assert_int_equal(tls_setup_engine("gnutls"), HD_EINVAL);
	assert_string_equal(nng_tls_engine_name(), "openssl");
}

static int run_in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		return WEXITSTATUS(status);
	return -1;
}

static int early_register_child(void)
{
	/* No nng call has happened in this process yet. */
	(void)tls_engine_openssl_register();
	const char *name = nng_tls_engine_name();
	return strcmp(name, "mbed") == 0      ? 0
	       : strcmp(name, "openssl") == 0 ? 1
	                                      : 2;
}

#define T(f) cmocka_unit_test_teardown(f, teardown_echo)

int main(void)
{
	if (!tlsfx_have_certs()) {
		fprintf(stderr, "HEDUI_CERTS does not hold the dev PKI\n");
		return 1;
	}
	/* Before this process makes any nng call: */
	early_register_status = run_in_child(early_register_child);
	mbedtls_child_status = run_in_child(mbedtls_child);
	if (tls_setup_engine("openssl") != HD_OK)
		return 1;
	const struct CMUnitTest tests[] = {
	    T(test_engine_is_registered),
	    T(test_register_before_nng_init_is_overwritten),
	    T(test_round_trip_tls13_only),
	    T(test_revoked_client_refused),
	    T(test_expired_client_refused),
	    T(test_wrong_ca_client_refused),
	    T(test_wrong_eku_client_refused),
	    T(test_missing_client_cert_refused),
	    T(test_revoked_client_passes_without_crl),
	    T(test_optional_auth),
	    T(test_rogue_server_refused),
	    T(test_server_name_checked),
	    T(test_encrypted_key_with_password),
	    T(test_encrypted_key_bad_password),
	    T(test_bad_inputs_rejected),
	    T(test_tls12_client_policy),
	    T(test_dial_to_closed_port_is_clean),
	    T(test_config_change_after_use),
	    T(test_one_mib_message),
	    T(test_fifty_concurrent_clients),
	    T(test_mbedtls_choice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
