/* SPDX-License-Identifier: MIT */
/* The source store: found, not found, a household of 20, exact values,
 * refused records, files reopened read-only, concurrent lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>

#include "idnum.h"
#include "srcdb.h"

/* A valid ID number made from a 6-digit region, a date and a sequence. */
static void make_id(
    char out[IDNUM_LEN + 1], const char *region, int date, int seq)
{
	snprintf(out, IDNUM_LEN + 1, "%s%08d%03d", region, date, seq);
	out[17] = idnum_check_char(out);
	out[18] = '\0';
}

static int pack_cmp(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la = protobuf_c_message_get_packed_size(a);
	size_t lb = protobuf_c_message_get_packed_size(b);
	if (la != lb)
		return 1;
	uint8_t *ba = malloc(la + 1), *bb = malloc(lb + 1);
	protobuf_c_message_pack(a, ba);
	protobuf_c_message_pack(b, bb);
	int r = memcmp(ba, bb, la);
	free(ba);
	free(bb);
	return r;
}

/* Facts as a lookup gives them, without the header, against what was put. */
static void assert_same_facts(
    srcdb_result *res, size_t i, const ProtobufCMessage *put)
{
	Hedui__V1__PersonHeader *h = srcdb_result_header(res, i);
	switch (res->kind) {
	case SRCDB_TAX:
		res->persons[i].facts.tax->person = NULL;
		break;
	case SRCDB_BANK:
		res->persons[i].facts.bank->person = NULL;
		break;
	default:
		res->persons[i].facts.property->person = NULL;
		break;
	}
	int r = pack_cmp(res->persons[i].facts.msg, put);
	switch (res->kind) {
	case SRCDB_TAX:
		res->persons[i].facts.tax->person = h;
		break;
	case SRCDB_BANK:
		res->persons[i].facts.bank->person = h;
		break;
	default:
		res->persons[i].facts.property->person = h;
		break;
	}
	assert_int_equal(r, 0);
}

static srcdb *mem_store(srcdb_kind kind)
{
	srcdb *db = NULL;
	assert_int_equal(
	    srcdb_open(NULL, ":memory:", kind, SRCDB_OPEN_CREATE, &db), HD_OK);
	return db;
}

static void put(srcdb *db, const char *id, const ProtobufCMessage *facts,
    srcdb_fault fault)
{
	srcdb_record rec = {
	    .id_number = id, .found = true, .fault = fault, .facts = facts};
	assert_int_equal(srcdb_put(db, &rec), HD_OK);
}

static void test_names(void **state)
{
	(void)state;
	srcdb_kind k;
	srcdb_fault f;
	assert_true(srcdb_kind_parse("property", &k));
	assert_int_equal(k, SRCDB_PROPERTY);
	assert_false(srcdb_kind_parse("Bank", &k));
	assert_false(srcdb_kind_parse(NULL, &k));
	assert_string_equal(srcdb_kind_name(SRCDB_TAX), "tax");
	assert_true(srcdb_fault_parse("timeout", &f));
	assert_int_equal(f, SRCDB_FAULT_TIMEOUT);
	assert_false(srcdb_fault_parse("slow", &f));
	assert_true(srcdb_account_kind_valid("wealth"));
	assert_false(srcdb_account_kind_valid("cash"));
	assert_true(srcdb_usage_valid("parking"));
	assert_false(srcdb_usage_valid("garage"));
	assert_true(srcdb_vehicle_kind_valid("disability_mobility"));
	assert_false(srcdb_vehicle_kind_valid("bicycle"));
}

