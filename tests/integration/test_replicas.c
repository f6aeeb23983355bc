/* SPDX-License-Identifier: MIT */
/*
 * Two heduid replicas on one PostgreSQL database (tests/support/tpg.h):
 *
 * - under load from client threads that use both, one replica is killed
 *   with SIGKILL; a call that fails on one is sent again to the other
 *   with the same request_id (signed again: a signature is good once).
 *   Calls carry on through the other replica; every verdict a client
 *   received is in the store, byte for byte, and verifies; each
 *   request_id has the one report its client was given; the audit trail,
 *   written by both, is one chain that verifies (also with `hedui audit
 *   verify --store postgresql://...`); the killed replica serves again
 *   once restarted.
 * - a signed request sent to one replica and then, the same bytes, to
 *   the other is refused by the other as a replay.
 * - the database stopped under load: both replicas NOT_SERVING while it
 *   is away, serving again when it is back, nothing answered lost.
 * - statistics and retention on PostgreSQL: both replicas give the same
 *   counts, one per report in the database; a replica restarted with
 *   retention_days purges an old report, which both then answer
 *   FAILED_PRECONDITION, and the chain still verifies.
 *
 * The kill comes after a number of answers, not after a time.
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

#include <openssl/rand.h>

#include "agency_sig.h"
#include "audit_verify.h"
#include "hedui/v1/verifier.pb-c.h"
#include "consent_form.h"
#include "idnum.h"
#include "report_sig.h"
#include "rpc_client.h"
#include "tagency.h"
#include "tconsent.h"
#include "tpg.h"
#include "tsupport.h"

#define METHOD "hedui.v1.Verifier/VerifyHousehold"
#define GET_METHOD "hedui.v1.Verifier/GetReport"
#define THREADS 4
#define MAX_KEPT 4096

typedef struct kept {
	char request_id[64];
	char report_id[48];
	uint8_t *saved; /* the answer as received, packed */
	size_t saved_len;
} kept;

static tproc *replica[2], *sources[3];
static int ports[2], src_ports[3];
static char db_url[200], key_path[512], urls[3][64];
static char ids[2][IDNUM_LEN + 1];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static kept verdicts[MAX_KEPT];
static int n_kept, n_after_kill;
static atomic_int stop_flag;
static volatile int killed = -1;
static agency_signer *signer;

/* Replica i; retention: days, or NULL for none. */
static tproc *start_keeping(int i, const char *retention)
{
	const char *extra[] = {"--audit-key", key_path, "--bank", urls[0],
	    "--tax", urls[1], "--property", urls[2],
	    retention != NULL ? "--retention-days" : NULL, retention, NULL};
	return theduid_start_store(&ports[i], db_url, extra);
}

static tproc *start(int i)
{
	return start_keeping(i, NULL);
}

static int setup(void **state)
{
	(void)state;
	ttls_init();
	tidnum_330106(ids[0], "19800101", 61);
	tidnum_330106(ids[1], "19820202", 72);
	const char *url = tpg_db("replicas");
	if (url == NULL)
		return -1;
	snprintf(db_url, sizeof db_url, "%s", url);
	/* One audit key for both: one chain. */
	snprintf(key_path, sizeof key_path, "%s", ttmp("replicas.audit-key"));
	uint8_t key[32];
	FILE *kf = fopen(key_path, "wb");
	if (kf == NULL || RAND_bytes(key, sizeof key) != 1 ||
	    fwrite(key, 1, sizeof key, kf) != sizeof key) {
		if (kf != NULL)
			fclose(kf);
		return -1;
	}
	fclose(kf);
	const char *fx = ttmp("replicas-fixtures.json");
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
	char cert[512], kp[512], err[256];
	snprintf(cert, sizeof cert, "%s", tcert("agency-330106.crt"));
	snprintf(kp, sizeof kp, "%s", tcert("agency-330106.key"));
	if ((signer = agency_signer_load(cert, kp, err, sizeof err)) == NULL)
		return -1;
	if ((replica[0] = start(0)) == NULL || (replica[1] = start(1)) == NULL)
		return -1;
	/* Registered through one, in the database of both. */
	const char *members[] = {ids[0], ids[1]};
	return tconsent_cover(
	           ports[0], "agency-330106", "SQ-R", "330106", members, 2)
	           ? 0
	           : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++)
		tproc_stop(replica[i]);
	for (int i = 0; i < 3; i++)
		tproc_stop(sources[i]);
	agency_signer_free(signer);
	for (int i = 0; i < n_kept; i++)
		free(verdicts[i].saved);
	return 0;
}

