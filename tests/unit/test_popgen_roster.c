/* SPDX-License-Identifier: MIT */
/* hedui-source gen --roster (popgen_roster.h): the same seed gives the
 * same roster; every line is a roster line the CLI accepts; a household
 * whose facts did not change since enrollment is, by the rules engine
 * today, exactly what the roster says it is paid (so the enrollments are
 * consistent with the policy); a realistic share (10-30%) changed, with
 * every kind of change and every program present; --region keeps to its
 * counties. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "household.h"
#include "policy.h"
#include "popgen_roster.h"
#include "roster.h"

/* Today's facts of h into the engine's household, written here rather
 * than borrowed from the generator. */
static void to_policy(const popgen_household *h, policy_household *ph)
{
	memset(ph, 0, policy_household_size((size_t)h->n));
	memcpy(ph->region_code, h->region_code, 7);
	ph->area = h->rural ? POLICY_AREA_RURAL : POLICY_AREA_URBAN;
	ph->as_of = POPGEN_REFERENCE_DATE;
	ph->n_members = (size_t)h->n;
	for (int i = 0; i < h->n; i++) {
		const popgen_person *p = &h->members[i];
		policy_member *m = &ph->members[i];
		memcpy(m->id_number, p->id_number, IDNUM_LEN + 1);
		assert_true(policy_relation_parse(p->relation, &m->relation));
		m->severe_disability = p->severe_disability;
		m->severe_illness = p->severe_illness;
		m->has_able_supporter = popgen_able_supporter(h, i);
		for (int s = 0; s < POLICY_SOURCE_COUNT; s++)
			m->lookup[s] = POLICY_LOOKUP_FOUND;
		m->tax.wage_income_fen = p->tax.wage_income_fen;
		m->tax.business_income_fen = p->tax.business_income_fen;
		m->tax.property_income_fen = p->tax.property_income_fen;
		m->tax.transfer_income_fen = p->tax.transfer_income_fen;
		m->tax.excluded_income_fen = p->tax.excluded_income_fen;
		assert_int_equal(p->tax.n_businesses, 0);
		m->bank.n_accounts = p->bank.n_accounts;
		for (size_t k = 0; k < p->bank.n_accounts; k++) {
			assert_true(policy_account_kind_parse(
			    p->bank.accounts[k]->kind,
			    &m->bank.accounts[k].kind));
			m->bank.accounts[k].balance_fen =
			    p->bank.accounts[k]->balance_fen;
		}
		m->property.n_real_estate = p->property.n_real_estate;
		for (size_t k = 0; k < p->property.n_real_estate; k++) {
			const Hedui__V1__RealEstate *e =
			    p->property.real_estate[k];
			assert_true(policy_usage_parse(
			    e->usage, &m->property.real_estate[k].usage));
			m->property.real_estate[k].area_centi_m2 =
			    e->area_centi_m2;
			m->property.real_estate[k].share_bps = e->share_bps;
		}
		m->property.n_vehicles = p->property.n_vehicles;
		for (size_t k = 0; k < p->property.n_vehicles; k++) {
			assert_true(policy_vehicle_kind_parse(
			    p->property.vehicles[k]->kind,
			    &m->property.vehicles[k].kind));
			m->property.vehicles[k].value_fen =
			    p->property.vehicles[k]->value_fen;
		}
	}
}

