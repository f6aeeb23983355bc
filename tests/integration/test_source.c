/* SPDX-License-Identifier: MIT */
/*
 * The three mock sources as real processes over mutual TLS, serving the
 * example fixtures: found, not found, a household of 20, the fixture
 * faults, bad requests, and refusal of callers without a certificate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/source.pb-c.h"
#include "idnum.h"
#include "rpc_client.h"
#include "tsource.h"
#include "tsupport.h"

static const char *const kinds[3] = {"bank", "tax", "property"};
static tproc *procs[3];
static int ports[3];
static rpc_client *clients[3];

enum { BANK, TAX, PROPERTY };

static int setup(void **state)
{
	(void)state;
	ttls_init();
	for (int k = 0; k < 3; k++) {
		procs[k] = tsource_start(kinds[k], "--fixtures",
		    tsource_fixtures(), NULL, &ports[k]);
		if (procs[k] == NULL)
			return -1;
		clients[k] = tsource_client(ports[k]);
		if (clients[k] == NULL)
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	int bad = 0;
	for (int k = 0; k < 3; k++) {
		rpc_client_free(clients[k]);
		/* A clean SIGTERM shutdown is part of the contract. */
		bad += tproc_stop(procs[k]) != 0;
	}
	return bad == 0 ? 0 : -1;
}

static ProtobufCMessage *ok_lookup(int k, const char *const *ids, size_t n)
{
	ProtobufCMessage *resp = NULL;
	rpc_status st;
	rpc_code code =
	    tsource_lookup(clients[k], kinds[k], ids, n, 5000, &resp, &st);
	if (code != RPC_OK)
		print_error(
		    "%s: %s %s\n", kinds[k], rpc_code_name(code), st.message);
	assert_int_equal(code, RPC_OK);
	assert_non_null(resp);
	return resp;
}