/* A household request signed now, as an agency's system sends it. */
typedef struct signed_req {
	uint8_t body[4096];
	Hedui__V1__AgencyAuth auth;
	Hedui__V1__VerifyHouseholdRequest req;
} signed_req;

static bool sign_req(signed_req *s, const char *request_id)
{
	Hedui__V1__Household h = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member m[2], *mp[2];
	h.case_id = "330106-2026-REPL";
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
		m[i].consent_ref = "SQ-R";
		mp[i] = &m[i];
	}
	size_t len = hedui__v1__household__pack(&h, s->body);
	if (agency_signer_sign(signer, METHOD, request_id, "", s->body, len,
	        agency_sig_now_ms(), &s->auth) != HD_OK)
		return false;
	hedui__v1__verify_household_request__init(&s->req);
	s->req.household.data = s->body;
	s->req.household.len = len;
	s->req.auth = &s->auth;
	return true;
}

static rpc_code send_req(rpc_client *c, signed_req *s, const char *rid,
    Hedui__V1__VerifyHouseholdResponse **out, rpc_status *st)
{
	rpc_call_opts o = {.deadline_ms = 5000, .request_id = rid};
	ProtobufCMessage *resp = NULL;
	rpc_code code = rpc_client_call(c, METHOD, &s->req.base,
	    &hedui__v1__verify_household_response__descriptor, &resp, &o, st);
	*out = (Hedui__V1__VerifyHouseholdResponse *)resp;
	return code;
}

/* Signed afresh for each attempt: the first one may have reached the
 * replica that died, which took its signature. */
static rpc_code verify_on(
    rpc_client *c, const char *rid, Hedui__V1__VerifyHouseholdResponse **out)
{
	signed_req s;
	rpc_status st;
	*out = NULL;
	if (!sign_req(&s, rid))
		return RPC_INTERNAL;
	rpc_code code = send_req(c, &s, rid, out, &st);
	agency_auth_release(&s.auth);
	return code;
}

static void keep(const char *rid, Hedui__V1__VerifyHouseholdResponse *r)
{
	pthread_mutex_lock(&mu);
	if (n_kept < MAX_KEPT) {
		kept *k = &verdicts[n_kept];
		snprintf(k->request_id, sizeof k->request_id, "%s", rid);
		snprintf(k->report_id, sizeof k->report_id, "%s",
		    r->verdict->report_id);
		k->saved_len =
		    hedui__v1__verify_household_response__get_packed_size(r);
		k->saved = malloc(k->saved_len);
		if (k->saved != NULL) {
			hedui__v1__verify_household_response__pack(
			    r, k->saved);
			n_kept++;
			if (killed >= 0)
				n_after_kill++;
		}
	}
	pthread_mutex_unlock(&mu);
}