static void test_bank_found_and_not_found(void **state)
{
	(void)state;
	srcdb *db = mem_store(SRCDB_BANK);
	char a[19], b[19];
	make_id(a, "110105", 19491231, 2);
	make_id(b, "330106", 19800315, 123);

	Hedui__V1__Account acc[2] = {
	    HEDUI__V1__ACCOUNT__INIT, HEDUI__V1__ACCOUNT__INIT};
	acc[0].kind = "deposit";
	acc[0].balance_fen = 123456789012LL;
	acc[1].kind = "insurance";
	acc[1].balance_fen = 0;
	Hedui__V1__Account *accp[2] = {&acc[0], &acc[1]};
	Hedui__V1__BankFacts f = HEDUI__V1__BANK_FACTS__INIT;
	f.n_accounts = 2;
	f.accounts = accp;

	assert_int_equal(srcdb_begin(db), HD_OK);
	put(db, a, &f.base, SRCDB_FAULT_NONE);
	assert_int_equal(srcdb_commit(db), HD_OK);

	const char *ids[2] = {b, a};
	srcdb_result res;
	assert_int_equal(srcdb_lookup(db, ids, 2, &res), HD_OK);
	assert_int_equal(res.n, 2);
	assert_false(res.persons[0].found);
	assert_string_equal(srcdb_result_header(&res, 0)->id_number, b);
	assert_false(srcdb_result_header(&res, 0)->found);
	assert_int_equal(res.persons[0].facts.bank->n_accounts, 0);
	assert_true(res.persons[1].found);
	assert_true(srcdb_result_header(&res, 1)->found);
	assert_null(srcdb_result_header(&res, 1)->status);
	assert_int_equal(res.persons[1].fault, SRCDB_FAULT_NONE);
	assert_int_equal(res.persons[1].facts.bank->n_accounts, 2);
	assert_string_equal(
	    res.persons[1].facts.bank->accounts[0]->kind, "deposit");
	assert_true(res.persons[1].facts.bank->accounts[0]->balance_fen ==
	            123456789012LL);
	assert_same_facts(&res, 1, &f.base);
	srcdb_result_free(&res);
	srcdb_result_free(&res); /* twice is harmless */

	long long n = 0;
	assert_int_equal(srcdb_count(db, &n), HD_OK);
	assert_int_equal(n, 1);
	srcdb_close(db);
	srcdb_close(NULL);
}

static void test_tax_exact_values(void **state)
{
	(void)state;
	srcdb *db = mem_store(SRCDB_TAX);
	char a[19];
	make_id(a, "440106", 19750606, 151);
	Hedui__V1__Business bz[2] = {
	    HEDUI__V1__BUSINESS__INIT, HEDUI__V1__BUSINESS__INIT};
	bz[0].registered_capital_fen = 50000000;
	bz[0].status = "active";
	bz[1].registered_capital_fen = 1;
	bz[1].status = "closed";
	Hedui__V1__Business *bzp[2] = {&bz[0], &bz[1]};
	Hedui__V1__TaxFacts t = HEDUI__V1__TAX_FACTS__INIT;
	t.wage_income_fen = 1;
	t.business_income_fen = INT64_MAX;
	t.property_income_fen = 3;
	t.transfer_income_fen = 4;
	t.excluded_income_fen = 5;
	t.n_businesses = 2;
	t.businesses = bzp;
	assert_int_equal(srcdb_begin(db), HD_OK);
	put(db, a, &t.base, SRCDB_FAULT_NONE);
	assert_int_equal(srcdb_commit(db), HD_OK);

	const char *ids[1] = {a};
	srcdb_result res;
	assert_int_equal(srcdb_lookup(db, ids, 1, &res), HD_OK);
	Hedui__V1__TaxFacts *got = res.persons[0].facts.tax;
	assert_true(got->business_income_fen == INT64_MAX);
	assert_int_equal(got->n_businesses, 2);
	assert_string_equal(got->businesses[1]->status, "closed");
	assert_same_facts(&res, 0, &t.base);
	srcdb_result_free(&res);
	srcdb_close(db);
}

