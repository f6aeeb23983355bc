/* SPDX-License-Identifier: MIT */
/*
 * rpc_close: a close that finishes is waited for; one that does not is
 * abandoned after the bound instead of wedging the caller.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include "rpc_close.h"
#include "rpc_server.h"
#include "rpc_server_impl.h"
#include "tsupport.h"

static atomic_int notified;
static atomic_int slow_ms = 1500;

/* Runs on nng's reaper thread while the socket's pipes are torn down, so
 * nng_close (and every other close) waits for it: a stand-in for nng's
 * own hang, which cannot be produced on demand. */
static void slow_pipe_removal(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	(void)ev;
	(void)arg;
	atomic_fetch_add(&notified, 1);
	nng_msleep(atomic_load(&slow_ms));
}

static void pair(nng_socket *rep, nng_socket *req, bool slow)
{
	char url[64];
	snprintf(url, sizeof url, "tcp://127.0.0.1:%d", tport_free());
	assert_int_equal(nng_rep0_open(rep), 0);
	assert_int_equal(nng_req0_open(req), 0);
	if (slow)
		assert_int_equal(nng_pipe_notify(*req, NNG_PIPE_EV_REM_POST,
		                     slow_pipe_removal, NULL),
		    0);
	assert_int_equal(nng_listen(*rep, url, NULL, 0), 0);
	assert_int_equal(nng_dial(*req, url, NULL, 0), 0);
}

static void close_that_finishes_is_waited_for(void **state)
{
	(void)state;
	nng_socket rep, req;
	pair(&rep, &req, false);
	uint64_t t0 = tnow_ms();
	assert_true(rpc_close_bounded(req, 5000, "test"));
	assert_true(tnow_ms() - t0 < 2000);
	assert_true(rpc_close_bounded(rep, 5000, "test"));
	assert_false(rpc_close_abandoned());
	/* Closed means closed: the socket is gone. */
	assert_int_equal(nng_close(req), NNG_ECLOSED);
}

static void close_that_hangs_is_abandoned(void **state)
{
	(void)state;
	nng_socket rep, req;
	pair(&rep, &req, true);
	uint64_t t0 = tnow_ms();
	assert_false(rpc_close_bounded(req, 200, "test"));
	uint64_t took = tnow_ms() - t0;
	assert_true(took >= 190 && took < 1200);
	assert_true(rpc_close_abandoned());
	for (int i = 0; i < 100 && atomic_load(&notified) == 0; i++)
		nng_msleep(10);
	assert_int_equal(atomic_load(&notified), 1);
	/* The helper finishes on its own later and frees what it shares. */
	nng_msleep(2000);
	assert_true(rpc_close_bounded(rep, 5000, "test"));
}

static void *close_thread(void *arg)
{
	nng_close(*(nng_socket *)arg);
	return NULL;
}

/* Holds nng's reaper for slow_ms from a thread of its own. */
static void wedge_reaper(nng_socket *rep, nng_socket *req, pthread_t *t)
{
	atomic_store(&notified, 0);
	pair(rep, req, true);
	assert_int_equal(pthread_create(t, NULL, close_thread, req), 0);
	for (int i = 0; i < 200 && atomic_load(&notified) == 0; i++)
		nng_msleep(10);
	assert_int_equal(atomic_load(&notified), 1);
}

static void probe_tells_a_stuck_reaper(void **state)
{
	(void)state;
	assert_true(rpc_close_probe(2000));
	nng_socket rep, req;
	pthread_t t;
	atomic_store(&slow_ms, 1500);
	wedge_reaper(&rep, &req, &t);
	assert_false(rpc_close_probe(200));
	pthread_join(t, NULL);
	nng_msleep(500);
	assert_true(rpc_close_probe(2000));
	nng_close(rep);
}