static void *client_thread(void *arg)
{
	int t = (int)(intptr_t)arg;
	rpc_client *c[2] = {tclient(ports[0], "agency-330106"),
	    tclient(ports[1], "agency-330106")};
	for (int i = 0;
	     c[0] != NULL && c[1] != NULL && !atomic_load(&stop_flag); i++) {
		char rid[64];
		snprintf(
		    rid, sizeof rid, "repl-%d-%d-%d", (int)getpid(), t, i);
		/* Spread over both; a failure goes to the other, with the
		 * same request_id, until one answers. */
		Hedui__V1__VerifyHouseholdResponse *r = NULL;
		int first = (t + i) % 2;
		for (int attempt = 0; attempt < 6; attempt++) {
			int which = (first + attempt) % 2;
			if (verify_on(c[which], rid, &r) == RPC_OK &&
			    r != NULL && r->verdict != NULL)
				break;
			if (r != NULL)
				protobuf_c_message_free_unpacked(
				    &r->base, NULL);
			r = NULL;
			usleep(20000);
		}
		if (r != NULL) {
			keep(rid, r);
			protobuf_c_message_free_unpacked(&r->base, NULL);
		}
	}
	for (int i = 0; i < 2; i++)
		rpc_client_free(c[i]);
	return NULL;
}

static int kept_count(void)
{
	pthread_mutex_lock(&mu);
	int n = n_kept;
	pthread_mutex_unlock(&mu);
	return n;
}

static int kept_after_kill(void)
{
	pthread_mutex_lock(&mu);
	int n = n_after_kill;
	pthread_mutex_unlock(&mu);
	return n;
}

/* Every verdict received, read back through replica i. */
static void check_all(int i)
{
	char crt[512], err[256], sql[300], got[64];
	rpc_client *c = tclient(ports[i], "agency-330106");
	assert_non_null(c);
	snprintf(crt, sizeof crt, "%s", tcert("heduid.crt"));
	for (int n = 0; n < n_kept; n++) {
		kept *k = &verdicts[n];
		/* The one report of its request_id is the one answered. */
		snprintf(sql, sizeof sql,
		    "SELECT string_agg(report_id, ',') FROM report"
		    " WHERE request_id = '%.63s'",
		    k->request_id);
		assert_true(tpg_query1(db_url, sql, got, sizeof got));
		assert_string_equal(got, k->report_id);

		char rid[64];
		snprintf(rid, sizeof rid, "get-%d-%d", (int)getpid(), n);
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
			fail_msg("report %s received by a client is gone: "
			         "%s: %s",
			    k->report_id, rpc_code_name(code), st.message);
		Hedui__V1__VerifyHouseholdResponse *r =
		    (Hedui__V1__VerifyHouseholdResponse *)resp;
		Hedui__V1__VerifyHouseholdResponse *was =
		    hedui__v1__verify_household_response__unpack(
		        NULL, k->saved_len, k->saved);
		assert_non_null(was);
		assert_int_equal(r->report.len, was->report.len);
		assert_memory_equal(
		    r->report.data, was->report.data, was->report.len);
		assert_int_equal(r->signature.len, was->signature.len);
		assert_memory_equal(r->signature.data, was->signature.data,
		    was->signature.len);
		assert_int_equal(
		    report_sig_verify_response(crt, NULL, r, err, sizeof err),
		    HD_OK);
		assert_int_equal(report_sig_verify_response(
		                     crt, NULL, was, err, sizeof err),
		    HD_OK);
		hedui__v1__verify_household_response__free_unpacked(was, NULL);
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	rpc_client_free(c);
}

/* `hedui audit verify` on the database: OK, and no password shown. */
static void cli_verifies_chain(void)
{
	char cmd[1400], out[512] = "";
	snprintf(cmd, sizeof cmd,
	    "'%s' audit verify --store '%s' --key '%s' 2>&1", tbin("hedui"),
	    db_url, key_path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	int rc = pclose(p);
	printf("hedui audit verify: %s", out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "chain intact"));
	assert_null(strstr(out, TPG_PASSWORD));
}

static void kill_one_replica_under_load(void **state)
{
	(void)state;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	printf("seed %u\n", seed);
	srand(seed);
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, client_thread,
		                     (void *)(intptr_t)t),
		    0);
	int want = 20 + rand() % 30;
	uint64_t t0 = tnow_ms();
	while (kept_count() < want && tnow_ms() - t0 < 120000)
		usleep(2000);
	usleep((useconds_t)(rand() % 20000));
	int victim = rand() % 2;
	tproc_kill(replica[victim]); /* SIGKILL, mid-flight */
	replica[victim] = NULL;
	pthread_mutex_lock(&mu);
	killed = victim;
	pthread_mutex_unlock(&mu);
	/* Calls carry on through the other replica. */
	t0 = tnow_ms();
	while (kept_after_kill() < 20 && tnow_ms() - t0 < 120000)
		usleep(2000);
	atomic_store(&stop_flag, 1);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	printf("%d verdicts received, %d after replica %d was killed\n",
	    n_kept, n_after_kill, victim);
	assert_true(n_after_kill >= 20);

	check_all(1 - victim);
	/* The killed one serves again once restarted, what either
	 * answered included. */
	replica[victim] = start(victim);
	assert_non_null(replica[victim]);
	rpc_client *c = tclient(ports[victim], "agency-330106");
	assert_non_null(c);
	char rid[64];
	snprintf(rid, sizeof rid, "repl-%d-after", (int)getpid());
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	assert_int_equal(verify_on(c, rid, &r), RPC_OK);
	assert_non_null(r);
	assert_non_null(r->verdict);
	keep(rid, r);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	rpc_client_free(c);
	check_all(victim);

	/* One chain, written by both, with a record of every verdict. */
	uint8_t key[64];
	FILE *f = fopen(key_path, "rb");
	assert_non_null(f);
	size_t kl = fread(key, 1, sizeof key, f);
	fclose(f);
	char why[256];
	int64_t n = 0;
	hd_err e = audit_verify_store(db_url, key, kl, &n, why, sizeof why);
	if (e != HD_OK)
		fail_msg("audit chain: %s", why);
	assert_true(n >= n_kept);
	cli_verifies_chain();
	/* Nor in either replica's log. */
	for (int i = 0; i < 2; i++)
		assert_false(tproc_log_contains(replica[i], TPG_PASSWORD));
}

