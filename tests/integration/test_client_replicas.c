/* SPDX-License-Identifier: MIT */
/*
 * Clients that know several replicas (--server a,b; rpc_client_opts.url
 * "a,b"): two heduid processes in front of the same sources, each on a
 * store of its own here (one PostgreSQL shared by replicas is
 * docs/DEPLOY.md's layout; what is tested here is the client's side).
 *
 *  - calls spread over the replicas that are up (each one's /metrics
 *    counts some of them);
 *  - with one replica killed (kill -9), calls go on through the other;
 *  - `hedui --server A,B verify` gives a verdict while A is down, and
 *    again once A is back, with B down; and when the replica holding
 *    its call dies, it asks the other, signed afresh, same request id;
 *  - heduid's own fan-out takes several addresses per source
 *    (--bank a,b): with one bank source killed, verdicts still have
 *    the bank's facts.
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

#include "tconsent.h"
#include "tsource.h"
#include "tsupport.h"

#define PERSON "11010519491231002X" /* in tests/fixtures/households.json */

static tproc *src[4]; /* bank, tax, property, and a second bank */
static int src_ports[4];
static tproc *rep[2];
static int ports[2], mports[2];
static char stores[2][512], servers[160], household[512];

static void start_replica(int i)
{
	char bank[140], tax[64], prop[64], murl[64];
	snprintf(bank, sizeof bank, "%s,", turl(src_ports[0]));
	snprintf(bank + strlen(bank), sizeof bank - strlen(bank), "%s",
	    turl(src_ports[3]));
	snprintf(tax, sizeof tax, "%s", turl(src_ports[1]));
	snprintf(prop, sizeof prop, "%s", turl(src_ports[2]));
	snprintf(murl, sizeof murl, "http://127.0.0.1:%d", mports[i]);
	const char *extra[] = {"--bank", bank, "--tax", tax, "--property",
	    prop, "--metrics", murl, NULL};
	rep[i] = theduid_start_at(ports[i], stores[i], extra);
	assert_non_null(rep[i]);
}

static int setup(void **state)
{
	(void)state;
	ttls_init();
	const char *kinds[4] = {"bank", "tax", "property", "bank"};
	for (int k = 0; k < 4; k++) {
		src[k] = tsource_start(kinds[k], "--fixtures",
		    tsource_fixtures(), NULL, &src_ports[k]);
		if (src[k] == NULL)
			return -1;
	}
	for (int i = 0; i < 2; i++) {
		ports[i] = tport_free();
		mports[i] = tport_free();
		snprintf(stores[i], sizeof stores[i], "%s",
		    ttmp(i == 0 ? "replica-a.db" : "replica-b.db"));
		start_replica(i);
		/* Each replica has its own store here: the consent is
		 * registered with both. */
		const char *ids[] = {PERSON};
		if (!tconsent_cover(ports[i], "agency-1101", "SQ-REPLICAS-1",
		        "110105", ids, 1))
			return -1;
	}
	snprintf(servers, sizeof servers, "%s,", turl(ports[0]));
	snprintf(servers + strlen(servers), sizeof servers - strlen(servers),
	    "%s", turl(ports[1]));
	snprintf(household, sizeof household, "%s", ttmp("replicas-hh.json"));
	FILE *f = fopen(household, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	    "{\"case_id\":\"110105-2026-000009\",\"region_code\":\"110105\","
	    "\"area\":\"urban\",\"program\":\"dibao\",\"members\":[{"
	    "\"id_number\":\"%s\",\"name\":\"张三\",\"relation\":"
	    "\"applicant\",\"consent_ref\":\"SQ-REPLICAS-1\"}]}\n",
	    PERSON);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++)
		tproc_stop(rep[i]);
	for (int k = 0; k < 4; k++)
		tproc_stop(src[k]);
	return 0;
}

static rpc_client *client_of_both(void)
{
	char cert[512], key[512], ca[512];
	snprintf(cert, sizeof cert, "%s", tcert("agency-1101.crt"));
	snprintf(key, sizeof key, "%s", tcert("agency-1101.key"));
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	rpc_client_opts o = {.url = servers,
	    .tls = {.ca_file = ca, .cert_file = cert, .key_file = key}};
	return rpc_client_alloc(&o);
}

/* Health/Check calls a replica answered, from its /metrics. */
static long health_calls(int i)
{
	char cmd[200];
	snprintf(cmd, sizeof cmd,
	    "curl -sS --max-time 10 http://127.0.0.1:%d/metrics | sed -n "
	    "'s/^hedui_rpc_calls_total{method=\"hedui.v1.Health\\/Check\","
	    "code=\"OK\"} //p'",
	    mports[i]);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	long n = 0;
	if (fscanf(p, "%ld", &n) != 1)
		n = 0;
	pclose(p);
	return n;
}

