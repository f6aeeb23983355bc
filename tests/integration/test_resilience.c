/* SPDX-License-Identifier: MIT */
/*
 * Failing sources, overload and shutdown, with real processes: a source
 * killed and restarted, hung, slow beyond the deadline, or answering
 * garbage; twice the in-flight capacity offered; SIGTERM with work in
 * flight. Verdicts must come back on time with the right outcome.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "agency_sig.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "rpc_client.h"
#include "tls_setup.h"
#include "tsupport.h"
#include "tconsent.h"
#include "tverify.h"

static char person[IDNUM_LEN + 1];
static char fixtures[512];
static agency_signer *signer;

static int setup(void **state)
{
	(void)state;
	ttls_init();
	snprintf(person, sizeof person, "33010619800101123");
	person[17] = idnum_check_char(person);
	person[18] = '\0';
	snprintf(fixtures, sizeof fixtures, "%s", ttmp("resilience.json"));
	FILE *f = fopen(fixtures, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	    "{\"persons\":[{\"id_number\":\"%s\",\"tax\":"
	    "{\"wage_income_fen\":600000}}]}\n",
	    person);
	fclose(f);
	char err[128];
	char cert[512], key[512];
	snprintf(cert, sizeof cert, "%s", tcert("agency-330106.crt"));
	snprintf(key, sizeof key, "%s", tcert("agency-330106.key"));
	signer = agency_signer_load(cert, key, err, sizeof err);
	return signer != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	agency_signer_free(signer);
	return 0;
}

/* A signed one-member verification; the verdict's conclusion and the
 * status of source src are written out. */
static rpc_code verify(rpc_client *c, uint32_t deadline_ms, char *conclusion,
    int src, char *src_status)
{
	Hedui__V1__Household hh = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member m = HEDUI__V1__MEMBER__INIT;
	Hedui__V1__Member *mp[1] = {&m};
	hh.case_id = "330106-2026-7";
	hh.region_code = "330106";
	hh.area = "urban";
	hh.program = "dibao";
	hh.members = mp;
	hh.n_members = 1;
	m.id_number = person;
	m.relation = "applicant";
	m.consent_ref = "SQ-7";
	uint8_t body[512];
	size_t len = hedui__v1__household__pack(&hh, body);
	static unsigned seq;
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	char rid[40];
	pthread_mutex_lock(&mu);
	snprintf(rid, sizeof rid, "res-%u-%u", (unsigned)getpid(), ++seq);
	pthread_mutex_unlock(&mu);
	Hedui__V1__VerifyHouseholdResponse *resp;
	rpc_status st;
	rpc_call_opts o = {.deadline_ms = deadline_ms, .request_id = rid};
	rpc_code code = tverify_signed(c, signer, body, len, &o, &resp, &st);
	assert_int_not_equal(code, RPC_INTERNAL);
	if (code == RPC_OK) {
		Hedui__V1__Verdict *v = resp->verdict;
		if (conclusion != NULL)
			strcpy(conclusion, v->conclusion);
		if (src_status != NULL)
			strcpy(src_status, v->sources[src]->status);
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	}
	return code;
}

static void stack_start(tstack *s, const char *const src_extra[3][8],
    const char *const heduid_extra[])
{
	for (int i = 0; i < 3; i++) {
		s->ports[i] = tport_free();
		if (src_extra == NULL || src_extra[i][0] == NULL ||
		    strcmp(src_extra[i][0], "none") != 0) {
			s->src[i] = tsource_spawn(i, fixtures, s->ports[i],
			    src_extra != NULL ? src_extra[i] : NULL);
			assert_non_null(s->src[i]);
		}
	}
	assert_true(tstack_start_heduid(s, heduid_extra));
	const char *members[] = {person};
	assert_true(tconsent_cover(
	    s->port, "agency-330106", "SQ-7", "330106", members, 1));
}

