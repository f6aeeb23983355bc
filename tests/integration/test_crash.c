/* SPDX-License-Identifier: MIT */
/*
 * Crash safety: several client threads verify households against heduid
 * while it is killed with SIGKILL at a random moment; heduid restarts on
 * the same store, and every verdict a client had received must still be
 * retrievable with GetReport, byte for byte, with a valid signature.
 * Five rounds. The kill comes after a random number of answers (not after
 * a time), so the test means the same on a slow machine as on a fast one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agency_sig.h"
#include "audit_verify.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "report_sig.h"
#include "rpc_client.h"
#include "tconsent.h"
#include "tsupport.h"

#define METHOD "hedui.v1.Verifier/VerifyHousehold"
#define GET_METHOD "hedui.v1.Verifier/GetReport"
#define ROUNDS 5
#define THREADS 4
#define MAX_KEPT 4096

typedef struct kept {
	char report_id[48];
	uint8_t *saved; /* the answer as received, packed */
	size_t saved_len;
} kept;

static tproc *heduid, *sources[3];
static int port, src_ports[3];
static char store_path[512], urls[3][64], ids[2][IDNUM_LEN + 1];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static kept verdicts[MAX_KEPT];
static int n_kept;
static int round_no;
static atomic_int stop_flag;
static agency_signer *signer;

static tproc *start(void)
{
	const char *extra[] = {
	    "--bank", urls[0], "--tax", urls[1], "--property", urls[2], NULL};
	return theduid_start_store(&port, store_path, extra);
}

static int setup(void **state)
{
	(void)state;
	ttls_init();
	tidnum_330106(ids[0], "19800101", 61);
	tidnum_330106(ids[1], "19820202", 72);
	const char *fx = ttmp("crash-fixtures.json");
	FILE *f = fopen(fx, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	    "{\"persons\":[{\"id_number\":\"%s\",\"tax\":{"
	    "\"wage_income_fen\":600000}}]}\n",
	    ids[0]);
	fclose(f);
	if (!tsources_start(fx, sources, src_ports, NULL))
		return -1;
	for (int i = 0; i < 3; i++)
		snprintf(urls[i], sizeof urls[i], "%s", turl(src_ports[i]));
	snprintf(store_path, sizeof store_path, "%s", ttmp("crash.db"));
	char cert[512], key[512], err[256];
	snprintf(cert, sizeof cert, "%s", tcert("agency-330106.crt"));
	snprintf(key, sizeof key, "%s", tcert("agency-330106.key"));
	if ((signer = agency_signer_load(cert, key, err, sizeof err)) == NULL)
		return -1;
	if ((heduid = start()) == NULL)
		return -1;
	/* Once: the registry is in the store, kept across every kill. */
	const char *members[] = {ids[0], ids[1]};
	return tconsent_cover(
	           port, "agency-330106", "SQ-1", "330106", members, 2)
	           ? 0
	           : -1;
}

static int teardown(void **state)
{
	(void)state;
	tproc_stop(heduid);
	for (int i = 0; i < 3; i++)
		tproc_stop(sources[i]);
	agency_signer_free(signer);
	for (int i = 0; i < n_kept; i++)
		free(verdicts[i].saved);
	return 0;
}

static rpc_code verify_one(rpc_client *c, const char *request_id,
    Hedui__V1__VerifyHouseholdResponse **out)
{
	Hedui__V1__Household h = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member m[2], *mp[2];
	h.case_id = "330106-2026-CRASH";
	h.request_id = (char *)request_id;
	h.region_code = "330106";
	h.area = "urban";
	h.program = "dibao";
	h.as_of = "2026-11-01";
	h.members = mp;
	h.n_members = 2;
	for (int i = 0; i < 2; i++) {
		hedui__v1__member__init(&m[i]);
		m[i].id_number = ids[i];
		m[i].name = "测试";
		m[i].relation = i == 0 ? "applicant" : "spouse";
		m[i].consent_ref = "SQ-1";
		mp[i] = &m[i];
	}
	uint8_t body[4096];
	size_t len = hedui__v1__household__pack(&h, body);
	Hedui__V1__AgencyAuth auth;
	if (agency_signer_sign(signer, METHOD, request_id, "", body, len,
	        agency_sig_now_ms(), &auth) != HD_OK)
		return RPC_INTERNAL;
	Hedui__V1__VerifyHouseholdRequest req =
	    HEDUI__V1__VERIFY_HOUSEHOLD_REQUEST__INIT;
	req.household.data = body;
	req.household.len = len;
	req.auth = &auth;
	rpc_call_opts o = {.deadline_ms = 5000, .request_id = request_id};
	rpc_status st;
	ProtobufCMessage *resp = NULL;
	rpc_code code = rpc_client_call(c, METHOD, &req.base,
	    &hedui__v1__verify_household_response__descriptor, &resp, &o, &st);
	agency_auth_release(&auth);
	*out = (Hedui__V1__VerifyHouseholdResponse *)resp;
	return code;
}

static void *client_thread(void *arg)
{
	int t = (int)(intptr_t)arg;
	rpc_client *c = tclient(port, "agency-330106");
	if (c == NULL)
		return NULL;
	for (int i = 0; !atomic_load(&stop_flag); i++) {
		char rid[64];
		snprintf(rid, sizeof rid, "crash-%d-%d-%d-%d", (int)getpid(),
		    round_no, t, i);
		Hedui__V1__VerifyHouseholdResponse *r = NULL;
		if (verify_one(c, rid, &r) != RPC_OK || r == NULL ||
		    r->verdict == NULL) {
			if (r != NULL)
				protobuf_c_message_free_unpacked(
				    &r->base, NULL);
			usleep(20000);
			continue;
		}
		pthread_mutex_lock(&mu);
		if (n_kept < MAX_KEPT) {
			kept *k = &verdicts[n_kept];
			snprintf(k->report_id, sizeof k->report_id, "%s",
			    r->verdict->report_id);
			k->saved_len =
			    hedui__v1__verify_household_response__get_packed_size(
			        r);
			k->saved = malloc(k->saved_len);
			if (k->saved != NULL) {
				hedui__v1__verify_household_response__pack(
				    r, k->saved);
				n_kept++;
			}
		}
		pthread_mutex_unlock(&mu);
		protobuf_c_message_free_unpacked(&r->base, NULL);
	}
	rpc_client_free(c);
	return NULL;
}