static void test_property_household_of_20(void **state)
{
	(void)state;
	srcdb *db = mem_store(SRCDB_PROPERTY);
	char ids[20][19];
	const char *idp[20];
	Hedui__V1__RealEstate re[20];
	Hedui__V1__RealEstate *rep[20];
	Hedui__V1__Vehicle ve[20];
	Hedui__V1__Vehicle *vep[20];
	Hedui__V1__PropertyFacts pf[20];
	assert_int_equal(srcdb_begin(db), HD_OK);
	for (int i = 0; i < 20; i++) {
		make_id(ids[i], "330106", 19600101 + i, 100 + i);
		idp[i] = ids[i];
		hedui__v1__real_estate__init(&re[i]);
		re[i].usage = i % 3 == 0 ? "residential" : "parking";
		re[i].area_centi_m2 = 1000 + i;
		re[i].share_bps = 10000 - i;
		rep[i] = &re[i];
		hedui__v1__vehicle__init(&ve[i]);
		ve[i].kind = "car";
		ve[i].value_fen = 100 * i;
		vep[i] = &ve[i];
		hedui__v1__property_facts__init(&pf[i]);
		pf[i].n_real_estate = 1;
		pf[i].real_estate = &rep[i];
		pf[i].n_vehicles = i % 2;
		pf[i].vehicles = &vep[i];
		/* every fourth person is unknown to the registry */
		if (i % 4 != 3)
			put(db, ids[i], &pf[i].base, SRCDB_FAULT_NONE);
	}
	assert_int_equal(srcdb_commit(db), HD_OK);

	srcdb_result res;
	assert_int_equal(srcdb_lookup(db, idp, 20, &res), HD_OK);
	assert_int_equal(res.n, 20);
	for (int i = 0; i < 20; i++) {
		assert_string_equal(
		    srcdb_result_header(&res, (size_t)i)->id_number, ids[i]);
		assert_int_equal(res.persons[i].found, i % 4 != 3);
		if (i % 4 != 3)
			assert_same_facts(&res, (size_t)i, &pf[i].base);
	}
	srcdb_result_free(&res);

	/* 0 and 21 are not lookups */
	assert_int_equal(srcdb_lookup(db, idp, 0, &res), HD_EINVAL);
	const char *many[21];
	for (int i = 0; i < 21; i++)
		many[i] = ids[i % 20];
	assert_int_equal(srcdb_lookup(db, many, 21, &res), HD_ETOOBIG);
	assert_int_equal(res.n, 0);
	srcdb_close(db);
}

static void test_faults_and_not_found_rows(void **state)
{
	(void)state;
	srcdb *db = mem_store(SRCDB_BANK);
	char a[19], b[19];
	make_id(a, "310101", 19700101, 171);
	make_id(b, "310101", 19700101, 172);
	assert_int_equal(srcdb_begin(db), HD_OK);
	put(db, a, NULL, SRCDB_FAULT_UNAVAILABLE);
	srcdb_record rec = {
	    .id_number = b, .found = false, .fault = SRCDB_FAULT_TIMEOUT};
	assert_int_equal(srcdb_put(db, &rec), HD_OK);
	assert_int_equal(srcdb_commit(db), HD_OK);
	const char *ids[2] = {a, b};
	srcdb_result res;
	assert_int_equal(srcdb_lookup(db, ids, 2, &res), HD_OK);
	assert_true(res.persons[0].found);
	assert_int_equal(res.persons[0].fault, SRCDB_FAULT_UNAVAILABLE);
	assert_false(res.persons[1].found);
	assert_int_equal(res.persons[1].fault, SRCDB_FAULT_TIMEOUT);
	srcdb_result_free(&res);
	srcdb_close(db);
}

static void test_refused_records(void **state)
{
	(void)state;
	srcdb *db = mem_store(SRCDB_BANK);
	char a[19];
	make_id(a, "330106", 19800315, 123);
	Hedui__V1__Account acc = HEDUI__V1__ACCOUNT__INIT;
	Hedui__V1__Account *accp = &acc;
	Hedui__V1__BankFacts f = HEDUI__V1__BANK_FACTS__INIT;
	f.n_accounts = 1;
	f.accounts = &accp;
	srcdb_record rec = {.id_number = a, .found = true, .facts = &f.base};
	char detail[96];

	assert_int_equal(srcdb_begin(db), HD_OK);
	acc.kind = "cash";
	assert_int_equal(srcdb_put(db, &rec), HD_EINVAL);
	assert_int_equal(
	    srcdb_record_check(SRCDB_BANK, &rec, detail, sizeof detail),
	    HD_EINVAL);
	assert_string_equal(detail, "accounts[0].kind: unknown kind");
	acc.kind = "deposit";
	acc.balance_fen = -1;
	assert_int_equal(srcdb_put(db, &rec), HD_EINVAL);
	acc.balance_fen = 1;

	/* bad ID numbers: wrong check digit, lower-case x, 15 digits */
	char bad[19];
	memcpy(bad, a, sizeof bad);
	bad[17] = bad[17] == '0' ? '1' : '0';
	rec.id_number = bad;
	assert_int_equal(srcdb_put(db, &rec), HD_EINVAL);
	rec.id_number = "11010519491231002x";
	assert_int_equal(srcdb_put(db, &rec), HD_EINVAL);
	rec.id_number = "110105491231002";
	assert_int_equal(srcdb_put(db, &rec), HD_EINVAL);

	/* the facts of another kind */
	Hedui__V1__TaxFacts t = HEDUI__V1__TAX_FACTS__INIT;
	rec.id_number = a;
	rec.facts = &t.base;
	assert_int_equal(srcdb_put(db, &rec), HD_EINVAL);

	/* twice the same person */
	rec.facts = &f.base;
	assert_int_equal(srcdb_put(db, &rec), HD_OK);
	assert_int_equal(srcdb_put(db, &rec), HD_EEXIST);
	srcdb_rollback(db);

	/* rolled back: nothing is there */
	long long n = -1;
	assert_int_equal(srcdb_count(db, &n), HD_OK);
	assert_int_equal(n, 0);
	srcdb_close(db);
}

