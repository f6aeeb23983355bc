/* SPDX-License-Identifier: MIT */
/*
 * The OpenSSL engine against peers that are not ours: `openssl s_client`
 * and `openssl s_server` (an independent view of what was negotiated) and
 * `nngcat` from nng-utils (nng's own mbedTLS engine, TLS 1.2 only).
 *
 * Every child gets stdin from a pipe we hold, output to a file under
 * $HEDUI_BUILD/test-logs, and dies with us (PR_SET_PDEATHSIG); teardown
 * and atexit kill and reap whatever is left.
 */
#define _GNU_SOURCE /* pipe2, memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/transport/tls/tls.h>

#include "../support/tls_fixture.h"

#define TIMEOUT_MS 5000
#define MAX_KIDS 8

typedef struct kid {
	pid_t pid;  /* 0 once reaped */
	int status; /* exit status once reaped, -1 if killed */
	int in_fd;  /* write end of its stdin */
	char out[PATH_MAX];
} kid;

static kid kids[MAX_KIDS];
static char openssl_bin[PATH_MAX], nngcat_bin[PATH_MAX];
static tlsfx_echo *echo;

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static bool find_bin(const char *name, char *out)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof dirs, "%s", path != NULL ? path : "/usr/bin");
	for (char *save, *d = strtok_r(dirs, ":", &save); d != NULL;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, PATH_MAX, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* Kills (if needed) and reaps one child. */
static void kid_end(kid *k)
{
	if (k->in_fd >= 0)
		close(k->in_fd);
	k->in_fd = -1;
	if (k->pid > 0) {
		kill(k->pid, SIGKILL);
		while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	k->pid = 0;
}

static void kids_end_all(void)
{
	for (int i = 0; i < MAX_KIDS; i++)
		kid_end(&kids[i]);
}

static int teardown(void **state)
{
	(void)state;
	kids_end_all();
	tlsfx_echo_stop(echo);
	echo = NULL;
	return 0;
}

/* Starts argv (argv[0] an absolute path), output to test-logs/NAME.out. */
static kid *kid_start(const char *name, char *const argv[])
{
	kid *k = NULL;
	for (int i = 0; i < MAX_KIDS && k == NULL; i++)
		if (kids[i].pid == 0)
			k = &kids[i];
	assert_non_null(k);
	kid_end(k); /* a reaped child may still hold its stdin pipe */
	const char *dir = getenv("HEDUI_BUILD");
	snprintf(k->out, sizeof k->out, "%s/test-logs/tls_interop_%s.out",
	    dir != NULL ? dir : "/tmp", name);
	int in[2];
	int out = open(k->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		snprintf(
		    k->out, sizeof k->out, "/tmp/tls_interop_%s.out", name);
		out = open(
		    k->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	}
	assert_true(out >= 0);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls between fork and exec. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		dup2(in[0], 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out);
	assert_true(pid > 0);
	k->pid = pid;
	k->status = -1;
	k->in_fd = in[1];
	return k;
}

/* Whether the child has exited (and is reaped). */
static bool kid_exited(kid *k)
{
	int status;
	if (k->pid == 0)
		return true;
	if (waitpid(k->pid, &status, WNOHANG) != k->pid)
		return false;
	k->pid = 0;
	k->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return true;
}

/* Hangs up its stdin and waits for the child to exit: its exit status, or
 * -1 if it had to be killed at the deadline. */
static int kid_wait(kid *k, int timeout_ms)
{
	if (k->in_fd >= 0)
		close(k->in_fd);
	k->in_fd = -1;
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (kid_exited(k))
			return k->status;
		sleep_ms(10);
	}
	kid_end(k);
	return -1;
}

/* Whole output so far, binary-safe; caller frees. */
static char *kid_output(const kid *k, size_t *len)
{
	FILE *f = fopen(k->out, "rb");
	char *buf = calloc(1, 1 << 20);
	*len = 0;
	if (f != NULL && buf != NULL)
		*len = fread(buf, 1, (1 << 20) - 1, f);
	if (f != NULL)
		fclose(f);
	return buf;
}

static bool kid_said(const kid *k, const void *text, size_t n)
{
	size_t len;
	char *out = kid_output(k, &len);
	bool found = out != NULL && memmem(out, len, text, n) != NULL;
	free(out);
	return found;
}

#define SAID(k, s) kid_said((k), (s), strlen(s))

/* Waits until the child says text, or exits, or the deadline passes. */
static bool kid_wait_for(kid *k, const void *text, size_t n, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (kid_said(k, text, n))
			return true;
		if (kid_exited(k))
			return kid_said(k, text, n);
		sleep_ms(10);
	}
	return false;
}

/* Fails the test showing what the child said. */
static void expect_said(const kid *k, const char *text, bool want)
{
	if (SAID(k, text) == want)
		return;
	size_t len;
	char *out = kid_output(k, &len);
	for (size_t i = 0; out != NULL && i < len; i++)
		if (out[i] == '\0')
			out[i] = '.';
	print_error("expected %s\"%s\" in %s:\n%s\n", want ? "" : "no ", text,
	    k->out, out != NULL ? out : "");
	free(out);
	fail();
}

static bool port_accepts(int port, int timeout_ms)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int rv = connect(fd, (struct sockaddr *)&sa, sizeof sa);
		close(fd);
		if (rv == 0)
			return true;
		sleep_ms(20);
	}
	return false;
}