static int kept_count(void)
{
	pthread_mutex_lock(&mu);
	int n = n_kept;
	pthread_mutex_unlock(&mu);
	return n;
}

/* Every verdict received so far, from the restarted service. */
static void check_all(rpc_client *c)
{
	char crt[512], err[256];
	snprintf(crt, sizeof crt, "%s", tcert("heduid.crt"));
	for (int i = 0; i < n_kept; i++) {
		kept *k = &verdicts[i];
		char rid[64];
		snprintf(rid, sizeof rid, "get-%d-%d-%d", (int)getpid(),
		    round_no, i);
		Hedui__V1__GetReportRequest req =
		    HEDUI__V1__GET_REPORT_REQUEST__INIT;
		Hedui__V1__AgencyAuth auth;
		req.report_id = k->report_id;
		assert_int_equal(
		    agency_signer_sign(signer, GET_METHOD, rid, "",
		        (const uint8_t *)k->report_id, strlen(k->report_id),
		        agency_sig_now_ms(), &auth),
		    HD_OK);
		req.auth = &auth;
		rpc_call_opts o = {.deadline_ms = 10000, .request_id = rid};
		rpc_status st;
		ProtobufCMessage *resp = NULL;
		rpc_code code = rpc_client_call(c, GET_METHOD, &req.base,
		    &hedui__v1__verify_household_response__descriptor, &resp,
		    &o, &st);
		agency_auth_release(&auth);
		if (code != RPC_OK)
			fail_msg("round %d: report %s received by a client is "
			         "gone: %s: %s",
			    round_no, k->report_id, rpc_code_name(code),
			    st.message);
		Hedui__V1__VerifyHouseholdResponse *r =
		    (Hedui__V1__VerifyHouseholdResponse *)resp;
		Hedui__V1__VerifyHouseholdResponse *was =
		    hedui__v1__verify_household_response__unpack(
		        NULL, k->saved_len, k->saved);
		assert_non_null(was);
		/* The same report, signature and proof as answered. */
		assert_int_equal(r->report.len, was->report.len);
		assert_memory_equal(
		    r->report.data, was->report.data, was->report.len);
		assert_int_equal(r->signature.len, was->signature.len);
		assert_memory_equal(r->signature.data, was->signature.data,
		    was->signature.len);
		assert_non_null(r->proof);
		assert_non_null(was->proof);
		assert_int_equal(r->proof->leaf_index, was->proof->leaf_index);
		assert_int_equal(r->proof->tree_size, was->proof->tree_size);
		assert_int_equal(
		    report_sig_verify_response(crt, NULL, r, err, sizeof err),
		    HD_OK);
		/* And what the client was given verifies too. */
		assert_int_equal(report_sig_verify_response(
		                     crt, NULL, was, err, sizeof err),
		    HD_OK);
		hedui__v1__verify_household_response__free_unpacked(was, NULL);
		protobuf_c_message_free_unpacked(resp, NULL);
	}
}

static void kill_under_load_loses_no_answered_verdict(void **state)
{
	(void)state;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	printf("seed %u\n", seed);
	srand(seed);
	for (round_no = 1; round_no <= ROUNDS; round_no++) {
		int before = kept_count();
		int want = before + 2 + rand() % 12;
		pthread_t th[THREADS];
		atomic_store(&stop_flag, 0);
		for (int t = 0; t < THREADS; t++)
			assert_int_equal(
			    pthread_create(&th[t], NULL, client_thread,
			        (void *)(intptr_t)t),
			    0);
		uint64_t t0 = tnow_ms();
		while (kept_count() < want && tnow_ms() - t0 < 60000)
			usleep(2000);
		usleep((useconds_t)(rand() % 20000));
		tproc_kill(heduid); /* SIGKILL, mid-flight */
		heduid = NULL;
		atomic_store(&stop_flag, 1);
		for (int t = 0; t < THREADS; t++)
			pthread_join(th[t], NULL);
		assert_true(kept_count() > before);

		heduid = start();
		assert_non_null(heduid);
		rpc_client *c = tclient(port, "agency-330106");
		assert_non_null(c);
		check_all(c);
		rpc_client_free(c);
		printf("round %d: %d verdicts received in all, every one "
		       "retrievable and verified after kill -9\n",
		    round_no, kept_count());
	}
	assert_int_equal(tproc_stop(heduid), 0);
	heduid = NULL;
	/* The audit trail survived the kills unbroken. */
	char kp[600], why[256];
	snprintf(kp, sizeof kp, "%s.audit-key", store_path);
	uint8_t key[64];
	FILE *f = fopen(kp, "rb");
	assert_non_null(f);
	size_t kl = fread(key, 1, sizeof key, f);
	fclose(f);
	int64_t n = 0;
	hd_err e =
	    audit_verify_store(store_path, key, kl, &n, why, sizeof why);
	if (e != HD_OK)
		fail_msg("audit chain: %s", why);
	assert_true(n >= n_kept);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kill_under_load_loses_no_answered_verdict),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