static void test_property_refusals(void **state)
{
	(void)state;
	char a[19];
	make_id(a, "330106", 19800315, 123);
	Hedui__V1__RealEstate r = HEDUI__V1__REAL_ESTATE__INIT;
	Hedui__V1__RealEstate *rp = &r;
	Hedui__V1__PropertyFacts p = HEDUI__V1__PROPERTY_FACTS__INIT;
	p.n_real_estate = 1;
	p.real_estate = &rp;
	srcdb_record rec = {.id_number = a, .found = true, .facts = &p.base};
	r.usage = "residential";
	r.share_bps = 10001;
	assert_int_equal(
	    srcdb_record_check(SRCDB_PROPERTY, &rec, NULL, 0), HD_EINVAL);
	r.share_bps = 10000;
	r.area_centi_m2 = -5;
	assert_int_equal(
	    srcdb_record_check(SRCDB_PROPERTY, &rec, NULL, 0), HD_EINVAL);
	r.area_centi_m2 = 5;
	assert_int_equal(
	    srcdb_record_check(SRCDB_PROPERTY, &rec, NULL, 0), HD_OK);
	Hedui__V1__Business bz = HEDUI__V1__BUSINESS__INIT;
	Hedui__V1__Business *bzp = &bz;
	Hedui__V1__TaxFacts t = HEDUI__V1__TAX_FACTS__INIT;
	t.n_businesses = 1;
	t.businesses = &bzp;
	bz.status = "bankrupt";
	rec.facts = &t.base;
	assert_int_equal(
	    srcdb_record_check(SRCDB_TAX, &rec, NULL, 0), HD_EINVAL);
	bz.status = "active";
	t.excluded_income_fen = -1;
	assert_int_equal(
	    srcdb_record_check(SRCDB_TAX, &rec, NULL, 0), HD_EINVAL);
}

/* --- a file store, reopened for lookups ---------------------------------- */

typedef struct file_fixture {
	char dir[64];
	char path[128];
	char ids[50][19];
} file_fixture;

static int file_setup(void **state)
{
	file_fixture *fx = calloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_srcdb.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/bank.db", fx->dir);
	srcdb *db = NULL;
	if (srcdb_open(NULL, fx->path, SRCDB_BANK, SRCDB_OPEN_CREATE, &db))
		return -1;
	srcdb_begin(db);
	for (int i = 0; i < 50; i++) {
		make_id(fx->ids[i], "510104", 19880808, 100 + i);
		Hedui__V1__Account acc = HEDUI__V1__ACCOUNT__INIT;
		Hedui__V1__Account *accp = &acc;
		Hedui__V1__BankFacts f = HEDUI__V1__BANK_FACTS__INIT;
		acc.kind = "deposit";
		acc.balance_fen = 1000 * i;
		f.n_accounts = 1;
		f.accounts = &accp;
		srcdb_record rec = {
		    .id_number = fx->ids[i], .found = true, .facts = &f.base};
		if (srcdb_put(db, &rec) != HD_OK)
			return -1;
	}
	if (srcdb_commit(db) != HD_OK)
		return -1;
	srcdb_close(db);
	*state = fx;
	return 0;
}