static void replay_to_the_other_replica_is_refused(void **state)
{
	(void)state;
	rpc_client *a = tclient(ports[0], "agency-330106");
	rpc_client *b = tclient(ports[1], "agency-330106");
	assert_non_null(a);
	assert_non_null(b);
	char rid[64];
	snprintf(rid, sizeof rid, "replay-%d", (int)getpid());
	signed_req s;
	assert_true(sign_req(&s, rid));
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	rpc_status st;
	assert_int_equal(send_req(a, &s, rid, &r, &st), RPC_OK);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* The very bytes again, to the other replica. */
	assert_int_equal(send_req(b, &s, rid, &r, &st), RPC_UNAUTHENTICATED);
	assert_null(r);
	assert_non_null(strstr(st.message, "replayed"));
	agency_auth_release(&s.auth);
	/* Signed again, the same request_id is a retry, and gets the
	 * report already made. */
	assert_int_equal(verify_on(b, rid, &r), RPC_OK);
	assert_non_null(r);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	rpc_client_free(a);
	rpc_client_free(b);
}

/* Health/Check's status (health.proto). */
enum { SERVING = 1, NOT_SERVING = 2 };

static bool wait_serving(int i, int want, uint64_t timeout_ms)
{
	rpc_client *c = tclient(ports[i], "agency-330106");
	bool ok = false;
	uint64_t t0 = tnow_ms();
	while (c != NULL && !ok && tnow_ms() - t0 < timeout_ms) {
		int serving = -1;
		ok = thealth(c, 2000, &serving) == RPC_OK && serving == want;
		if (!ok)
			usleep(50000);
	}
	rpc_client_free(c);
	return ok;
}

/* The database stops under load and comes back: while it is away both
 * replicas say NOT_SERVING (fail closed), then serve again on new
 * connections; nothing a client was answered is lost. */
