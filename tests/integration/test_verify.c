/* SPDX-License-Identifier: MIT */
/*
 * Household verification end to end: heduid and the three mock sources as
 * real processes on loopback over mutual TLS, serving fixtures written by
 * this test (so that every ID number is computed, never typed).
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

#include "agency_sig.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "report_sig.h"
#include "rpc_client.h"
#include "tconsent.h"
#include "tsupport.h"

#define AS_OF "2026-11-01"
#define METHOD "hedui.v1.Verifier/VerifyHousehold"

typedef struct tperson {
	const char *key;
	const char *birth; /* YYYYMMDD */
	const char *json;  /* the rest of the fixture entry */
	char id[IDNUM_LEN + 1];
} tperson;

#define P(k, b, j)                                                            \
	{                                                                     \
		.key = (k), .birth = (b), .json = (j)                         \
	}
static tperson people[] = {
    P("dibao_a", "19800101", "\"tax\":{\"wage_income_fen\":600000}"),
    P("dibao_b", "19820202", NULL),
    P("rich", "19750303", "\"tax\":{\"wage_income_fen\":2400000}"),
    P("marg", "19700404", "\"tax\":{\"wage_income_fen\":1500000}"),
    P("deposits", "19650505",
        "\"bank\":{\"accounts\":[{\"kind\":\"deposit\","
        "\"balance_fen\":2400001}]}"),
    P("deposits_at_limit", "19650506",
        "\"bank\":{\"accounts\":[{\"kind\":\"deposit\",\"balance_fen\":"
        "1400000},{\"kind\":\"insurance\",\"balance_fen\":1000000}]}"),
    P("two_homes", "19600606",
        "\"property\":{\"real_estate\":[{\"usage\":\"residential\","
        "\"area_centi_m2\":6000,\"share_bps\":10000},{\"usage\":"
        "\"residential\",\"area_centi_m2\":5000,\"share_bps\":10000}]}"),
    P("shop", "19600707",
        "\"property\":{\"real_estate\":[{\"usage\":\"commercial\","
        "\"area_centi_m2\":3000,\"share_bps\":10000}]}"),
    P("car", "19600808",
        "\"property\":{\"vehicles\":[{\"kind\":\"car\",\"value_fen\":"
        "5000000}]}"),
    P("ebike", "19600809",
        "\"property\":{\"vehicles\":[{\"kind\":\"electric_bike\","
        "\"value_fen\":300000}]}"),
    P("boss", "19600909",
        "\"tax\":{\"businesses\":[{\"registered_capital_fen\":10000001,"
        "\"status\":\"active\"}]}"),
    P("elder", "19500101", NULL),
    P("adult", "19860505", NULL),
    P("hardship", "19780808", "\"tax\":{\"wage_income_fen\":3600000}"),
    P("earner", "19790909", "\"tax\":{\"wage_income_fen\":3600000}"),
    P("disabled", "19811010", NULL),
    P("bank_down", "19721111",
        "\"bank\":{\"accounts\":[]},\"faults\":{\"bank\":\"unavailable\"}"),
    P("tax_hangs", "19721112", "\"faults\":{\"tax\":\"timeout\"}"),
    P("property_bad", "19721113",
        "\"property\":{\"real_estate\":[]},\"faults\":{\"property\":"
        "\"malformed\"}"),
    P("rich_and_tax_down", "19721114",
        "\"bank\":{\"accounts\":[{\"kind\":\"deposit\",\"balance_fen\":"
        "999999999}]},\"faults\":{\"tax\":\"unavailable\"}"),
};
#define NPEOPLE (sizeof people / sizeof people[0])

static tproc *heduid, *sources[3];
static int port, src_ports[3];
static rpc_client *c330106, *c1101;

static const char *id_of(const char *key)
{
	for (size_t i = 0; i < NPEOPLE; i++)
		if (strcmp(people[i].key, key) == 0)
			return people[i].id;
	fail_msg("no person %s", key);
	return NULL;
}