/* s_client with an agency's certificate, checking the server's (IP SAN).
 * Waits for the REP socket's protocol header to arrive after the
 * handshake (or for s_client to give up), then hangs up. */
static kid *s_client(int port, const char *name, const char *const extra[])
{
	char connect[32];
	snprintf(connect, sizeof connect, "127.0.0.1:%d", port);
	char *argv[24] = {openssl_bin, "s_client", "-connect", connect,
	    "-CAfile", (char *)tlsfx_cert("ca.crt"), "-cert",
	    (char *)tlsfx_cert("agency-330106.crt"), "-key",
	    (char *)tlsfx_cert("agency-330106.key"), "-verify_return_error",
	    "-verify_ip", "127.0.0.1"};
	int n = 13;
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 23; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	kid *k = kid_start(name, argv);
	static const char sp_header[] = {0, 'S', 'P', 0, 0, 49, 0, 0};
	(void)kid_wait_for(k, sp_header, sizeof sp_header, TIMEOUT_MS);
	return k;
}

static int start_server(bool allow_tls12)
{
	tlsfx_id srv;
	int port = 0;
	tlsfx_id_init(&srv, "heduid", true);
	srv.o.allow_tls12 = allow_tls12;
	assert_int_equal(tlsfx_echo_start(&srv.o, NULL, &echo, &port), 0);
	return port;
}

static void test_s_client_sees_tls13(void **state)
{
	(void)state;
	int port = start_server(false);
	kid *k = s_client(port, "tls13", NULL);
	kid_wait(k, TIMEOUT_MS);
	expect_said(k, "New, TLSv1.3, Cipher is TLS_", true);
	expect_said(k, "Verify return code: 0 (ok)", true);
	/* Tickets would have arrived before the REP header. */
	expect_said(k, "New Session Ticket", false);
	expect_said(k, "Compression: NONE", true);

	static const char *const brief[] = {"-brief", NULL};
	k = s_client(port, "tls13_brief", brief);
	kid_wait(k, TIMEOUT_MS);
	expect_said(k, "Protocol version: TLSv1.3", true);
}

static void test_s_client_tls12_refused_by_default(void **state)
{
	(void)state;
	int port = start_server(false);
	static const char *const v12[] = {"-tls1_2", NULL};
	kid *k = s_client(port, "tls12_default", v12);
	assert_int_not_equal(kid_wait(k, TIMEOUT_MS), 0);
	expect_said(k, "Cipher is (NONE)", true);
	expect_said(k, "alert protocol version", true);
	assert_int_equal(tlsfx_echo_served(echo), 0);
}