static void enrolled_households(void **state)
{
	(void)state;
	char err[256];
	popgen_roster *r = popgen_roster_alloc(NULL, err, sizeof err);
	assert_non_null(r);
	popgen *g = popgen_alloc(99, 6000);
	assert_non_null(g);
	assert_true(popgen_set_region(g, "1101"));
	popgen_household *h = malloc(sizeof *h);
	policy_household *ph = policy_household_alloc(POPGEN_MAX_MEMBERS);
	policy_verdict *v = malloc(sizeof *v);
	assert_non_null(h);
	assert_non_null(ph);
	assert_non_null(v);
	policy_book *book;
	assert_int_equal(
	    policy_book_load(NULL, &book, err, sizeof err), HD_OK);
	long n = 0, changed = 0, unchanged_checked = 0;
	long changes[POPGEN_CHANGE_COUNT] = {0}, programs[4] = {0};
	char *line = NULL;
	size_t linecap = 0;
	while (popgen_next(g, h)) {
		popgen_enrollment e;
		assert_int_equal(popgen_roster_enroll(r, g, h, &e), HD_OK);
		assert_int_equal(strncmp(h->region_code, "1101", 4), 0);
		n++;
		changes[e.change]++;
		programs[e.program]++;
		changed += e.change != POPGEN_CHANGE_NONE;
		assert_true(e.since >= 20190101 && e.since < 20261001);

		/* The line is one the CLI's roster reader accepts. */
		FILE *f = open_memstream(&line, &linecap);
		assert_int_equal(popgen_roster_write(f, h, &e), HD_OK);
		fclose(f);
		size_t len = strlen(line);
		assert_int_equal(line[len - 1], '\n');
		assert_null(memchr(line, '\n', len - 1)); /* one line */
		roster_entry en;
		if (roster_parse_line(line, len - 1, 20261101, &en, err,
		        sizeof err) != HD_OK) {
			print_error("roster line refused: %s\n", err);
			fail();
		}
		household_norm norm;
		household_problem prob;
		bool ok =
		    household_check(en.household, 20261101, &norm, &prob);
		assert_int_equal(ok, e.change != POPGEN_CHANGE_NO_CONSENT);
		roster_entry_clear(&en);
		/* open_memstream makes a new buffer each time. */
		free(line);
		line = NULL;

		/* Nothing changed: the rules say today what was enrolled. */
		if (e.change != POPGEN_CHANGE_NONE)
			continue;
		to_policy(h, ph);
		ph->program = e.program;
		/* What the monitor sends: enrolled for whole-household
		 * dibao only. */
		ph->currently_enrolled =
		    e.program == POLICY_PROGRAM_DIBAO &&
		    (e.category == POLICY_CATEGORY_DIBAO ||
		        e.category == POLICY_CATEGORY_GRADUAL_EXIT);
		policy_params params;
		assert_int_equal(policy_book_resolve(book, h->region_code,
		                     POPGEN_REFERENCE_DATE, &params, NULL),
		    HD_OK);
		assert_int_equal(policy_evaluate(&params, ph, v), HD_OK);
		assert_int_equal(v->conclusion, POLICY_MEETS);
		assert_int_equal(v->category, e.category);
		assert_int_equal(
		    v->estimated_monthly_benefit_fen, e.monthly_benefit_fen);
		unchanged_checked++;
	}
	free(line);
	fprintf(stderr, "  %ld households, %ld changed (%ld%%)\n", n, changed,
	    changed * 100 / n);
	assert_true(n > 1000);
	assert_true(unchanged_checked > 0);
	assert_true(changed * 100 >= n * 10 && changed * 100 <= n * 35);
	for (int c = 0; c < POPGEN_CHANGE_COUNT; c++)
		if (changes[c] == 0) {
			print_error("no change %s\n",
			    popgen_change_name((popgen_change)c));
			fail();
		}
	assert_true(programs[POLICY_PROGRAM_DIBAO] > 0);
	assert_true(programs[POLICY_PROGRAM_MARGINAL] > 0);
	assert_true(programs[POLICY_PROGRAM_TEKUN] > 0);
	policy_book_free(book);
	free(v);
	policy_household_free(ph);
	free(h);
	popgen_free(g);
	popgen_roster_free(r);
}

static void gen_roster(const char *dir, const char *roster, uint64_t seed)
{
	char path[256];
	srcdb *stores[SRCDB_KIND_COUNT] = {NULL};
	assert_int_equal(mkdir(dir, 0755), 0);
	for (int k = 0; k < SRCDB_KIND_COUNT; k++) {
		snprintf(path, sizeof path, "%s/%s.db", dir,
		    srcdb_kind_name((srcdb_kind)k));
		assert_int_equal(srcdb_open(NULL, path, (srcdb_kind)k,
		                     SRCDB_OPEN_CREATE, &stores[k]),
		    HD_OK);
	}
	popgen_opts o = {.seed = seed,
	    .size = 800,
	    .region_prefix = "3301",
	    .roster_path = roster};
	popgen_stats st;
	assert_int_equal(popgen_run(&o, stores, &st), HD_OK);
	assert_int_equal(
	    st.enrolled[0] + st.enrolled[1] + st.enrolled[2] + st.enrolled[3],
	    st.households);
	for (int k = 0; k < SRCDB_KIND_COUNT; k++)
		srcdb_close(stores[k]);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 4 << 20);
	size_t n = fread(buf, 1, (4 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void same_seed_same_roster(void **state)
{
	(void)state;
	char root[] = "/tmp/hedui-popros-XXXXXX";
	assert_non_null(mkdtemp(root));
	char a[128], b[128], c[128], ra[160], rb[160], rc[160];
	snprintf(a, sizeof a, "%s/a", root);
	snprintf(b, sizeof b, "%s/b", root);
	snprintf(c, sizeof c, "%s/c", root);
	snprintf(ra, sizeof ra, "%s/a.jsonl", root);
	snprintf(rb, sizeof rb, "%s/b.jsonl", root);
	snprintf(rc, sizeof rc, "%s/c.jsonl", root);
	gen_roster(a, ra, 5);
	gen_roster(b, rb, 5);
	gen_roster(c, rc, 6);
	char *x = slurp(ra), *y = slurp(rb), *z = slurp(rc);
	assert_true(strlen(x) > 1000);
	assert_string_equal(x, y);
	assert_string_not_equal(x, z);
	/* Only the counties asked for. */
	for (char *p = x; (p = strstr(p, "\"region_code\":\"")) != NULL; p++)
		assert_int_equal(strncmp(p + 15, "3301", 4), 0);
	free(x);
	free(y);
	free(z);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);

	/* A prefix no known county has. */
	popgen *g = popgen_alloc(1, 10);
	assert_false(popgen_set_region(g, "99"));
	popgen_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(enrolled_households),
	    cmocka_unit_test(same_seed_same_roster),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
