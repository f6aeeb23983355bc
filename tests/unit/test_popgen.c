/* SPDX-License-Identifier: MIT */
/* The population generator: valid unique ID numbers, determinism down to
 * the database bytes, each store holding only its own kind, plausible
 * distributions, and generated facts coming back exactly from a lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "popgen.h"
#include "srcdb.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void test_ids_valid_and_unique(void **state)
{
	(void)state;
	const long long n = 200000;
	popgen *g = popgen_alloc(1, n);
	assert_non_null(g);
	char(*ids)[IDNUM_LEN + 1] = malloc((size_t)n * sizeof *ids);
	popgen_household *h = malloc(sizeof *h);
	long long count = 0, applicants = 0;
	while (popgen_next(g, h)) {
		assert_true(h->n >= 1 && h->n <= POPGEN_MAX_MEMBERS);
		assert_string_equal(h->members[0].relation, "applicant");
		applicants++;
		for (int i = 0; i < h->n; i++) {
			const char *id = h->members[i].id_number;
			char norm[IDNUM_LEN + 1];
			assert_int_equal(
			    idnum_check(id, POPGEN_REFERENCE_DATE, norm),
			    IDNUM_OK);
			assert_string_equal(norm, id);
			int year = idnum_birth_date(id) / 10000;
			assert_true(year >= 1930 && year <= 2024);
			assert_true(count < n);
			memcpy(ids[count++], id, IDNUM_LEN + 1);
		}
	}
	assert_int_equal(count, n);
	qsort(ids, (size_t)n, sizeof *ids, cmp_str);
	for (long long i = 1; i < n; i++)
		assert_int_not_equal(strcmp(ids[i - 1], ids[i]), 0);
	free(ids);
	free(h);
	popgen_free(g);
}

static void test_sizes(void **state)
{
	(void)state;
	assert_null(popgen_alloc(1, 0));
	assert_null(popgen_alloc(1, 100000001LL));
	popgen_free(NULL);
	const long long sizes[] = {1, 2, 7, 1000};
	popgen_household *h = malloc(sizeof *h);
	for (size_t s = 0; s < 4; s++) {
		popgen *g = popgen_alloc(99, sizes[s]);
		long long count = 0;
		while (popgen_next(g, h))
			count += h->n;
		assert_int_equal(count, sizes[s]);
		assert_false(popgen_next(g, h));
		popgen_free(g);
	}
	free(h);
}

static int pack_eq(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la = protobuf_c_message_get_packed_size(a);
	size_t lb = protobuf_c_message_get_packed_size(b);
	if (la != lb)
		return 0;
	uint8_t *ba = malloc(la + 1), *bb = malloc(lb + 1);
	protobuf_c_message_pack(a, ba);
	protobuf_c_message_pack(b, bb);
	int r = memcmp(ba, bb, la) == 0;
	free(ba);
	free(bb);
	return r;
}

static void test_same_seed_same_people(void **state)
{
	(void)state;
	popgen *a = popgen_alloc(2026, 5000), *b = popgen_alloc(2026, 5000);
	popgen *c = popgen_alloc(2027, 5000);
	popgen_household *ha = malloc(sizeof *ha), *hb = malloc(sizeof *hb);
	popgen_household *hc = malloc(sizeof *hc);
	int differ = 0;
	while (popgen_next(a, ha)) {
		assert_true(popgen_next(b, hb));
		if (popgen_next(c, hc) && strcmp(hc->members[0].id_number,
		                              ha->members[0].id_number) != 0)
			differ++;
		assert_int_equal(ha->n, hb->n);
		assert_string_equal(ha->region_code, hb->region_code);
		for (int i = 0; i < ha->n; i++) {
			popgen_person *pa = &ha->members[i];
			popgen_person *pb = &hb->members[i];
			assert_string_equal(pa->id_number, pb->id_number);
			assert_string_equal(pa->name, pb->name);
			assert_true(pack_eq(&pa->tax.base, &pb->tax.base));
			assert_true(pack_eq(&pa->bank.base, &pb->bank.base));
			assert_true(
			    pack_eq(&pa->property.base, &pb->property.base));
		}
	}
	assert_false(popgen_next(b, hb));
	assert_true(differ > 100); /* another seed, other people */
	free(ha);
	free(hb);
	free(hc);
	popgen_free(a);
	popgen_free(b);
	popgen_free(c);
}

/* --- into files -------------------------------------------------------- */

typedef struct dirs {
	char root[64];
} dirs;

static int dirs_setup(void **state)
{
	dirs *d = calloc(1, sizeof *d);
	snprintf(d->root, sizeof d->root, "/tmp/test_popgen.XXXXXX");
	if (mkdtemp(d->root) == NULL)
		return -1;
	*state = d;
	return 0;
}