static void source_killed_and_restarted(void **state)
{
	(void)state;
	tstack s = {0};
	stack_start(&s, NULL, NULL);
	char concl[32], bank[16];
	assert_int_equal(verify(s.client, 3000, concl, 0, bank), RPC_OK);
	assert_string_equal(concl, "meets");
	tproc_kill(s.src[0]);
	s.src[0] = NULL;
	uint64_t t0 = tnow_ms();
	assert_int_equal(verify(s.client, 2000, concl, 0, bank), RPC_OK);
	assert_true(tnow_ms() - t0 < 2000);
	assert_string_equal(concl, "needs_review");
	assert_string_equal(bank, "failed");
	/* Back on the same port: verdicts recover. */
	s.src[0] = tsource_spawn(0, fixtures, s.ports[0], NULL);
	assert_non_null(s.src[0]);
	bool recovered = false;
	for (int i = 0; i < 20 && !recovered; i++) {
		assert_int_equal(
		    verify(s.client, 3000, concl, 0, bank), RPC_OK);
		recovered = strcmp(concl, "meets") == 0;
		if (!recovered)
			usleep(200000);
	}
	assert_true(recovered);
	assert_int_equal(tstack_stop(&s), 0);
}

static void hung_and_slow_sources(void **state)
{
	(void)state;
	static const char *const src_extra[3][8] = {
	    {"--hang", NULL},
	    {"--latency-ms", "5000", NULL},
	    {NULL},
	};
	tstack s = {0};
	stack_start(&s, src_extra, NULL);
	char concl[32], st[16];
	for (int src = 0; src < 2; src++) {
		uint64_t t0 = tnow_ms();
		assert_int_equal(
		    verify(s.client, 1500, concl, src, st), RPC_OK);
		assert_true(tnow_ms() - t0 < 1500);
		assert_string_equal(concl, "needs_review");
		assert_string_equal(st, "failed");
	}
	assert_int_equal(tstack_stop(&s), 0);
}

/* A "source" that answers every request with bytes that are no reply. */
static void *garbage_server(void *arg)
{
	nng_socket sock = *(nng_socket *)arg;
	for (;;) {
		nng_msg *m;
		if (nng_recvmsg(sock, &m, 0) != 0)
			return NULL;
		nng_msg_clear(m);
		nng_msg_append(m, "\xff\xff\xff\xff garbage", 12);
		if (nng_sendmsg(sock, m, 0) != 0)
			nng_msg_free(m);
	}
}

