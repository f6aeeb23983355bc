/* SPDX-License-Identifier: MIT */
/*
 * systemd's readiness protocol (etc/systemd/, Type=notify): heduid and a
 * source started with $NOTIFY_SOCKET say READY=1 once they accept calls
 * and STOPPING=1 when they drain on SIGTERM. The test plays systemd: a
 * datagram socket of its own, as sd_notify(3) expects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tsource.h"
#include "tsupport.h"

static int sock = -1;
static char path[108];

static int setup(void **state)
{
	(void)state;
	ttls_init();
	snprintf(path, sizeof path, "%s", ttmp("notify.sock"));
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof a.sun_path)
		return -1;
	memcpy(a.sun_path, path, strlen(path) + 1);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&a, sizeof a) != 0)
		return -1;
	/* Inherited by the processes the tests start. */
	setenv("NOTIFY_SOCKET", path, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	close(sock);
	unlink(path);
	return 0;
}

/* The next datagram within timeout_ms into buf ("" when none came). */
static void next_state(char *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = {.fd = sock, .events = POLLIN};
	buf[0] = '\0';
	if (poll(&p, 1, timeout_ms) != 1)
		return;
	ssize_t n = recv(sock, buf, cap - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
}

static void expect(const char *want, const char *also)
{
	char buf[1024];
	next_state(buf, sizeof buf, 10000);
	if (strstr(buf, want) == NULL ||
	    (also != NULL && strstr(buf, also) == NULL)) {
		print_error("got \"%s\", wanted %s and %s\n", buf, want,
		    also != NULL ? also : "");
		fail();
	}
}

static void heduid_ready_then_stopping(void **state)
{
	(void)state;
	int port;
	tproc *h = theduid_start(&port, NULL);
	assert_non_null(h);
	/* Ready only once it accepts calls: theduid_start saw it listen. */
	expect("READY=1", "STATUS=serving tls+tcp://");
	assert_int_equal(tproc_stop(h), 0);
	expect("STOPPING=1", NULL);
}

static void source_ready_then_stopping(void **state)
{
	(void)state;
	int port;
	tproc *s = tsource_start("bank", "--fixtures",
	    tsource_fixtures(), NULL, &port);
	assert_non_null(s);
	expect("READY=1", "STATUS=serving hedui.v1.BankSource");
	assert_int_equal(tproc_stop(s), 0);
	expect("STOPPING=1", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(heduid_ready_then_stopping),
	    cmocka_unit_test(source_ready_then_stopping),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