static void database_restart_under_load(void **state)
{
	(void)state;
	pthread_mutex_lock(&mu);
	killed = -1;
	n_after_kill = 0;
	pthread_mutex_unlock(&mu);
	atomic_store(&stop_flag, 0);
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, client_thread,
		                     (void *)(intptr_t)(t + THREADS)),
		    0);
	int want = kept_count() + 10 + rand() % 20;
	uint64_t t0 = tnow_ms();
	while (kept_count() < want && tnow_ms() - t0 < 120000)
		usleep(2000);
	tpg_pause();
	bool down[2] = {wait_serving(0, NOT_SERVING, 20000),
	    wait_serving(1, NOT_SERVING, 20000)};
	assert_true(tpg_resume());
	pthread_mutex_lock(&mu);
	killed = 2; /* counting from here */
	pthread_mutex_unlock(&mu);
	bool up[2] = {
	    wait_serving(0, SERVING, 20000), wait_serving(1, SERVING, 20000)};
	t0 = tnow_ms();
	while (kept_after_kill() < 20 && tnow_ms() - t0 < 120000)
		usleep(2000);
	atomic_store(&stop_flag, 1);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	printf("database restarted: %d verdicts in all, %d after\n", n_kept,
	    n_after_kill);
	assert_true(down[0] && down[1]);
	assert_true(up[0] && up[1]);
	assert_true(n_after_kill >= 20);
	check_all(0);
	uint8_t key[64];
	FILE *f = fopen(key_path, "rb");
	assert_non_null(f);
	size_t kl = fread(key, 1, sizeof key, f);
	fclose(f);
	char why[256];
	int64_t n = 0;
	if (audit_verify_store(db_url, key, kl, &n, why, sizeof why) != HD_OK)
		fail_msg("audit chain: %s", why);
	assert_true(n >= n_kept);
}

/* Every replica must hold the same audit key, so none makes one up:
 * without [store] audit_key heduid does not start on PostgreSQL, and
 * says why without showing the URL's password. */
static void audit_key_required_with_postgresql(void **state)
{
	(void)state;
	char bin[512], ca[512], cert[512], key[512];
	snprintf(bin, sizeof bin, "%s", tbin("heduid"));
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("heduid.crt"));
	snprintf(key, sizeof key, "%s", tcert("heduid.key"));
	char *argv[] = {bin, "--listen", (char *)turl(tport_free()), "--ca",
	    ca, "--cert", cert, "--key", key, "--store", db_url, NULL};
	tproc *p = tproc_start("heduid-nokey", argv);
	assert_non_null(p);
	int status = tproc_wait(p, 20000);
	assert_true(status > 0 && status < 128);
	assert_true(tproc_log_contains(p, "needs [store] audit_key"));
	assert_false(tproc_log_contains(p, TPG_PASSWORD));
	tproc_stop(p);
}

/* Checks over yesterday to tomorrow, as replica i answers them. */
static int64_t stats_checks(int i)
{
	rpc_client *c = tclient(ports[i], "agency-330106");
	assert_non_null(c);
	Hedui__V1__StatsQuery sq = HEDUI__V1__STATS_QUERY__INIT;
	Hedui__V1__StatsResponse *sr = NULL;
	rpc_status st;
	char from[11], to[11];
	consent_date_format(
	    consent_date_add_days(idnum_date_today(), -1), from);
	consent_date_format(consent_date_add_days(idnum_date_today(), 1), to);
	sq.from = from;
	sq.to = to;
	assert_int_equal(
	    tagency_stats(c, "agency-330106", &sq, &sr, &st), RPC_OK);
	int64_t n = sr->checks;
	protobuf_c_message_free_unpacked(&sr->base, NULL);
	rpc_client_free(c);
	return n;
}