static void garbage_answering_source(void **state)
{
	(void)state;
	static const char *const src_extra[3][8] = {
	    {NULL},
	    {NULL},
	    {"none"},
	};
	tstack s = {0};
	/* Property is ours: a REP socket with the property certificate,
	 * answering heduid's source-plane identity. */
	int prop_port = tport_free();
	nng_socket sock;
	nng_listener l;
	nng_tls_config *cfg;
	char ca[512], cert[512], key[512];
	snprintf(ca, sizeof ca, "%s", tcert("source-ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("source-property.crt"));
	snprintf(key, sizeof key, "%s", tcert("source-property.key"));
	tls_opts o = {.ca_file = ca, .cert_file = cert, .key_file = key};
	assert_int_equal(
	    tls_setup_config(NNG_TLS_MODE_SERVER, &o, &cfg), HD_OK);
	assert_int_equal(nng_rep0_open(&sock), 0);
	assert_int_equal(nng_listener_create(&l, sock, turl(prop_port)), 0);
	assert_int_equal(nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg), 0);
	assert_int_equal(nng_listener_start(l, 0), 0);
	pthread_t th;
	pthread_create(&th, NULL, garbage_server, &sock);
	stack_start(&s, src_extra, NULL);
	/* stack_start picked a port for property; point heduid at ours. */
	tproc_stop(s.heduid);
	rpc_client_free(s.client);
	char urls[3][64];
	snprintf(urls[0], 64, "%s", turl(s.ports[0]));
	snprintf(urls[1], 64, "%s", turl(s.ports[1]));
	snprintf(urls[2], 64, "%s", turl(prop_port));
	const char *extra[] = {
	    "--bank", urls[0], "--tax", urls[1], "--property", urls[2], NULL};
	s.heduid = theduid_start(&s.port, extra);
	assert_non_null(s.heduid);
	const char *members[] = {person};
	assert_true(tconsent_cover(
	    s.port, "agency-330106", "SQ-7", "330106", members, 1));
	s.client = tclient(s.port, "agency-330106");
	char concl[32], st[16];
	assert_int_equal(verify(s.client, 3000, concl, 2, st), RPC_OK);
	assert_string_equal(concl, "needs_review");
	assert_string_equal(st, "failed");
	assert_int_equal(tstack_stop(&s), 0);
	nng_close(sock);
	pthread_join(th, NULL);
	nng_tls_config_free(cfg);
}

typedef struct load {
	rpc_client *client;
	uint64_t until;
	pthread_mutex_t mu;
	int ok, exhausted, other;
	uint64_t exhausted_total_ms, ok_min_ms;
} load;

static void *load_worker(void *arg)
{
	load *ld = arg;
	while (tnow_ms() < ld->until) {
		uint64_t t0 = tnow_ms();
		rpc_code code = verify(ld->client, 5000, NULL, 0, NULL);
		uint64_t took = tnow_ms() - t0;
		pthread_mutex_lock(&ld->mu);
		if (code == RPC_OK) {
			ld->ok++;
			if (ld->ok_min_ms == 0 || took < ld->ok_min_ms)
				ld->ok_min_ms = took;
		} else if (code == RPC_RESOURCE_EXHAUSTED) {
			ld->exhausted++;
			ld->exhausted_total_ms += took;
		} else {
			ld->other++;
		}
		pthread_mutex_unlock(&ld->mu);
		if (code == RPC_RESOURCE_EXHAUSTED)
			usleep(5000); /* a polite client backs off a little */
	}
	return NULL;
}

static void overload_twice_capacity(void **state)
{
	(void)state;
	enum { CAPACITY = 8, WORKERS = 2 * CAPACITY };
	static const char *const src_extra[3][8] = {
	    {"--latency-ms", "100", NULL},
	    {"--latency-ms", "100", NULL},
	    {"--latency-ms", "100", NULL},
	};
	static const char *const extra[] = {"--max-inflight", "8", NULL};
	tstack s = {0};
	stack_start(&s, src_extra, extra);
	load ld = {.client = s.client,
	    .until = tnow_ms() + 3000,
	    .mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t th[WORKERS];
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&th[i], NULL, load_worker, &ld);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);
	/* Accepted work completes; the excess is refused without waiting
	 * for the work ahead of it (a refusal takes less, on average, than
	 * the fastest accepted call, which waits 100 ms for its sources). */
	assert_true(ld.ok > 0);
	assert_true(ld.exhausted > 0);
	assert_int_equal(ld.other, 0);
	uint64_t avg_refusal = ld.exhausted_total_ms / (uint64_t)ld.exhausted;
	assert_true(avg_refusal < ld.ok_min_ms);
	long rss = tproc_peak_rss_kib(s.heduid);
	assert_true(rss > 0 && rss < 128 * 1024);
	fprintf(stderr,
	    "overload: ok=%d exhausted=%d avg_refusal_ms=%llu "
	    "min_ok_ms=%llu heduid_peak_rss_kib=%ld\n",
	    ld.ok, ld.exhausted, (unsigned long long)avg_refusal,
	    (unsigned long long)ld.ok_min_ms, rss);
	assert_int_equal(tstack_stop(&s), 0);
}

typedef struct inflight_call {
	rpc_client *client;
	rpc_code code;
	char conclusion[32];
} inflight_call;

static void *inflight_worker(void *arg)
{
	inflight_call *ic = arg;
	ic->code = verify(ic->client, 5000, ic->conclusion, 0, NULL);
	return NULL;
}

static void graceful_shutdown(void **state)
{
	(void)state;
	enum { N = 6 };
	static const char *const src_extra[3][8] = {
	    {"--latency-ms", "700", NULL},
	    {NULL},
	    {NULL},
	};
	tstack s = {0};
	stack_start(&s, src_extra, NULL);
	inflight_call calls[N];
	pthread_t th[N];
	for (int i = 0; i < N; i++) {
		calls[i] = (inflight_call){.client = s.client};
		pthread_create(&th[i], NULL, inflight_worker, &calls[i]);
	}
	usleep(300000); /* all are now waiting for the bank */
	tproc_signal(s.heduid, SIGTERM);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	/* Work in flight finishes with its verdict; then a clean exit. */
	for (int i = 0; i < N; i++) {
		assert_int_equal(calls[i].code, RPC_OK);
		assert_string_equal(calls[i].conclusion, "meets");
	}
	assert_int_equal(tproc_wait(s.heduid, 10000), 0);
	assert_true(tproc_log_contains(s.heduid, "event=heduid.stop"));
	assert_int_equal(tstack_stop(&s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(source_killed_and_restarted),
	    cmocka_unit_test(hung_and_slow_sources),
	    cmocka_unit_test(garbage_answering_source),
	    cmocka_unit_test(overload_twice_capacity),
	    cmocka_unit_test(graceful_shutdown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