static bool write_fixtures(const char *path)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return false;
	fprintf(f, "{\"persons\":[\n");
	bool first = true;
	for (size_t i = 0; i < NPEOPLE; i++) {
		tidnum_330106(people[i].id, people[i].birth, (int)(i * 7 + 11));
		if (people[i].json == NULL)
			continue; /* not found anywhere */
		fprintf(f, "%s{\"id_number\":\"%s\",%s}\n", first ? "" : ",",
		    people[i].id, people[i].json);
		first = false;
	}
	fprintf(f, "]}\n");
	return fclose(f) == 0;
}

static int setup(void **state)
{
	(void)state;
	ttls_init();
	const char *fx = ttmp("verify-fixtures.json");
	if (!write_fixtures(fx) ||
	    !tsources_start(fx, sources, src_ports, NULL))
		return -1;
	char bank[64], tax[64], prop[64], crl[512];
	snprintf(bank, sizeof bank, "%s", turl(src_ports[0]));
	snprintf(tax, sizeof tax, "%s", turl(src_ports[1]));
	snprintf(prop, sizeof prop, "%s", turl(src_ports[2]));
	snprintf(crl, sizeof crl, "%s", tcert("ca.crl"));
	const char *extra[] = {"--bank", bank, "--tax", tax, "--property",
	    prop, "--crl", crl, NULL};
	heduid = theduid_start(&port, extra);
	if (heduid == NULL)
		return -1;
	c330106 = tclient(port, "agency-330106");
	c1101 = tclient(port, "agency-1101");
	/* The consents the households below cite: everyone under one
	 * number in 330106 and in Beijing's 110105, and the household of
	 * twenty (a parent and 19 minors) under a number of its own. */
	const char *all[NPEOPLE], *twenty[20];
	char kids[19][IDNUM_LEN + 1];
	for (size_t i = 0; i < NPEOPLE; i++)
		all[i] = people[i].id;
	twenty[0] = id_of("dibao_a");
	for (int i = 1; i < 20; i++) {
		tidnum_330106(kids[i - 1], "20100101", 500 + i);
		twenty[i] = kids[i - 1];
	}
	if (!tconsent_cover(port, "agency-330106", "SQ-330106-2026-0001",
	        "330106", all, NPEOPLE) ||
	    !tconsent_cover(port, "agency-1101", "SQ-330106-2026-0001",
	        "110105", all, 1) ||
	    !tconsent_cover(port, "agency-330106", "SQ-330106-2026-0020",
	        "330106", twenty, 20))
		return -1;
	return c330106 != NULL && c1101 != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char logs[4][512];
	tproc *all[4] = {heduid, sources[0], sources[1], sources[2]};
	rpc_client_free(c330106);
	rpc_client_free(c1101);
	for (int i = 0; i < 4; i++)
		snprintf(logs[i], sizeof logs[i], "%s",
		    all[i] != NULL ? tproc_log(all[i]) : "");
	int st = tproc_stop(heduid);
	for (int i = 0; i < 3; i++)
		tproc_stop(sources[i]);
	/* The test's personal data must never reach any log. */
	for (int l = 0; l < 4; l++)
		for (size_t i = 0; i < NPEOPLE; i++)
			if (logs[l][0] != '\0' &&
			    tfile_contains(logs[l], people[i].id)) {
				fprintf(stderr, "ID number in %s\n", logs[l]);
				return -1;
			}
	return st == 0 ? 0 : -1;
}

/* --- building and sending households ----------------------------------- */

typedef struct thh {
	Hedui__V1__Household h;
	Hedui__V1__Member m[20];
	Hedui__V1__Member *mp[20];
	char ids[20][IDNUM_LEN + 1];
} thh;

static thh *hh_new(const char *program, const char *region)
{
	thh *t = calloc(1, sizeof *t);
	hedui__v1__household__init(&t->h);
	t->h.case_id = "330106-2026-000123";
	t->h.request_id = "";
	t->h.region_code = (char *)region;
	t->h.area = "urban";
	t->h.program = (char *)program;
	t->h.as_of = AS_OF;
	t->h.members = t->mp;
	return t;
}