static void bank_found_and_not_found(void **state)
{
	(void)state;
	const char *ids[3] = {
	    "330106198003151231", "110105195001010047", "330106198207081247"};
	Hedui__V1__BankLookupResponse *r =
	    (Hedui__V1__BankLookupResponse *)ok_lookup(BANK, ids, 3);
	assert_int_equal(r->n_persons, 3);
	Hedui__V1__BankFacts *a = r->persons[0];
	assert_string_equal(a->person->id_number, ids[0]);
	assert_true(a->person->found);
	assert_true(a->person->status == NULL ||
	            a->person->status->code == HEDUI__V1__STATUS_CODE__OK);
	assert_int_equal(a->n_accounts, 2);
	assert_string_equal(a->accounts[0]->kind, "deposit");
	assert_int_equal(a->accounts[0]->balance_fen, 830000);
	assert_string_equal(a->accounts[1]->kind, "insurance");
	assert_int_equal(a->accounts[1]->balance_fen, 200000);
	assert_string_equal(r->persons[1]->person->id_number, ids[1]);
	assert_false(r->persons[1]->person->found);
	assert_int_equal(r->persons[1]->n_accounts, 0);
	assert_true(r->persons[2]->person->found);
	assert_int_equal(r->persons[2]->accounts[0]->balance_fen, 150000);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void tax_and_property_exact(void **state)
{
	(void)state;
	const char *ids[2] = {"440106197506061511", "330106195501011318"};
	Hedui__V1__TaxLookupResponse *t =
	    (Hedui__V1__TaxLookupResponse *)ok_lookup(TAX, ids, 2);
	assert_int_equal(t->persons[0]->business_income_fen, 24000000);
	assert_int_equal(t->persons[0]->n_businesses, 2);
	assert_int_equal(
	    t->persons[0]->businesses[0]->registered_capital_fen, 50000000);
	assert_string_equal(t->persons[0]->businesses[0]->status, "active");
	assert_int_equal(t->persons[1]->transfer_income_fen, 4200000);
	assert_int_equal(t->persons[1]->property_income_fen, 960000);
	protobuf_c_message_free_unpacked(&t->base, NULL);

	Hedui__V1__PropertyLookupResponse *p =
	    (Hedui__V1__PropertyLookupResponse *)ok_lookup(PROPERTY, ids, 2);
	assert_string_equal(
	    p->persons[0]->real_estate[0]->usage, "commercial");
	assert_int_equal(p->persons[0]->real_estate[0]->area_centi_m2, 4550);
	assert_string_equal(p->persons[0]->vehicles[0]->kind, "truck");
	assert_int_equal(p->persons[1]->n_real_estate, 3);
	assert_int_equal(p->persons[1]->real_estate[1]->area_centi_m2, 6500);
	assert_int_equal(p->persons[1]->real_estate[1]->share_bps, 10000);
	assert_int_equal(p->persons[1]->vehicles[0]->value_fen, 18000000);
	protobuf_c_message_free_unpacked(&p->base, NULL);
}

static void household_of_20(void **state)
{
	(void)state;
	static const char *known[4] = {"330106198003151231",
	    "330106198207081247", "330106201009021256", "11010519491231002X"};
	char others[16][IDNUM_LEN + 1];
	const char *ids[20];
	for (int i = 0; i < 20; i++) {
		if (i < 4) {
			ids[i] = known[i];
			continue;
		}
		char tmp[40];
		snprintf(
		    tmp, sizeof tmp, "620102%08d%03d", 19700101 + i, 100 + i);
		tmp[17] = idnum_check_char(tmp);
		tmp[18] = '\0';
		memcpy(others[i - 4], tmp, IDNUM_LEN + 1);
		ids[i] = others[i - 4];
	}
	for (int k = 0; k < 3; k++) {
		ProtobufCMessage *m = ok_lookup(k, ids, 20);
		/* every response starts with "repeated persons = 1" */
		size_t n = 0;
		for (int i = 0; i < 20; i++) {
			Hedui__V1__PersonHeader *h;
			if (k == BANK)
				h = ((Hedui__V1__BankLookupResponse *)m)
				        ->persons[i]
				        ->person;
			else if (k == TAX)
				h = ((Hedui__V1__TaxLookupResponse *)m)
				        ->persons[i]
				        ->person;
			else
				h = ((Hedui__V1__PropertyLookupResponse *)m)
				        ->persons[i]
				        ->person;
			assert_string_equal(h->id_number, ids[i]);
			n += h->found;
			if (i >= 4)
				assert_false(h->found);
		}
		/* the child is unknown to the bank only */
		assert_int_equal(n, k == BANK ? 3 : 4);
		protobuf_c_message_free_unpacked(m, NULL);
	}
}

static void fault_unavailable(void **state)
{
	(void)state;
	const char *ids[2] = {"330106198003151231", "310101197001011710"};
	Hedui__V1__BankLookupResponse *r =
	    (Hedui__V1__BankLookupResponse *)ok_lookup(BANK, ids, 2);
	assert_true(r->persons[0]->person->found);
	assert_int_equal(r->persons[0]->n_accounts, 2);
	Hedui__V1__PersonHeader *h = r->persons[1]->person;
	assert_false(h->found);
	assert_non_null(h->status);
	assert_int_equal(h->status->code, HEDUI__V1__STATUS_CODE__UNAVAILABLE);
	assert_int_equal(r->persons[1]->n_accounts, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* the other sources know nothing of that fault */
	Hedui__V1__TaxLookupResponse *t =
	    (Hedui__V1__TaxLookupResponse *)ok_lookup(TAX, ids, 2);
	assert_true(t->persons[1]->person->found);
	assert_null(t->persons[1]->person->status);
	assert_int_equal(t->persons[1]->wage_income_fen, 6000000);
	protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void fault_malformed(void **state)
{
	(void)state;
	const char *ids[2] = {"330102199206061921", "33010219930707203X"};
	Hedui__V1__PropertyLookupResponse *p =
	    (Hedui__V1__PropertyLookupResponse *)ok_lookup(PROPERTY, ids, 1);
	assert_true(p->persons[0]->person->found);
	assert_true(p->persons[0]->real_estate[0]->area_centi_m2 < 0);
	protobuf_c_message_free_unpacked(&p->base, NULL);
	Hedui__V1__BankLookupResponse *b =
	    (Hedui__V1__BankLookupResponse *)ok_lookup(BANK, ids + 1, 1);
	assert_true(b->persons[0]->accounts[0]->balance_fen < 0);
	protobuf_c_message_free_unpacked(&b->base, NULL);
}

static void fault_timeout(void **state)
{
	(void)state;
	const char *ids[2] = {"330106198003151231", "330102199005051815"};
	ProtobufCMessage *resp = NULL;
	rpc_status st;
	uint64_t t0 = tnow_ms();
	rpc_code code =
	    tsource_lookup(clients[TAX], "tax", ids, 2, 600, &resp, &st);
	uint64_t took = tnow_ms() - t0;
	assert_int_equal(code, RPC_DEADLINE_EXCEEDED);
	assert_null(resp);
	assert_true(took >= 550 && took < 3000);
	/* the source is not stuck: the next household is answered */
	ProtobufCMessage *m = ok_lookup(TAX, ids, 1);
	protobuf_c_message_free_unpacked(m, NULL);
	/* and the timeout is the tax bureau's only */
	m = ok_lookup(BANK, ids, 2);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void assert_no_id_in(const char *msg)
{
	int run = 0;
	for (const char *c = msg; *c; c++) {
		run = (*c >= '0' && *c <= '9') ? run + 1 : 0;
		assert_true(run < 6);
	}
}

static void bad_requests(void **state)
{
	(void)state;
	const char *ids[21];
	for (int i = 0; i < 21; i++)
		ids[i] = "330106198003151231";
	for (int k = 0; k < 3; k++) {
		ProtobufCMessage *resp = NULL;
		rpc_status st;
		assert_int_equal(tsource_lookup(clients[k], kinds[k], ids, 21,
		                     5000, &resp, &st),
		    RPC_INVALID_ARGUMENT);
		assert_non_null(strstr(st.message, "at most 20"));
		assert_int_equal(tsource_lookup(clients[k], kinds[k], ids, 0,
		                     5000, &resp, &st),
		    RPC_INVALID_ARGUMENT);
		const char *bad[3] = {"330106198003151231",
		    "330106198003151232", "11010519491231002X"};
		assert_int_equal(tsource_lookup(clients[k], kinds[k], bad, 3,
		                     5000, &resp, &st),
		    RPC_INVALID_ARGUMENT);
		assert_non_null(strstr(st.message, "id_numbers[1]"));
		assert_no_id_in(st.message);
		const char *legacy[1] = {"110105491231002"};
		assert_int_equal(tsource_lookup(clients[k], kinds[k], legacy,
		                     1, 5000, &resp, &st),
		    RPC_INVALID_ARGUMENT);
		assert_non_null(strstr(st.message, "id_numbers[0]"));
		assert_null(resp);
	}
	/* lower-case x is accepted and answered upper-case */
	const char *lower[1] = {"11010519491231002x"};
	Hedui__V1__BankLookupResponse *r =
	    (Hedui__V1__BankLookupResponse *)ok_lookup(BANK, lower, 1);
	assert_string_equal(
	    r->persons[0]->person->id_number, "11010519491231002X");
	assert_true(r->persons[0]->person->found);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void wrong_method_and_payload(void **state)
{
	(void)state;
	/* the bank does not serve the tax bureau's method */
	const char *ids[1] = {"330106198003151231"};
	ProtobufCMessage *resp = NULL;
	rpc_status st;
	assert_int_equal(
	    tsource_lookup(clients[BANK], "tax", ids, 1, 5000, &resp, &st),
	    RPC_UNIMPLEMENTED);
	/* bytes that are no LookupRequest */
	static const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff};
	uint8_t *reply = NULL;
	size_t len = 0;
	rpc_call_opts o = {.deadline_ms = 5000};
	assert_int_equal(
	    rpc_client_call_raw(clients[BANK], "hedui.v1.BankSource/Lookup",
	        junk, sizeof junk, &reply, &len, &o, &st),
	    RPC_INVALID_ARGUMENT);
	free(reply);
}

static void health_and_methods(void **state)
{
	(void)state;
	for (int k = 0; k < 3; k++) {
		int serving = -1;
		assert_int_equal(thealth(clients[k], 3000, &serving), RPC_OK);
		assert_int_equal(serving,
		    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
	}
}

/* Mutual TLS: no certificate, no answer. */
static void caller_without_certificate(void **state)
{
	(void)state;
	static const uint8_t anything[] = {0x0a, 0x00};
	uint8_t *reply = NULL;
	size_t len = 0;
	int rv = traw_call_ca(ports[BANK], NULL, "source-ca", anything,
	    sizeof anything, 1500, &reply, &len);
	assert_int_not_equal(rv, 0);
	free(reply);
	/* a stranger's certificate neither */
	rv = traw_call_ca(ports[BANK], "rogue-client", "source-ca", anything,
	    sizeof anything, 1500, &reply, &len);
	assert_int_not_equal(rv, 0);
	free(reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bank_found_and_not_found),
	    cmocka_unit_test(tax_and_property_exact),
	    cmocka_unit_test(household_of_20),
	    cmocka_unit_test(fault_unavailable),
	    cmocka_unit_test(fault_malformed),
	    cmocka_unit_test(fault_timeout),
	    cmocka_unit_test(bad_requests),
	    cmocka_unit_test(wrong_method_and_payload),
	    cmocka_unit_test(health_and_methods),
	    cmocka_unit_test(caller_without_certificate),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