static void wedged_server_says_not_serving(void **state)
{
	(void)state;
	rpc_server_opts o = {.url = "inproc://test-rpc-close-wedge",
	    .wedge_probe_ms = 50,
	    .wedge_bound_ms = 200,
	    .stay_when_wedged = true};
	rpc_server *srv = rpc_server_alloc(&o);
	assert_non_null(srv);
	assert_int_equal(rpc_server_start(srv), HD_OK);
	nng_msleep(300); /* several healthy probes */
	assert_false(rpc_server_wedged(srv));
	assert_int_equal(rpc_server_is_serving(srv, ""), 1);

	nng_socket rep, req;
	pthread_t t;
	atomic_store(&slow_ms, 2000);
	wedge_reaper(&rep, &req, &t);
	for (int i = 0; i < 150 && !rpc_server_wedged(srv); i++)
		nng_msleep(10);
	assert_true(rpc_server_wedged(srv));
	assert_int_equal(rpc_server_is_serving(srv, ""), 0);
	pthread_join(t, NULL);
	/* Sticky: nng working again does not make it trustworthy again. */
	nng_msleep(300);
	assert_int_equal(rpc_server_is_serving(srv, ""), 0);
	/* Store health coming back does not clear it either. */
	rpc_server_set_serving(srv, "", 1);
	assert_int_equal(rpc_server_is_serving(srv, ""), 0);
	rpc_server_free(srv);
	nng_close(rep);
}

/* The child of wedged_server_exits: a server as heduid runs it, whose
 * reaper then gets stuck. It must exit RPC_WEDGED_EXIT by itself. */
static int wedge_child(void)
{
	rpc_server_opts o = {.url = "inproc://test-rpc-close-exit",
	    .wedge_probe_ms = 50,
	    .wedge_bound_ms = 200};
	rpc_server *srv = rpc_server_alloc(&o);
	if (srv == NULL || rpc_server_start(srv) != HD_OK)
		return 1;
	nng_socket rep, req;
	pthread_t t;
	atomic_store(&slow_ms, 5000);
	wedge_reaper(&rep, &req, &t);
	nng_msleep(3000);
	return 2; /* it should have exited already */
}

/* Issue 13: a wedge detected is a restart, not a person's job. */
static void wedged_server_exits(void **state)
{
	(void)state;
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	assert_true(n > 0);
	self[n] = '\0';
	char *argv[] = {self, "wedge-child", NULL};
	tproc *child = tproc_start("rpc-close-wedge-child", argv);
	assert_non_null(child);
	int status = tproc_wait(child, 5000);
	assert_int_equal(status, RPC_WEDGED_EXIT);
	assert_true(tfile_contains(tproc_log(child), "event=rpc.wedged"));
	tproc_stop(child);
}

/* Issue 12: a listener that stops accepting while its connections go on
 * working is noticed: Health NOT_SERVING, and SERVING again once it
 * accepts. */
static void stuck_listener_says_not_serving(void **state)
{
	(void)state;
	ttls_init();
	char url[64];
	snprintf(url, sizeof url, "tls+tcp://127.0.0.1:%d", tport_free());
	rpc_server_opts o = {.url = url,
	    .tls = {.ca_file = tcert("ca.crt"),
	        .cert_file = tcert("heduid.crt"),
	        .key_file = tcert("heduid.key")},
	    .wedge_probe_ms = 100,
	    .wedge_bound_ms = 500};
	rpc_server *srv = rpc_server_alloc(&o);
	assert_non_null(srv);
	assert_int_equal(rpc_server_start(srv), HD_OK);
	nng_msleep(500); /* several good probes */
	assert_false(rpc_server_listener_stuck(srv));
	assert_int_equal(rpc_server_is_serving(srv, ""), 1);

	/* As if it had stopped accepting: the socket and every pipe stay. */
	nng_listener_close(srv->listener);
	for (int i = 0; i < 300 && !rpc_server_listener_stuck(srv); i++)
		nng_msleep(10);
	assert_true(rpc_server_listener_stuck(srv));
	assert_int_equal(rpc_server_is_serving(srv, ""), 0);

	/* Accepting again: serving again. */
	assert_int_equal(
	    nng_listener_create(&srv->listener, srv->sock, url), 0);
	assert_int_equal(
	    nng_listener_set_ptr(srv->listener, NNG_OPT_TLS_CONFIG, srv->tls),
	    0);
	assert_int_equal(nng_listener_start(srv->listener, 0), 0);
	for (int i = 0; i < 300 && rpc_server_listener_stuck(srv); i++)
		nng_msleep(10);
	assert_false(rpc_server_listener_stuck(srv));
	assert_int_equal(rpc_server_is_serving(srv, ""), 1);
	rpc_server_free(srv);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "wedge-child") == 0)
		return wedge_child();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(close_that_finishes_is_waited_for),
	    cmocka_unit_test(close_that_hangs_is_abandoned),
	    cmocka_unit_test(probe_tells_a_stuck_reaper),
	    cmocka_unit_test(wedged_server_says_not_serving),
	    cmocka_unit_test(wedged_server_exits),
	    cmocka_unit_test(stuck_listener_says_not_serving),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