static Hedui__V1__Member *hh_add_id(thh *t, const char *id, const char *rel)
{
	size_t i = t->h.n_members++;
	hedui__v1__member__init(&t->m[i]);
	snprintf(t->ids[i], sizeof t->ids[i], "%s", id);
	t->m[i].id_number = t->ids[i];
	t->m[i].name = "测试";
	t->m[i].relation = (char *)rel;
	t->m[i].consent_ref = "SQ-330106-2026-0001";
	t->mp[i] = &t->m[i];
	return &t->m[i];
}

static Hedui__V1__Member *hh_add(thh *t, const char *key, const char *rel)
{
	return hh_add_id(t, id_of(key), rel);
}

typedef struct tcall {
	const char *agency; /* signing identity; NULL: unsigned */
	int64_t skew_ms;    /* added to the signature timestamp */
	bool tamper;        /* change the household after signing */
	uint32_t deadline_ms;
	Hedui__V1__VerifyHouseholdRequest *sent; /* keep to replay */
} tcall;

static uint8_t sent_buf[65536];
static size_t sent_len;
static char last_rid[40];

static rpc_code verify_via(rpc_client *c, thh *t, tcall *tc,
    Hedui__V1__VerifyHouseholdResponse **out, rpc_status *st)
{
	static unsigned seq;
	char rid[40];
	snprintf(rid, sizeof rid, "test-%u-%u", (unsigned)getpid(), ++seq);
	memcpy(last_rid, rid, sizeof last_rid);
	uint8_t body[16384];
	size_t len = hedui__v1__household__pack(&t->h, body);
	Hedui__V1__VerifyHouseholdRequest req =
	    HEDUI__V1__VERIFY_HOUSEHOLD_REQUEST__INIT;
	Hedui__V1__AgencyAuth auth;
	agency_signer *s = NULL;
	if (tc->agency != NULL) {
		char cert[300], key[300], err[200];
		snprintf(cert, sizeof cert, "%s", tcert(tc->agency));
		strcat(cert, ".crt");
		snprintf(key, sizeof key, "%s", tcert(tc->agency));
		strcat(key, ".key");
		s = agency_signer_load(cert, key, err, sizeof err);
		assert_non_null(s);
		assert_int_equal(
		    agency_signer_sign(s, METHOD, rid, "", body, len,
		        agency_sig_now_ms() + tc->skew_ms, &auth),
		    HD_OK);
		req.auth = &auth;
	}
	if (tc->tamper)
		body[len - 1] ^= 0x01; /* the last member's last flag byte */
	req.household.data = body;
	req.household.len = len;
	rpc_call_opts o = {
	    .deadline_ms = tc->deadline_ms ? tc->deadline_ms : 5000,
	    .request_id = rid};
	ProtobufCMessage *resp = NULL;
	rpc_code code = rpc_client_call(c, METHOD, &req.base,
	    &hedui__v1__verify_household_response__descriptor, &resp, &o, st);
	sent_len = hedui__v1__verify_household_request__get_packed_size(&req);
	hedui__v1__verify_household_request__pack(&req, sent_buf);
	if (s != NULL) {
		agency_auth_release(&auth);
		agency_signer_free(s);
	}
	*out = (Hedui__V1__VerifyHouseholdResponse *)resp;
	return code;
}

static Hedui__V1__VerifyHouseholdResponse *verify_ok(thh *t)
{
	tcall tc = {.agency = "agency-330106"};
	Hedui__V1__VerifyHouseholdResponse *r;
	rpc_status st;
	rpc_code code = verify_via(c330106, t, &tc, &r, &st);
	if (code != RPC_OK)
		fail_msg("verify: %s: %s", rpc_code_name(code), st.message);
	return r;
}

static bool has_reason(const Hedui__V1__Verdict *v, const char *code)
{
	for (size_t i = 0; i < v->n_reasons; i++)
		if (strcmp(v->reasons[i]->code, code) == 0)
			return true;
	return false;
}