static int file_teardown(void **state)
{
	file_fixture *fx = *state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void test_file_reopened_read_only(void **state)
{
	file_fixture *fx = *state;
	srcdb *db = NULL;
	assert_int_equal(
	    srcdb_open(NULL, fx->path, SRCDB_BANK, SRCDB_OPEN_READ, &db),
	    HD_OK);
	const char *ids[1] = {fx->ids[7]};
	srcdb_result res;
	assert_int_equal(srcdb_lookup(db, ids, 1, &res), HD_OK);
	assert_true(res.persons[0].found);
	assert_int_equal(
	    res.persons[0].facts.bank->accounts[0]->balance_fen, 7000);
	srcdb_result_free(&res);
	/* read-only: no filling */
	srcdb_record rec = {.id_number = fx->ids[0], .found = true};
	assert_int_not_equal(srcdb_begin(db), HD_OK);
	assert_int_not_equal(srcdb_put(db, &rec), HD_OK);
	srcdb_close(db);

	/* a bank database never answers as the tax bureau */
	assert_int_equal(
	    srcdb_open(NULL, fx->path, SRCDB_TAX, SRCDB_OPEN_READ, &db),
	    HD_EINVAL);
	assert_null(db);
	/* a missing file is not created by a reader */
	char missing[160];
	snprintf(missing, sizeof missing, "%s/none.db", fx->dir);
	assert_int_not_equal(
	    srcdb_open(NULL, missing, SRCDB_BANK, SRCDB_OPEN_READ, &db),
	    HD_OK);
	assert_int_not_equal(access(missing, F_OK), 0);

	/* the file is in WAL mode */
	sqlite3 *raw = NULL;
	assert_int_equal(
	    sqlite3_open_v2(fx->path, &raw, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(raw);
}

typedef struct reader_arg {
	srcdb *db;
	file_fixture *fx;
	int failures;
} reader_arg;

static void *reader(void *p)
{
	reader_arg *ra = p;
	for (int round = 0; round < 200; round++) {
		const char *ids[SRCDB_MAX_IDS];
		for (int i = 0; i < SRCDB_MAX_IDS; i++)
			ids[i] = ra->fx->ids[(round + i) % 50];
		srcdb_result res;
		if (srcdb_lookup(ra->db, ids, SRCDB_MAX_IDS, &res) != HD_OK) {
			ra->failures++;
			continue;
		}
		for (int i = 0; i < SRCDB_MAX_IDS; i++) {
			Hedui__V1__BankFacts *b = res.persons[i].facts.bank;
			if (!res.persons[i].found || b->n_accounts != 1 ||
			    b->accounts[0]->balance_fen !=
			        1000 * ((round + i) % 50))
				ra->failures++;
		}
		srcdb_result_free(&res);
	}
	return NULL;
}

static void test_concurrent_lookups(void **state)
{
	file_fixture *fx = *state;
	srcdb *db = NULL;
	assert_int_equal(
	    srcdb_open(NULL, fx->path, SRCDB_BANK, SRCDB_OPEN_READ, &db),
	    HD_OK);
	pthread_t th[8];
	reader_arg ra[8];
	for (int i = 0; i < 8; i++) {
		ra[i] = (reader_arg){.db = db, .fx = fx};
		pthread_create(&th[i], NULL, reader, &ra[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(ra[i].failures, 0);
	}
	srcdb_close(db);
}

static void test_create_replaces_old_store(void **state)
{
	file_fixture *fx = *state;
	char path[160];
	snprintf(path, sizeof path, "%s/replaced.db", fx->dir);
	srcdb *db = NULL;
	assert_int_equal(
	    srcdb_open(NULL, path, SRCDB_TAX, SRCDB_OPEN_CREATE, &db), HD_OK);
	assert_int_equal(srcdb_begin(db), HD_OK);
	srcdb_record rec = {.id_number = fx->ids[0], .found = true};
	assert_int_equal(srcdb_put(db, &rec), HD_OK);
	assert_int_equal(srcdb_commit(db), HD_OK);
	srcdb_close(db);
	assert_int_equal(
	    srcdb_open(NULL, path, SRCDB_TAX, SRCDB_OPEN_CREATE, &db), HD_OK);
	long long n = -1;
	assert_int_equal(srcdb_count(db, &n), HD_OK);
	assert_int_equal(n, 0);
	srcdb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_bank_found_and_not_found),
	    cmocka_unit_test(test_tax_exact_values),
	    cmocka_unit_test(test_property_household_of_20),
	    cmocka_unit_test(test_faults_and_not_found_rows),
	    cmocka_unit_test(test_refused_records),
	    cmocka_unit_test(test_property_refusals),
	    cmocka_unit_test_setup_teardown(
	        test_file_reopened_read_only, file_setup, file_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_concurrent_lookups, file_setup, file_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_create_replaces_old_store, file_setup, file_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
