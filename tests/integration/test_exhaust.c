/*
 * Exhaustion and wedging through the transport: what a client with a valid
 * certificate, or a merely flaky network, can do to heduid's connections.
 *
 * burst_and_reset is issue 13's reproduction of nng 1.5.2's two transport
 * bugs: a reset in the middle of a reply wedged the reaper for good, and a
 * few percent of reset connections were never closed. Either shows as
 * descriptors that never come back. It fails against Debian's unpatched
 * nng (docs/ATTACKS.md has the run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/rpc.pb-c.h"
#include "rpc_client.h"
#include "tsupport.h"

static tproc *heduid;
static int port;
static rpc_client *client;

static int setup(void **state)
{
	(void)state;
	static const char *const extra[] = {"--debug-service", NULL};
	heduid = theduid_start(&port, extra);
	if (heduid == NULL)
		return -1;
	client = tclient(port, "agency-330106");
	return client == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	rpc_client_free(client);
	return tproc_stop(heduid) == 0 ? 0 : -1;
}

static void assert_serving(void)
{
	int serving;
	assert_int_equal(thealth(client, 5000, &serving), RPC_OK);
	assert_int_equal(serving,
	    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}

/* Waits up to timeout_ms for heduid's descriptors to come down to at most
 * want; returns the last count. */
static int fds_settle(int want, int timeout_ms)
{
	uint64_t until = tnow_ms() + (uint64_t)timeout_ms;
	int n;
	while ((n = tproc_fd_count(heduid)) > want && tnow_ms() < until)
		usleep(50 * 1000);
	return n;
}

/* An Echo request whose reply is reply_len bytes. */
static uint8_t *echo_envelope(size_t data_len, size_t *len)
{
	Hedui__V1__EchoRequest req = HEDUI__V1__ECHO_REQUEST__INIT;
	uint8_t *data = calloc(1, data_len > 0 ? data_len : 1);
	req.data.data = data;
	req.data.len = data_len;
	size_t plen = hedui__v1__echo_request__get_packed_size(&req);
	uint8_t *payload = malloc(plen);
	hedui__v1__echo_request__pack(&req, payload);
	uint8_t *env =
	    tenvelope("hedui.v1.Debug/Echo", "burst", payload, plen, len);
	free(payload);
	free(data);
	return env;
}

/* conns connections, each sending burst requests back to back and then
 * resetting without reading more than first_reads replies. */
static int burst_and_reset_round(
    int conns, int burst, const uint8_t *env, size_t env_len, int first_reads)
{
	int opened = 0;
	for (int i = 0; i < conns; i++) {
		traw_sp *c = traw_sp_open(port, "agency-330106", 5000);
		if (c == NULL)
			continue;
		opened++;
		for (int j = 0; j < burst; j++)
			if (!traw_sp_send(c, (uint32_t)j + 1, env, env_len))
				break;
		for (int j = 0; j < first_reads; j++) {
			uint8_t *body;
			size_t blen;
			if (!traw_sp_recv(c, &body, &blen))
				break;
			free(body);
		}
		traw_sp_reset(c);
	}
	return opened;
}

static void burst_and_reset(void **state)
{
	(void)state;
	assert_serving();
	int base = tproc_fd_count(heduid);
	assert_true(base > 0);

	size_t hlen;
	Hedui__V1__HealthCheckRequest hreq =
	    HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	uint8_t hpay[16];
	size_t hplen = hedui__v1__health_check_request__pack(&hreq, hpay);
	uint8_t *health =
	    tenvelope("hedui.v1.Health/Check", "burst", hpay, hplen, &hlen);
	/* Small replies: many whole replies racing the reset. */
	int opened = burst_and_reset_round(300, 64, health, hlen, 1);
	assert_true(opened >= 290);
	/* Large replies (256 KiB, sent in many pieces): the reset lands in
	 * the middle of a partial send. */
	size_t elen;
	uint8_t *echo = echo_envelope(256 * 1024, &elen);
	opened = burst_and_reset_round(100, 8, echo, elen, 0);
	assert_true(opened >= 95);
	free(echo);
	free(health);

	/* Every connection must be closed and freed: a wedged reaper or a
	 * connection never closed keeps its descriptor. */
	int now = fds_settle(base + 2, 15000);
	printf("    descriptors: %d before, %d after 400 reset "
	       "connections\n",
	    base, now);
	assert_true(now <= base + 2);
	assert_serving();
	/* And heduid can still close a connection of its own (what its
	 * wedge watch probes). */
	rpc_client *fresh = tclient(port, "agency-1101");
	int serving;
	assert_int_equal(thealth(fresh, 5000, &serving), RPC_OK);
	rpc_client_free(fresh);
	assert_true(fds_settle(base + 2, 10000) <= base + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(burst_and_reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