static void expect(
    thh *t, const char *conclusion, const char *category, const char *reason)
{
	Hedui__V1__VerifyHouseholdResponse *r = verify_ok(t);
	assert_non_null(r->verdict);
	assert_string_equal(r->verdict->conclusion, conclusion);
	assert_string_equal(r->verdict->category, category);
	if (reason != NULL)
		assert_true(has_reason(r->verdict, reason));
	else
		assert_int_equal(r->verdict->n_reasons, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(t);
}

/* --- one household per category ---------------------------------------- */

static void dibao_meets_with_figures(void **state)
{
	(void)state;
	thh *t = hh_new("dibao", "330106");
	hh_add(t, "dibao_a", "applicant");
	hh_add(t, "dibao_b", "spouse");
	Hedui__V1__VerifyHouseholdResponse *r = verify_ok(t);
	Hedui__V1__Verdict *v = r->verdict;
	assert_string_equal(v->conclusion, "meets");
	assert_string_equal(v->category, "dibao");
	assert_int_equal(v->household_size, 2);
	assert_int_equal(v->monthly_income_fen, 40000);
	assert_int_equal(v->per_capita_monthly_income_fen, 20000);
	assert_int_equal(v->estimated_monthly_benefit_fen, 160000);
	assert_int_equal(v->standard_fen, 100000);
	assert_string_equal(v->as_of, AS_OF);
	assert_string_equal(v->agency, "agency-330106");
	assert_true(strncmp(v->policy_version, "pv1-", 4) == 0);
	assert_int_equal(v->n_sources, 3);
	for (size_t i = 0; i < v->n_sources; i++)
		assert_string_equal(v->sources[i]->status, "ok");
	/* Masked IDs only. */
	char masked[IDNUM_MASKED_LEN + 1];
	idnum_mask(id_of("dibao_a"), masked);
	assert_string_equal(v->members[0]->id_number_masked, masked);
	assert_non_null(strstr(masked, "********"));
	/* The signature verifies offline against the service certificate,
	 * and fails on one changed byte. */
	char err[200];
	assert_string_equal(r->signature_alg, REPORT_SIG_ALG_MERKLE);
	assert_non_null(r->proof);
	assert_int_equal(report_sig_verify_response(tcert("heduid.crt"),
	                     tcert("ca.crt"), r, err, sizeof err),
	    HD_OK);
	r->report.data[r->report.len / 2] ^= 0x20;
	assert_int_equal(report_sig_verify_response(
	                     tcert("heduid.crt"), NULL, r, err, sizeof err),
	    HD_ECRYPTO);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(t);
}

static void marginal_and_gradual_exit(void **state)
{
	(void)state;
	thh *t = hh_new("marginal", "330106");
	hh_add(t, "marg", "applicant");
	expect(t, "meets", "marginal", NULL);
	t = hh_new("dibao", "330106");
	hh_add(t, "marg", "applicant");
	t->h.currently_enrolled = true;
	Hedui__V1__VerifyHouseholdResponse *r = verify_ok(t);
	assert_string_equal(r->verdict->category, "gradual_exit");
	assert_int_equal(r->verdict->gradual_exit_months, 6);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(t);
}

static void single_person(void **state)
{
	(void)state;
	thh *t = hh_new("dibao", "330106");
	hh_add(t, "earner", "applicant");
	hh_add(t, "disabled", "spouse")->severe_disability = true;
	Hedui__V1__VerifyHouseholdResponse *r = verify_ok(t);
	assert_string_equal(r->verdict->conclusion, "meets");
	assert_string_equal(r->verdict->category, "single_person");
	assert_int_equal(r->verdict->n_single_person_members, 1);
	char masked[IDNUM_MASKED_LEN + 1];
	idnum_mask(id_of("disabled"), masked);
	assert_string_equal(r->verdict->single_person_members[0], masked);
	assert_int_equal(r->verdict->estimated_monthly_benefit_fen, 100000);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(t);
}

static void tekun(void **state)
{
	(void)state;
	thh *t = hh_new("tekun", "330106");
	hh_add(t, "elder", "applicant");
	Hedui__V1__VerifyHouseholdResponse *r = verify_ok(t);
	assert_string_equal(r->verdict->category, "tekun");
	assert_int_equal(r->verdict->estimated_monthly_benefit_fen, 130000);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(t);
	t = hh_new("tekun", "330106");
	hh_add(t, "adult", "applicant");
	expect(t, "does_not_meet", "none", "HAS_LABOR_CAPACITY");
	t = hh_new("tekun", "330106");
	hh_add(t, "elder", "applicant")->has_able_supporter = true;
	expect(t, "does_not_meet", "none", "HAS_ABLE_SUPPORTER");
}

static void hardship(void **state)
{
	(void)state;
	thh *t = hh_new("hardship", "330106");
	hh_add(t, "hardship", "applicant");
	t->h.monthly_rigid_expense_fen = 130000;
	expect(t, "meets", "hardship", NULL);
	t = hh_new("hardship", "330106");
	hh_add(t, "hardship", "applicant");
	t->h.monthly_rigid_expense_fen = 120000;
	expect(t, "does_not_meet", "none", "RIGID_EXPENSE_BELOW_SHARE");
}

/* --- one household per failing rule ------------------------------------ */

static void failing_rules(void **state)
{
	(void)state;
	static const struct {
		const char *program, *key, *reason;
	} cases[] = {
	    {"dibao", "rich", "INCOME_ABOVE_STANDARD"},
	    {"marginal", "rich", "INCOME_ABOVE_MARGINAL"},
	    {"dibao", "deposits", "FINANCIAL_ASSETS_OVER_LIMIT"},
	    {"dibao", "two_homes", "TOO_MANY_RESIDENCES"},
	    {"dibao", "shop", "NON_RESIDENTIAL_PROPERTY"},
	    {"dibao", "car", "VEHICLE_NOT_EXEMPT"},
	    {"dibao", "boss", "BUSINESS_CAPITAL_OVER_LIMIT"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		thh *t = hh_new(cases[i].program, "330106");
		hh_add(t, cases[i].key, "applicant");
		expect(t, "does_not_meet", "none", cases[i].reason);
	}
	/* The boundaries pass: balances exactly at the limit, an exempt
	 * vehicle. */
	thh *t = hh_new("dibao", "330106");
	hh_add(t, "deposits_at_limit", "applicant");
	expect(t, "meets", "dibao", NULL);
	t = hh_new("dibao", "330106");
	hh_add(t, "ebike", "applicant");
	expect(t, "meets", "dibao", NULL);
}

/* --- sources failing ---------------------------------------------------- */

static void source_failures(void **state)
{
	(void)state;
	static const struct {
		const char *key, *source;
	} cases[] = {
	    {"bank_down", "bank"},
	    {"property_bad", "property"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		thh *t = hh_new("dibao", "330106");
		hh_add(t, cases[i].key, "applicant");
		hh_add(t, "dibao_b", "spouse");
		Hedui__V1__VerifyHouseholdResponse *r = verify_ok(t);
		Hedui__V1__Verdict *v = r->verdict;
		assert_string_equal(v->conclusion, "needs_review");
		assert_true(has_reason(v, "SOURCE_UNAVAILABLE"));
		for (size_t s = 0; s < v->n_sources; s++) {
			bool failing = strcmp(v->sources[s]->source,
			                   cases[i].source) == 0;
			assert_string_equal(
			    v->sources[s]->status, failing ? "partial" : "ok");
		}
		protobuf_c_message_free_unpacked(&r->base, NULL);
		free(t);
	}
	/* Data that already fails a rule: does_not_meet, incomplete. */
	thh *t = hh_new("dibao", "330106");
	hh_add(t, "rich_and_tax_down", "applicant");
	Hedui__V1__VerifyHouseholdResponse *r = verify_ok(t);
	assert_string_equal(r->verdict->conclusion, "does_not_meet");
	assert_true(has_reason(r->verdict, "FINANCIAL_ASSETS_OVER_LIMIT"));
	assert_true(has_reason(r->verdict, "SOURCE_INCOMPLETE"));
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(t);
}

static void source_hangs_verdict_on_time(void **state)
{
	(void)state;
	thh *t = hh_new("dibao", "330106");
	hh_add(t, "tax_hangs", "applicant");
	tcall tc = {.agency = "agency-330106", .deadline_ms = 1500};
	Hedui__V1__VerifyHouseholdResponse *r;
	rpc_status st;
	uint64_t t0 = tnow_ms();
	assert_int_equal(verify_via(c330106, t, &tc, &r, &st), RPC_OK);
	assert_true(tnow_ms() - t0 < 1500);
	assert_string_equal(r->verdict->conclusion, "needs_review");
	for (size_t s = 0; s < r->verdict->n_sources; s++)
		if (strcmp(r->verdict->sources[s]->source, "tax") == 0)
			assert_string_equal(
			    r->verdict->sources[s]->status, "failed");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(t);
}

static void household_of_twenty(void **state)
{
	(void)state;
	thh *t = hh_new("dibao", "330106");
	hh_add(t, "dibao_a", "applicant");
	for (int i = 1; i < 20; i++) {
		char id[IDNUM_LEN + 1];
		tidnum_330106(id, "20100101", 500 + i);
		hh_add_id(t, id, "child");
	}
	for (int i = 0; i < 20; i++)
		t->m[i].consent_ref = "SQ-330106-2026-0020";
	Hedui__V1__VerifyHouseholdResponse *r = verify_ok(t);
	assert_int_equal(r->verdict->household_size, 20);
	assert_string_equal(r->verdict->category, "dibao");
	assert_int_equal(r->verdict->n_members, 20);
	assert_int_equal(
	    r->verdict->estimated_monthly_benefit_fen, 20 * 100000 - 40000);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(t);
}

/* --- jurisdiction, authentication, validation --------------------------- */

static rpc_code verify_code(rpc_client *c, thh *t, tcall *tc, rpc_status *st)
{
	Hedui__V1__VerifyHouseholdResponse *r = NULL;
	rpc_code code = verify_via(c, t, tc, &r, st);
	if (r != NULL)
		protobuf_c_message_free_unpacked(&r->base, NULL);
	return code;
}

static void jurisdiction(void **state)
{
	(void)state;
	rpc_status st;
	tcall tc = {.agency = "agency-330106"};
	thh *t = hh_new("dibao", "330105"); /* the next county */
	hh_add(t, "dibao_a", "applicant");
	assert_int_equal(
	    verify_code(c330106, t, &tc, &st), RPC_PERMISSION_DENIED);
	free(t);
	/* The Beijing city office may ask about any 11xxxx county, with
	 * Beijing's standard. */
	tcall bj = {.agency = "agency-1101"};
	t = hh_new("dibao", "110105");
	hh_add(t, "dibao_a", "applicant");
	Hedui__V1__VerifyHouseholdResponse *r;
	assert_int_equal(verify_via(c1101, t, &bj, &r, &st), RPC_OK);
	assert_int_equal(r->verdict->standard_fen, 145000);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	free(t);
	t = hh_new("dibao", "330106");
	hh_add(t, "dibao_a", "applicant");
	assert_int_equal(
	    verify_code(c1101, t, &bj, &st), RPC_PERMISSION_DENIED);
	free(t);
}

static void authentication(void **state)
{
	(void)state;
	rpc_status st;
	thh *t = hh_new("dibao", "330106");
	hh_add(t, "dibao_a", "applicant");
	tcall unsigned_ = {0};
	assert_int_equal(
	    verify_code(c330106, t, &unsigned_, &st), RPC_UNAUTHENTICATED);
	tcall tampered = {.agency = "agency-330106", .tamper = true};
	assert_int_equal(
	    verify_code(c330106, t, &tampered, &st), RPC_UNAUTHENTICATED);
	assert_non_null(strstr(st.message, "signature"));
	tcall stale = {.agency = "agency-330106", .skew_ms = -6 * 60 * 1000};
	assert_int_equal(
	    verify_code(c330106, t, &stale, &st), RPC_UNAUTHENTICATED);
	tcall future = {.agency = "agency-330106", .skew_ms = 6 * 60 * 1000};
	assert_int_equal(
	    verify_code(c330106, t, &future, &st), RPC_UNAUTHENTICATED);
	/* Signed with certificates that are not the connection's: refused
	 * before their chain is even looked at (a revoked or foreign one
	 * cannot connect at all; test_agency_auth checks that the signature
	 * check refuses them too). */
	tcall rogue = {.agency = "rogue-client"};
	assert_int_equal(
	    verify_code(c330106, t, &rogue, &st), RPC_UNAUTHENTICATED);
	assert_non_null(strstr(st.message, "not the TLS client certificate"));
	tcall revoked = {.agency = "revoked-client"};
	assert_int_equal(
	    verify_code(c330106, t, &revoked, &st), RPC_UNAUTHENTICATED);
	assert_non_null(strstr(st.message, "not the TLS client certificate"));
	tcall good = {.agency = "agency-330106"};
	assert_int_equal(verify_code(c330106, t, &good, &st), RPC_OK);
	free(t);
}

static void replay_refused(void **state)
{
	(void)state;
	rpc_status st;
	thh *t = hh_new("dibao", "330106");
	hh_add(t, "dibao_a", "applicant");
	tcall good = {.agency = "agency-330106"};
	assert_int_equal(verify_code(c330106, t, &good, &st), RPC_OK);
	/* Send the identical signed request again under the same id. */
	Hedui__V1__VerifyHouseholdRequest *again =
	    hedui__v1__verify_household_request__unpack(
	        NULL, sent_len, sent_buf);
	assert_non_null(again);
	ProtobufCMessage *resp = NULL;
	/* Under the original envelope id it is a replay; under another id
	 * the signature no longer matches. Both are refused. */
	rpc_call_opts o = {.deadline_ms = 5000, .request_id = last_rid};
	rpc_code code = rpc_client_call(c330106, METHOD, &again->base,
	    &hedui__v1__verify_household_response__descriptor, &resp, &o, &st);
	assert_int_equal(code, RPC_UNAUTHENTICATED);
	assert_non_null(strstr(st.message, "replay"));
	o.request_id = NULL;
	code = rpc_client_call(c330106, METHOD, &again->base,
	    &hedui__v1__verify_household_response__descriptor, &resp, &o, &st);
	assert_int_equal(code, RPC_UNAUTHENTICATED);
	hedui__v1__verify_household_request__free_unpacked(again, NULL);
	free(t);
}

static void validation(void **state)
{
	(void)state;
	rpc_status st;
	tcall tc = {.agency = "agency-330106"};
	thh *t = hh_new("dibao", "330106");
	hh_add(t, "dibao_a", "applicant")->consent_ref = "";
	assert_int_equal(
	    verify_code(c330106, t, &tc, &st), RPC_FAILED_PRECONDITION);
	assert_non_null(strstr(st.message, "members[0].consent_ref"));
	free(t);
	t = hh_new("dibao", "330106");
	char bad[IDNUM_LEN + 1];
	snprintf(bad, sizeof bad, "%s", id_of("dibao_a"));
	bad[17] = bad[17] == '0' ? '1' : '0';
	hh_add_id(t, bad, "applicant");
	assert_int_equal(
	    verify_code(c330106, t, &tc, &st), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "members[0].id_number"));
	assert_null(strstr(st.message, bad));
	free(t);
	t = hh_new("tekun", "330106");
	hh_add(t, "elder", "applicant");
	hh_add(t, "dibao_b", "spouse");
	assert_int_equal(
	    verify_code(c330106, t, &tc, &st), RPC_INVALID_ARGUMENT);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dibao_meets_with_figures),
	    cmocka_unit_test(marginal_and_gradual_exit),
	    cmocka_unit_test(single_person),
	    cmocka_unit_test(tekun),
	    cmocka_unit_test(hardship),
	    cmocka_unit_test(failing_rules),
	    cmocka_unit_test(source_failures),
	    cmocka_unit_test(source_hangs_verdict_on_time),
	    cmocka_unit_test(household_of_twenty),
	    cmocka_unit_test(jurisdiction),
	    cmocka_unit_test(authentication),
	    cmocka_unit_test(replay_refused),
	    cmocka_unit_test(validation),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