static int dirs_teardown(void **state)
{
	dirs *d = *state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->root);
	int rc = system(cmd);
	free(d);
	return rc == 0 ? 0 : -1;
}

static void gen_into(const char *dir, uint64_t seed, long long size,
    popgen_stats *st, int samples)
{
	char path[256], sample[256];
	srcdb *stores[SRCDB_KIND_COUNT] = {NULL};
	assert_int_equal(mkdir(dir, 0755), 0);
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		snprintf(path, sizeof path, "%s/%s.db", dir,
		    srcdb_kind_name((srcdb_kind)k));
		assert_int_equal(srcdb_open(NULL, path, (srcdb_kind)k,
		                     SRCDB_OPEN_CREATE, &stores[k]),
		    HD_OK);
	}
	snprintf(sample, sizeof sample, "%s/households", dir);
	popgen_opts o = {.seed = seed,
	    .size = size,
	    .sample_dir = samples > 0 ? sample : NULL,
	    .sample_households = samples};
	assert_int_equal(popgen_run(&o, stores, st), HD_OK);
	for (int k = 0; k < SRCDB_KIND_COUNT; k++)
		srcdb_close(stores[k]);
}

static uint64_t file_hash(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint64_t h = 1469598103934665603ULL;
	int c;
	while ((c = fgetc(f)) != EOF)
		h = (h ^ (uint64_t)c) * 1099511628211ULL;
	fclose(f);
	return h;
}

/* Every row of every table, in key order, hashed: the logical content. */
static uint64_t rows_hash(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *tables = NULL;
	sqlite3_prepare_v2(db,
	    "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY "
	    "name",
	    -1, &tables, NULL);
	uint64_t h = 1469598103934665603ULL;
	while (sqlite3_step(tables) == SQLITE_ROW) {
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"",
		    (const char *)sqlite3_column_text(tables, 0));
		sqlite3_stmt *rows = NULL;
		assert_int_equal(
		    sqlite3_prepare_v2(db, sql, -1, &rows, NULL), SQLITE_OK);
		while (sqlite3_step(rows) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(rows); i++) {
				const unsigned char *t =
				    sqlite3_column_text(rows, i);
				for (; t != NULL && *t; t++)
					h = (h ^ *t) * 1099511628211ULL;
				h = (h ^ '|') * 1099511628211ULL;
			}
		}
		sqlite3_finalize(rows);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	return h;
}

static void test_same_seed_same_bytes(void **state)
{
	dirs *d = *state;
	char a[128], b[128], c[128], pa[192], pb[192], pc[192];
	snprintf(a, sizeof a, "%s/a", d->root);
	snprintf(b, sizeof b, "%s/b", d->root);
	snprintf(c, sizeof c, "%s/c", d->root);
	popgen_stats sa, sb, sc;
	gen_into(a, 77, 3000, &sa, 3);
	gen_into(b, 77, 3000, &sb, 3);
	gen_into(c, 78, 3000, &sc, 0);
	assert_memory_equal(&sa, &sb, sizeof sa);
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		const char *name = srcdb_kind_name((srcdb_kind)k);
		snprintf(pa, sizeof pa, "%s/%s.db", a, name);
		snprintf(pb, sizeof pb, "%s/%s.db", b, name);
		snprintf(pc, sizeof pc, "%s/%s.db", c, name);
		assert_true(file_hash(pa) == file_hash(pb));
		assert_true(rows_hash(pa) == rows_hash(pb));
		assert_true(rows_hash(pa) != rows_hash(pc));
	}
	snprintf(pa, sizeof pa, "%s/households/hh-000003.json", a);
	snprintf(pb, sizeof pb, "%s/households/hh-000003.json", b);
	assert_true(file_hash(pa) == file_hash(pb));
}

static int has_table(const char *path, const char *table)
{
	sqlite3 *db = NULL;
	sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db,
	    "SELECT count(*) FROM sqlite_schema WHERE name = ?1", -1, &st,
	    NULL);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_step(st);
	int n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void test_each_store_its_own_kind(void **state)
{
	dirs *d = *state;
	char dir[128], path[192];
	snprintf(dir, sizeof dir, "%s/own", d->root);
	popgen_stats st;
	gen_into(dir, 5, 500, &st, 0);
	snprintf(path, sizeof path, "%s/bank.db", dir);
	assert_true(has_table(path, "bank_account"));
	assert_false(has_table(path, "tax_income"));
	assert_false(has_table(path, "property_vehicle"));
	snprintf(path, sizeof path, "%s/tax.db", dir);
	assert_true(has_table(path, "tax_business"));
	assert_false(has_table(path, "bank_account"));
	snprintf(path, sizeof path, "%s/property.db", dir);
	assert_true(has_table(path, "property_real_estate"));
	assert_false(has_table(path, "tax_income"));
}

/* The facts a lookup gives are the generated ones, household by
 * household; people a source does not know are not found there. */
