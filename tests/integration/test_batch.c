/* SPDX-License-Identifier: MIT */
/*
 * Source batching end to end: households verified at the same time go to
 * each source in fewer requests than there are households (the sources'
 * logs count them), every household gets its own verdict, and a fault of
 * one household's person (a held tax lookup, an unavailable bank record, a
 * malformed property record) touches that household only. With
 * --source-batch-max 1 every household is a request of its own.
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
#include <unistd.h>

#include "agency_sig.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "rpc_client.h"
#include "tsupport.h"
#include "tconsent.h"
#include "tverify.h"

#define NHH 12
#define HANGS 9      /* tax holds this household's person */
#define BANK_DOWN 10 /* bank answers UNAVAILABLE for its person */
#define PROP_BAD 11  /* property answers a negative amount */
#define DEADLINE_MS 4000

static char ids[NHH][IDNUM_LEN + 1];
static char fixtures[512];
static agency_signer *signer;

static int setup(void **state)
{
	(void)state;
	ttls_init();
	snprintf(fixtures, sizeof fixtures, "%s", ttmp("batch.json"));
	FILE *f = fopen(fixtures, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "{\"persons\":[\n");
	for (int i = 0; i < NHH; i++) {
		snprintf(ids[i], sizeof ids[i], "33010619800101%03d", 100 + i);
		ids[i][17] = idnum_check_char(ids[i]);
		ids[i][18] = '\0';
		const char *fault =
		    i == HANGS       ? ",\"faults\":{\"tax\":"
		                       "\"timeout\"}"
		    : i == BANK_DOWN ? ",\"bank\":{\"accounts\":"
		                       "[]},\"faults\":{\"bank\":"
		                       "\"unavailable\"}"
		    : i == PROP_BAD  ? ",\"property\":{"
		                       "\"real_estate\":[]},"
		                       "\"faults\":{\"property\":"
		                       "\"malformed\"}"
		                     : "";
		fprintf(f,
		    "%s{\"id_number\":\"%s\",\"tax\":{\"wage_income_fen\":"
		    "600000}%s}\n",
		    i ? "," : "", ids[i], fault);
	}
	fprintf(f, "]}\n");
	fclose(f);
	char err[128], cert[512], key[512];
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

typedef struct call {
	rpc_client *client;
	int who;
	pthread_barrier_t *go;
	rpc_code code;
	uint64_t took_ms;
	char conclusion[32];
	char status[3][16]; /* bank, tax, property */
} call;

static void *verify_one(void *arg)
{
	call *c = arg;
	Hedui__V1__Household hh = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member m = HEDUI__V1__MEMBER__INIT;
	Hedui__V1__Member *mp[1] = {&m};
	char case_id[40];
	snprintf(case_id, sizeof case_id, "330106-2026-%d", c->who);
	hh.case_id = case_id;
	hh.region_code = "330106";
	hh.area = "urban";
	hh.program = "dibao";
	hh.members = mp;
	hh.n_members = 1;
	m.id_number = ids[c->who];
	m.relation = "applicant";
	m.consent_ref = "SQ-7";
	uint8_t body[512];
	size_t len = hedui__v1__household__pack(&hh, body);
	char rid[40];
	snprintf(rid, sizeof rid, "batch-%u-%d", (unsigned)getpid(), c->who);
	Hedui__V1__VerifyHouseholdResponse *resp;
	rpc_status st;
	rpc_call_opts o = {.deadline_ms = DEADLINE_MS, .request_id = rid};
	pthread_barrier_wait(c->go);
	uint64_t t0 = tnow_ms();
	c->code = tverify_signed(c->client, signer, body, len, &o, &resp, &st);
	c->took_ms = tnow_ms() - t0;
	if (c->code == RPC_OK) {
		Hedui__V1__Verdict *v = resp->verdict;
		snprintf(
		    c->conclusion, sizeof c->conclusion, "%s", v->conclusion);
		for (size_t i = 0; i < v->n_sources && i < 3; i++)
			snprintf(c->status[i], sizeof c->status[i], "%s",
			    v->sources[i]->status);
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	}
	return NULL;
}

/* The requests a source's log records, and the households they held. */
static void count_requests(
    const char *log, int *requests, int *households, int *largest)
{
	*requests = *households = *largest = 0;
	FILE *f = fopen(log, "r");
	assert_non_null(f);
	char line[2048];
	while (fgets(line, sizeof line, f) != NULL) {
		const char *p = strstr(line, " households=");
		if (strstr(line, "source.lookup") == NULL || p == NULL)
			continue;
		int n = atoi(p + strlen(" households="));
		(*requests)++;
		*households += n;
		if (n > *largest)
			*largest = n;
	}
	fclose(f);
}

static void stack_start(tstack *s, const char *batch_max)
{
	/* Slow sources keep a request out while the others arrive. */
	static const char *const slow[] = {"--latency-ms", "300", NULL};
	assert_true(tsources_start(fixtures, s->src, s->ports, slow));
	const char *extra[] = {"--source-batch-max", batch_max, NULL};
	assert_true(tstack_start_heduid(s, extra));
	/* Each household's member consented (consent SQ-7). */
	const char *members[NHH];
	for (int i = 0; i < NHH; i++)
		members[i] = ids[i];
	assert_true(tconsent_cover(
	    s->port, "agency-330106", "SQ-7", "330106", members, NHH));
}

static void run_all(tstack *s, call calls[NHH])
{
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, NHH);
	pthread_t th[NHH];
	for (int i = 0; i < NHH; i++) {
		calls[i] = (call){.client = s->client, .who = i, .go = &go};
		pthread_create(&th[i], NULL, verify_one, &calls[i]);
	}
	for (int i = 0; i < NHH; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
}

static void batched_households_and_their_faults(void **state)
{
	(void)state;
	tstack s = {0};
	stack_start(&s, "32");
	call calls[NHH];
	run_all(&s, calls);
	for (int i = 0; i < NHH; i++) {
		call *c = &calls[i];
		assert_int_equal(c->code, RPC_OK);
		assert_true(c->took_ms < DEADLINE_MS);
		if (i == HANGS || i == BANK_DOWN || i == PROP_BAD) {
			int failed = i == BANK_DOWN ? 0 : i == HANGS ? 1 : 2;
			assert_string_equal(c->conclusion, "needs_review");
			for (int k = 0; k < 3; k++)
				assert_string_equal(c->status[k],
				    k == failed ? "failed" : "ok");
			continue;
		}
		/* Not held up by the held household: answered with the
		 * sources' latency, far inside the deadline. */
		assert_string_equal(c->conclusion, "meets");
		for (int k = 0; k < 3; k++)
			assert_string_equal(c->status[k], "ok");
		assert_true(c->took_ms < DEADLINE_MS / 2);
	}
	for (int k = 0; k < 3; k++) {
		int requests, households, largest;
		count_requests(
		    tproc_log(s.src[k]), &requests, &households, &largest);
		fprintf(stderr,
		    "source %d: %d requests for %d households, "
		    "largest %d\n",
		    k, requests, households, largest);
		assert_int_equal(households, NHH);
		assert_true(requests < NHH);
		assert_true(largest >= 2);
	}
	assert_int_equal(tstack_stop(&s), 0);
}

static void batching_off(void **state)
{
	(void)state;
	tstack s = {0};
	stack_start(&s, "1");
	call calls[NHH];
	run_all(&s, calls);
	for (int i = 0; i < NHH; i++) {
		assert_int_equal(calls[i].code, RPC_OK);
		assert_string_equal(calls[i].conclusion,
		    i == HANGS || i == BANK_DOWN || i == PROP_BAD
		        ? "needs_review"
		        : "meets");
	}
	int requests, households, largest;
	count_requests(tproc_log(s.src[0]), &requests, &households, &largest);
	assert_int_equal(requests, NHH);
	assert_int_equal(largest, 1);
	assert_int_equal(tstack_stop(&s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(batched_households_and_their_faults),
	    cmocka_unit_test(batching_off),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