static rpc_code get_on(int i, const char *report_id, rpc_status *st)
{
	rpc_client *c = tclient(ports[i], "agency-330106");
	assert_non_null(c);
	char rid[64];
	static int n;
	snprintf(rid, sizeof rid, "pg-get-%d-%d", (int)getpid(), ++n);
	Hedui__V1__GetReportRequest req = HEDUI__V1__GET_REPORT_REQUEST__INIT;
	Hedui__V1__AgencyAuth auth;
	req.report_id = (char *)report_id;
	assert_int_equal(agency_signer_sign(signer, GET_METHOD, rid, "",
	                     (const uint8_t *)report_id, strlen(report_id),
	                     agency_sig_now_ms(), &auth),
	    HD_OK);
	req.auth = &auth;
	rpc_call_opts o = {.deadline_ms = 10000, .request_id = rid};
	ProtobufCMessage *resp = NULL;
	rpc_code code = rpc_client_call(c, GET_METHOD, &req.base,
	    &hedui__v1__verify_household_response__descriptor, &resp, &o, st);
	agency_auth_release(&auth);
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	rpc_client_free(c);
	return code;
}

/* Statistics and retention on PostgreSQL (they were SQLite's alone):
 * the counts both replicas give are the reports in the database, one
 * each, however many replicas committed them at once; a replica
 * started with retention purges what is due, and every replica then
 * knows it. */
static void stats_and_retention_on_postgresql(void **state)
{
	(void)state;
	rpc_client *c = tclient(ports[0], "agency-330106");
	assert_non_null(c);
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	char rid[64], old_id[48], q[256], v[32];
	snprintf(rid, sizeof rid, "pg-ret-%d", (int)getpid());
	assert_int_equal(verify_on(c, rid, &r), RPC_OK);
	snprintf(old_id, sizeof old_id, "%s", r->verdict->report_id);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	rpc_client_free(c);

	assert_true(
	    tpg_query1(db_url, "SELECT count(*) FROM report", v, sizeof v));
	int64_t reports = atoll(v);
	assert_true(reports > 0);
	assert_int_equal(stats_checks(0), reports);
	assert_int_equal(stats_checks(1), reports);

	/* Forty days pass for that report; replica 1 comes back keeping
	 * reports 30 days, and purges it a second after it starts. */
	assert_int_equal(tproc_stop(replica[1]), 0);
	replica[1] = NULL;
	snprintf(q, sizeof q,
	    "UPDATE report SET created_ms = created_ms - 40 * 86400000::bigint"
	    " WHERE report_id = '%s'",
	    old_id);
	assert_true(tpg_exec(db_url, q));
	assert_non_null(replica[1] = start_keeping(1, "30"));
	rpc_status st;
	rpc_code code = RPC_OK;
	for (int i = 0; i < 150 && (code = get_on(0, old_id, &st)) == RPC_OK;
	     i++)
		usleep(100000);
	assert_int_equal(code, RPC_FAILED_PRECONDITION);
	assert_non_null(strstr(st.message, "purged on"));
	assert_int_equal(get_on(1, old_id, &st), RPC_FAILED_PRECONDITION);

	/* What remains, through SQL; the purge audited once. */
	snprintf(q, sizeof q,
	    "SELECT count(*) FROM report WHERE report_id = '%s'"
	    " AND octet_length(report) = 0 AND report_sha256 IS NOT NULL"
	    " AND conclusion IS NOT NULL AND purged_ms IS NOT NULL",
	    old_id);
	assert_true(tpg_query1(db_url, q, v, sizeof v));
	assert_string_equal(v, "1");
	assert_true(tpg_query1(db_url,
	    "SELECT sum(count) FROM audit WHERE method"
	    " = 'heduid/RetentionPurge' AND outcome = 0",
	    v, sizeof v));
	assert_string_equal(v, "1");
	/* The counts were kept at commit: the same. */
	assert_int_equal(stats_checks(0), reports);
	assert_int_equal(stats_checks(1), reports);
	cli_verifies_chain();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(audit_key_required_with_postgresql),
	    cmocka_unit_test(replay_to_the_other_replica_is_refused),
	    cmocka_unit_test(kill_one_replica_under_load),
	    cmocka_unit_test(database_restart_under_load),
	    cmocka_unit_test(stats_and_retention_on_postgresql),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