static void test_lookup_generated_households(void **state)
{
	dirs *d = *state;
	char dir[128], path[192];
	snprintf(dir, sizeof dir, "%s/look", d->root);
	popgen_stats st;
	gen_into(dir, 11, 4000, &st, 0);
	srcdb *db[SRCDB_KIND_COUNT];
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		snprintf(path, sizeof path, "%s/%s.db", dir,
		    srcdb_kind_name((srcdb_kind)k));
		assert_int_equal(srcdb_open(NULL, path, (srcdb_kind)k,
		                     SRCDB_OPEN_READ, &db[k]),
		    HD_OK);
	}
	popgen *g = popgen_alloc(11, 4000);
	popgen_household *h = malloc(sizeof *h);
	long long found = 0, not_found = 0;
	while (popgen_next(g, h)) {
		const char *ids[POPGEN_MAX_MEMBERS];
		for (int i = 0; i < h->n; i++)
			ids[i] = h->members[i].id_number;
		for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
			srcdb_result res;
			assert_int_equal(
			    srcdb_lookup(db[k], ids, (size_t)h->n, &res),
			    HD_OK);
			for (int i = 0; i < h->n; i++) {
				popgen_person *p = &h->members[i];
				srcdb_person *got = &res.persons[i];
				Hedui__V1__PersonHeader *hd =
				    srcdb_result_header(&res, (size_t)i);
				const ProtobufCMessage *want;
				bool want_found;
				switch (k) {
				case SRCDB_TAX:
					want = &p->tax.base;
					want_found = p->tax_found;
					got->facts.tax->person = NULL;
					break;
				case SRCDB_BANK:
					want = &p->bank.base;
					want_found = p->bank_found;
					got->facts.bank->person = NULL;
					break;
				default:
					want = &p->property.base;
					want_found = p->property_found;
					got->facts.property->person = NULL;
					break;
				}
				assert_int_equal(got->found, want_found);
				assert_string_equal(hd->id_number, ids[i]);
				if (want_found) {
					assert_true(
					    pack_eq(got->facts.msg, want));
					found++;
				} else {
					not_found++;
				}
			}
			srcdb_result_free(&res);
		}
	}
	assert_true(found > 0 && not_found > 0);
	free(h);
	popgen_free(g);
	for (int k = 0; k < SRCDB_KIND_COUNT; k++)
		srcdb_close(db[k]);
}

static void test_plausible_distributions(void **state)
{
	dirs *d = *state;
	char dir[128];
	snprintf(dir, sizeof dir, "%s/dist", d->root);
	popgen_stats st;
	gen_into(dir, 3, 30000, &st, 2);
	assert_int_equal(st.persons, 30000);
	/* 1 to 6 per household: about 2.5 */
	assert_true(st.households > 30000 / 4 && st.households < 30000 / 2);
	/* most people are known to the bank, fewer to the others */
	assert_true(st.found[SRCDB_BANK] > st.persons * 7 / 10);
	assert_true(st.found[SRCDB_TAX] > st.persons / 2);
	assert_true(st.found[SRCDB_PROPERTY] > st.persons / 3);
	/* most wages are modest */
	assert_true(st.wage_earners > st.persons / 4);
	assert_true(st.modest_wages * 10 > st.wage_earners * 6);
	/* a minority with large deposits, some with several homes, cars,
	 * businesses */
	assert_true(st.deposits_over_100k_yuan > st.persons / 50);
	assert_true(st.deposits_over_100k_yuan < st.persons / 4);
	assert_true(st.several_homes > st.persons / 200);
	assert_true(st.several_homes < st.persons / 10);
	assert_true(st.cars > st.persons / 20);
	assert_true(st.active_businesses > st.persons / 200);
	assert_true(st.active_businesses < st.persons / 10);

	/* the sample household requests are valid JSON with valid members */
	char path[192];
	snprintf(path, sizeof path, "%s/households/hh-000002.json", dir);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	assert_non_null(root);
	json_t *members = json_object_get(root, "members");
	assert_true(json_array_size(members) >= 1);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(members, 0), "relation")),
	    "applicant");
	const char *id = json_string_value(
	    json_object_get(json_array_get(members, 0), "id_number"));
	char norm[IDNUM_LEN + 1];
	assert_int_equal(idnum_check(id, 0, norm), IDNUM_OK);
	json_decref(root);
	snprintf(path, sizeof path, "%s/households/hh-000003.json", dir);
	assert_null(fopen(path, "r")); /* only the two asked for */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ids_valid_and_unique),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_same_seed_same_people),
	    cmocka_unit_test_setup_teardown(
	        test_same_seed_same_bytes, dirs_setup, dirs_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_each_store_its_own_kind, dirs_setup, dirs_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_lookup_generated_households, dirs_setup, dirs_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_plausible_distributions, dirs_setup, dirs_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