static void test_s_client_tls12_when_allowed(void **state)
{
	(void)state;
	int port = start_server(true);
	static const char *const v12[] = {"-tls1_2", NULL};
	kid *k = s_client(port, "tls12_allowed", v12);
	kid_wait(k, TIMEOUT_MS);
	expect_said(k, "New, TLSv1.2, Cipher is ECDHE-ECDSA-", true);
	expect_said(k, "Protocol  : TLSv1.2", true);
	expect_said(k, "Verify return code: 0 (ok)", true);
	expect_said(k, "TLS session ticket:", false);
	expect_said(k, "Compression: NONE", true);
}

/* With 1.2 allowed, still only ECDHE with AEAD: CBC, and RSA key
 * exchange, are refused. */
static void test_s_client_tls12_weak_ciphers_refused(void **state)
{
	(void)state;
	int port = start_server(true);
	static const char *const cbc[] = {"-tls1_2", "-cipher",
	    "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA", NULL};
	kid *k = s_client(port, "tls12_cbc", cbc);
	assert_int_not_equal(kid_wait(k, TIMEOUT_MS), 0);
	expect_said(k, "Cipher is (NONE)", true);
	static const char *const rsa[] = {
	    "-tls1_2", "-cipher", "AES128-GCM-SHA256:AES256-GCM-SHA384", NULL};
	k = s_client(port, "tls12_rsa_kx", rsa);
	assert_int_not_equal(kid_wait(k, TIMEOUT_MS), 0);
	expect_said(k, "Cipher is (NONE)", true);
}

/* s_client's "R" asks for a renegotiation; the server refuses it. */
static void test_s_client_renegotiation_refused(void **state)
{
	(void)state;
	int port = start_server(true);
	static const char *const v12[] = {"-tls1_2", NULL};
	kid *k = s_client(port, "tls12_reneg", v12);
	expect_said(k, "New, TLSv1.2", true);
	assert_int_equal(write(k->in_fd, "R\n", 2), 2);
	assert_true(kid_wait_for(k, "RENEGOTIATING", 13, TIMEOUT_MS));
	assert_true(kid_wait_for(k, "no renegotiation", 16, TIMEOUT_MS));
	kid_wait(k, TIMEOUT_MS);
}

/* Our client, default policy, seen from s_server: TLS 1.3. */
static void test_s_server_sees_tls13_from_our_client(void **state)
{
	(void)state;
	int port = tlsfx_free_port();
	char accept[32], url[64];
	snprintf(accept, sizeof accept, "127.0.0.1:%d", port);
	char *const argv[] = {openssl_bin, "s_server", "-accept", accept,
	    "-cert", (char *)tlsfx_cert("heduid.crt"), "-key",
	    (char *)tlsfx_cert("heduid.key"), "-CAfile",
	    (char *)tlsfx_cert("ca.crt"), "-Verify", "1",
	    "-verify_return_error", "-brief", NULL};
	kid *k = kid_start("s_server", argv);
	assert_true(port_accepts(port, TIMEOUT_MS));

	tlsfx_id cli;
	nng_tls_config *cfg = NULL;
	nng_socket s;
	nng_dialer d;
	tlsfx_id_init(&cli, "agency-330106", true);
	assert_int_equal(
	    tls_setup_config(NNG_TLS_MODE_CLIENT, &cli.o, &cfg), HD_OK);
	snprintf(url, sizeof url, "tls+tcp://127.0.0.1:%d", port);
	assert_int_equal(nng_req0_open(&s), 0);
	int rv = nng_dialer_create(&d, s, url);
	if (rv == 0)
		rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg);
	/* s_server speaks no SP: the dial can only half succeed. */
	if (rv == 0)
		rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK);
	bool seen = rv == 0 && kid_wait_for(k, "Protocol version: TLSv1.3", 25,
	                           TIMEOUT_MS);
	nng_close(s);
	assert_int_equal(rv, 0);
	if (!seen)
		expect_said(k, "Protocol version: TLSv1.3", true);
	expect_said(k,
	    "Peer certificate: C = CN, O = hedui dev agencies, OU = "
	    "region:330106, "
	    "CN = agency-330106",
	    true);
	expect_said(k, "Verification: OK", true);
}