static void calls_spread_and_survive_a_kill(void **state)
{
	(void)state;
	rpc_client *c = client_of_both();
	assert_non_null(c);
	long before[2] = {health_calls(0), health_calls(1)};
	int serving;
	/* Both connected first: then each call takes the next one up. */
	for (int i = 0; i < 50 && (health_calls(0) == before[0] ||
	                              health_calls(1) == before[1]);
	     i++)
		assert_int_equal(thealth(c, 5000, &serving), RPC_OK);
	assert_true(health_calls(0) > before[0]);
	assert_true(health_calls(1) > before[1]);

	tproc_kill(rep[0]);
	rep[0] = NULL;
	/* A call on the connection that just died may fail once; then
	 * every call goes to the replica that is up. */
	int ok = 0;
	for (int i = 0; i < 20; i++)
		ok += thealth(c, 5000, &serving) == RPC_OK;
	assert_true(ok >= 19);
	rpc_client_free(c);
	start_replica(0);
}

static int cli_verify(void)
{
	char ca[512], cert[512], key[512];
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("agency-1101.crt"));
	snprintf(key, sizeof key, "%s", tcert("agency-1101.key"));
	char *argv[] = {(char *)tbin("hedui"), "--server", servers, "--ca",
	    ca, "--cert", cert, "--key", key, "--deadline", "8000", "--json",
	    "verify", household, NULL};
	tproc *p = tproc_start("hedui-verify", argv);
	assert_non_null(p);
	int st = tproc_wait(p, 60000);
	if (st != 0)
		print_error("hedui exited %d (log %s)\n", st, tproc_log(p));
	/* The bank's facts arrived: no source gap in the verdict. */
	bool gap = tproc_log_contains(p, "SOURCE_UNAVAILABLE");
	tproc_stop(p);
	return st != 0 ? st : gap ? 99 : 0;
}

static void cli_with_one_replica_down(void **state)
{
	(void)state;
	assert_int_equal(cli_verify(), 0);
	tproc_kill(rep[0]);
	rep[0] = NULL;
	assert_int_equal(cli_verify(), 0);
	start_replica(0);
	tproc_kill(rep[1]);
	rep[1] = NULL;
	assert_int_equal(cli_verify(), 0);
	start_replica(1);
}

/*
 * The replica dies while it holds the CLI's call (its bank source never
 * answers): `hedui verify` asks the other replica, signed afresh under
 * the same request id, and prints the verdict; without the retry it
 * would exit 4.
 */
static void verify_asks_another_replica(void **state)
{
	(void)state;
	int hang_port, xport = tport_free();
	const char *hang[] = {"--hang", NULL};
	tproc *hanging = tsource_start(
	    "bank", "--fixtures", tsource_fixtures(), hang, &hang_port);
	assert_non_null(hanging);
	char bank[64], tax[64], prop[64], store[512];
	snprintf(bank, sizeof bank, "%s", turl(hang_port));
	snprintf(tax, sizeof tax, "%s", turl(src_ports[1]));
	snprintf(prop, sizeof prop, "%s", turl(src_ports[2]));
	snprintf(store, sizeof store, "%s", ttmp("replica-x.db"));
	const char *extra[] = {
	    "--bank", bank, "--tax", tax, "--property", prop, NULL};
	tproc *x = theduid_start_at(xport, store, extra);
	assert_non_null(x);
	const char *ids[] = {PERSON};
	assert_true(tconsent_cover(
	    xport, "agency-1101", "SQ-REPLICAS-1", "110105", ids, 1));
	/* B is down when the CLI starts: its call can only go to X. */
	tproc_stop(rep[1]);
	rep[1] = NULL;
	char two[160], ca[512], cert[512], key[512];
	snprintf(two, sizeof two, "%s,", turl(xport));
	snprintf(two + strlen(two), sizeof two - strlen(two), "%s",
	    turl(ports[1]));
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("agency-1101.crt"));
	snprintf(key, sizeof key, "%s", tcert("agency-1101.key"));
	char *argv[] = {(char *)tbin("hedui"), "--server", two, "--ca", ca,
	    "--cert", cert, "--key", key, "--deadline", "20000", "--json",
	    "verify", household, NULL};
	tproc *p = tproc_start("hedui-verify", argv);
	assert_non_null(p);
	/* The call reaches X and waits on the bank that never answers. */
	usleep(1500 * 1000);
	start_replica(1);
	tproc_kill(x);
	int st = tproc_wait(p, 30000);
	if (st != 0)
		print_error("hedui exited %d (log %s)\n", st, tproc_log(p));
	assert_int_equal(st, 0);
	assert_true(tproc_log_contains(p, "asking another replica"));
	assert_true(tproc_log_contains(p, "\"report_id\""));
	tproc_stop(p);
	tproc_stop(hanging);
}

static void fanout_with_one_bank_down(void **state)
{
	(void)state;
	tproc_kill(src[0]);
	src[0] = NULL;
	/* Several verifications: each bank lookup goes to the bank that
	 * is up, so none lacks the bank's facts. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(cli_verify(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(calls_spread_and_survive_a_kill),
	    cmocka_unit_test(cli_with_one_replica_down),
	    cmocka_unit_test(verify_asks_another_replica),
	    cmocka_unit_test(fanout_with_one_bank_down),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