static kid *nngcat_req(int port, const char *name)
{
	char url[64];
	snprintf(url, sizeof url, "tls+tcp://127.0.0.1:%d", port);
	char *const argv[] = {nngcat_bin, "--req", "--dial", url, "--cacert",
	    (char *)tlsfx_cert("ca.crt"), "--cert",
	    (char *)tlsfx_cert("agency-330106.crt"), "--key",
	    (char *)tlsfx_cert("agency-330106.key"), "--data", "hello",
	    "--ascii", "--recv-timeout", "3", "--send-timeout", "3", NULL};
	return kid_start(name, argv);
}

static void test_nngcat_req_to_our_rep_tls12(void **state)
{
	(void)state;
	int port = start_server(true);
	kid *k = nngcat_req(port, "nngcat_req");
	assert_int_equal(kid_wait(k, 10000), 0);
	expect_said(k, "hello", true);
	assert_int_equal(tlsfx_echo_served(echo), 1);
	assert_true(tlsfx_echo_last_verified(echo));
}

static void test_nngcat_req_refused_by_default(void **state)
{
	(void)state;
	int port = start_server(false);
	kid *k = nngcat_req(port, "nngcat_req_default");
	(void)kid_wait(k, 10000);
	expect_said(k, "hello", false);
	assert_int_equal(tlsfx_echo_served(echo), 0);
}

static kid *nngcat_rep(int *port, const char *name)
{
	char url[64];
	*port = tlsfx_free_port();
	snprintf(url, sizeof url, "tls+tcp://127.0.0.1:%d", *port);
	char *const argv[] = {nngcat_bin, "--rep", "--listen", url, "--cacert",
	    (char *)tlsfx_cert("ca.crt"), "--cert",
	    (char *)tlsfx_cert("heduid.crt"), "--key",
	    (char *)tlsfx_cert("heduid.key"), "--data", "hello", "--ascii",
	    NULL};
	kid *k = kid_start(name, argv);
	assert_true(port_accepts(*port, TIMEOUT_MS));
	return k;
}

static void test_our_req_to_nngcat_rep_tls12(void **state)
{
	(void)state;
	int port;
	kid *k = nngcat_rep(&port, "nngcat_rep");
	tlsfx_id cli;
	tlsfx_id_init(&cli, "agency-330106", true);
	cli.o.allow_tls12 = true;
	assert_int_equal(
	    tlsfx_echo_request(&cli.o, NULL, port, "hello", 5, TIMEOUT_MS), 0);
	assert_true(kid_wait_for(k, "hello", 5, TIMEOUT_MS));
}

static void test_our_default_req_to_nngcat_refused(void **state)
{
	(void)state;
	int port;
	kid *k = nngcat_rep(&port, "nngcat_rep_default");
	tlsfx_id cli;
	tlsfx_id_init(&cli, "agency-330106", true);
	assert_int_not_equal(
	    tlsfx_echo_request(&cli.o, NULL, port, "hello", 5, 2000), 0);
	expect_said(k, "hello", false);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	for (int i = 0; i < MAX_KIDS; i++)
		kids[i].in_fd = -1;
	atexit(kids_end_all);
	signal(SIGPIPE, SIG_IGN);
	if (!tlsfx_have_certs()) {
		fprintf(stderr, "HEDUI_CERTS does not hold the dev PKI\n");
		return 1;
	}
	if (!find_bin("openssl", openssl_bin) ||
	    !find_bin("nngcat", nngcat_bin)) {
		fprintf(stderr, "openssl and nngcat (nng-utils) are needed\n");
		return 1;
	}
	if (tls_setup_engine("openssl") != HD_OK)
		return 1;
	const struct CMUnitTest tests[] = {
	    T(test_s_client_sees_tls13),
	    T(test_s_client_tls12_refused_by_default),
	    T(test_s_client_tls12_when_allowed),
	    T(test_s_client_tls12_weak_ciphers_refused),
	    T(test_s_client_renegotiation_refused),
	    T(test_s_server_sees_tls13_from_our_client),
	    T(test_nngcat_req_to_our_rep_tls12),
	    T(test_nngcat_req_refused_by_default),
	    T(test_our_req_to_nngcat_rep_tls12),
	    T(test_our_default_req_to_nngcat_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
