/* SPDX-License-Identifier: MIT */
/* popgen_roster: enrolled households, their enrollment by the rules, and
 * what changed since (popgen_roster.h). */
#include "popgen_roster.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "popgen_facts.h"
#include "popgen_rng.h"

#define YUAN 100 /* fen */

struct popgen_roster {
	policy_book *book;
	policy_household *ph; /* room for the largest household, reused */
	policy_verdict verdict;
};

const char *popgen_change_name(popgen_change c)
{
	static const char *const names[POPGEN_CHANGE_COUNT] = {"none",
	    "income_shift", "to_marginal", "over_limits", "income_fell",
	    "source_gap", "no_consent"};
	return (unsigned)c < POPGEN_CHANGE_COUNT ? names[c] : "unknown";
}

popgen_roster *popgen_roster_alloc(
    const char *policy_file, char *err, size_t errlen)
{
	popgen_roster *r = calloc(1, sizeof *r);
	if (r == NULL ||
	    (r->ph = policy_household_alloc(POPGEN_MAX_MEMBERS)) == NULL) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (policy_book_load(policy_file, &r->book, err, errlen) != HD_OK) {
		popgen_roster_free(r);
		return NULL;
	}
	return r;
}

void popgen_roster_free(popgen_roster *r)
{
	if (r == NULL)
		return;
	policy_book_free(r->book);
	policy_household_free(r->ph);
	free(r);
}

/* --- facts of a household that assistance is for ------------------------- */

static void pr_account(popgen_person *p, char *kind, int64_t balance)
{
	if (p->bank.n_accounts >= POPGEN_MAX_ACCOUNTS)
		return;
	Hedui__V1__Account *a = &p->account[p->bank.n_accounts++];
	hedui__v1__account__init(a);
	a->kind = kind;
	a->balance_fen = balance;
}

static void pr_vehicle(popgen_person *p, char *kind, int64_t value)
{
	if (p->property.n_vehicles >= POPGEN_MAX_VEHICLES)
		return;
	Hedui__V1__Vehicle *v = &p->vehicle[p->property.n_vehicles++];
	hedui__v1__vehicle__init(v);
	v->kind = kind;
	v->value_fen = value;
}

/* Low wages or none, small pensions, small savings, one home at most, no
 * car and no business: the households assistance is for. */
static void pr_poor(pg_rng *rng, popgen_household *h)
{
	for (int i = 0; i < h->n; i++) {
		popgen_person *p = &h->members[i];
		int age = idnum_age(p->id_number, POPGEN_REFERENCE_DATE);
		hedui__v1__tax_facts__init(&p->tax);
		hedui__v1__bank_facts__init(&p->bank);
		hedui__v1__property_facts__init(&p->property);
		if (age >= 18 && age < 60 && pg_chance(rng, 500))
			p->tax.wage_income_fen =
			    (h->rural ? pg_range(rng, 600, 1800)
			              : pg_range(rng, 800, 2500)) *
			    12 * YUAN;
		if (age >= 60 && pg_chance(rng, h->rural ? 850 : 600))
			p->tax.transfer_income_fen =
			    (h->rural ? pg_range(rng, 150, 400)
			              : pg_range(rng, 500, 1400)) *
			    12 * YUAN;
		if (pg_chance(rng, 30))
			p->tax.excluded_income_fen =
			    pg_range(rng, 500, 6000) * YUAN;
		if (age >= 16 && pg_chance(rng, 750))
			pr_account(p, "deposit",
			    pg_range(rng, 0, 6000) * YUAN +
			        (int64_t)pg_below(rng, 100));
		if (age >= 18 && age <= 75 && pg_chance(rng, 200))
			pr_vehicle(p, "electric_bike",
			    pg_range(rng, 1500, 4000) * YUAN);
		if (h->rural && age >= 18 && pg_chance(rng, 100))
			pr_vehicle(
			    p, "motorcycle", pg_range(rng, 3000, 9000) * YUAN);
	}
	popgen_person *head = &h->members[0];
	if (pg_chance(rng, 700)) {
		Hedui__V1__RealEstate *e = &head->estate[0];
		hedui__v1__real_estate__init(e);
		e->usage = "residential";
		e->area_centi_m2 = h->rural ? pg_range(rng, 8000, 20000)
		                            : pg_range(rng, 3000, 9000);
		e->share_bps = 10000;
		head->property.n_real_estate = 1;
	}
	for (int i = 0; i < h->n; i++)
		popgen_facts_finish(&h->members[i]);
}

/* --- the rules ----------------------------------------------------------- */

static void pr_member(const popgen_household *h, int i, policy_member *m)
{
	const popgen_person *p = &h->members[i];
	memcpy(m->id_number, p->id_number, IDNUM_LEN + 1);
	(void)policy_relation_parse(p->relation, &m->relation);
	m->severe_disability = p->severe_disability;
	m->severe_illness = p->severe_illness;
	m->has_able_supporter = popgen_able_supporter(h, i);
	/* Not known to a source counts as zero, like nothing held. */
	for (int s = 0; s < POLICY_SOURCE_COUNT; s++)
		m->lookup[s] = POLICY_LOOKUP_FOUND;
	const Hedui__V1__TaxFacts *t = &p->tax;
	m->tax.wage_income_fen = t->wage_income_fen;
	m->tax.business_income_fen = t->business_income_fen;
	m->tax.property_income_fen = t->property_income_fen;
	m->tax.transfer_income_fen = t->transfer_income_fen;
	m->tax.excluded_income_fen = t->excluded_income_fen;
	for (size_t k = 0; k < t->n_businesses; k++) {
		m->tax.businesses[k].registered_capital_fen =
		    p->business[k].registered_capital_fen;
		(void)policy_business_status_parse(
		    p->business[k].status, &m->tax.businesses[k].status);
	}
	m->tax.n_businesses = t->n_businesses;
	for (size_t k = 0; k < p->bank.n_accounts; k++) {
		(void)policy_account_kind_parse(
		    p->account[k].kind, &m->bank.accounts[k].kind);
		m->bank.accounts[k].balance_fen = p->account[k].balance_fen;
	}
	m->bank.n_accounts = p->bank.n_accounts;
	for (size_t k = 0; k < p->property.n_real_estate; k++) {
		(void)policy_usage_parse(
		    p->estate[k].usage, &m->property.real_estate[k].usage);
		m->property.real_estate[k].area_centi_m2 =
		    p->estate[k].area_centi_m2;
		m->property.real_estate[k].share_bps = p->estate[k].share_bps;
	}
	m->property.n_real_estate = p->property.n_real_estate;
	for (size_t k = 0; k < p->property.n_vehicles; k++) {
		(void)policy_vehicle_kind_parse(
		    p->vehicle[k].kind, &m->property.vehicles[k].kind);
		m->property.vehicles[k].value_fen = p->vehicle[k].value_fen;
	}
	m->property.n_vehicles = p->property.n_vehicles;
}

/* What the rules say of h today for program. */
static hd_err pr_evaluate(popgen_roster *r, const popgen_household *h,
    policy_program program, bool enrolled)
{
	policy_params params;
	hd_err e = policy_book_resolve(
	    r->book, h->region_code, POPGEN_REFERENCE_DATE, &params, NULL);
	if (e != HD_OK)
		return e;
	policy_household *ph = r->ph;
	/* The household is its members: zeroed whole, members included. */
	memset(ph, 0, policy_household_size((size_t)h->n));
	memcpy(ph->region_code, h->region_code, 7);
	ph->area = h->rural ? POLICY_AREA_RURAL : POLICY_AREA_URBAN;
	ph->program = program;
	ph->as_of = POPGEN_REFERENCE_DATE;
	ph->currently_enrolled = enrolled;
	ph->n_members = (size_t)h->n;
	for (int i = 0; i < h->n; i++)
		pr_member(h, i, &ph->members[i]);
	return policy_evaluate(&params, ph, &r->verdict);
}

static bool pr_meets(const popgen_roster *r)
{
	return r->verdict.conclusion == POLICY_MEETS;
}

/* --- what changed since -------------------------------------------------- */

/* Adds delta to the counted monthly income of the household through the
 * head's transfer income (counted whole: no employment deduction), so the
 * new per-capita income lands where it was aimed. */
static void pr_add_income(popgen_household *h, int64_t monthly_delta)
{
	Hedui__V1__TaxFacts *t = &h->members[0].tax;
	int64_t v = t->transfer_income_fen + monthly_delta * 12;
	t->transfer_income_fen = v > 0 ? v : 0;
}

static popgen_change pr_draw(pg_rng *rng)
{
	int x = (int)pg_below(rng, 1000);
	if (x < 700)
		return POPGEN_CHANGE_NONE;
	if (x < 800)
		return POPGEN_CHANGE_INCOME_SHIFT;
	if (x < 860)
		return POPGEN_CHANGE_TO_MARGINAL;
	if (x < 920)
		return POPGEN_CHANGE_OVER_LIMITS;
	if (x < 945)
		return POPGEN_CHANGE_INCOME_FELL;
	if (x < 970)
		return POPGEN_CHANGE_SOURCE_GAP;
	if (x < 980)
		return POPGEN_CHANGE_NO_CONSENT;
	return POPGEN_CHANGE_NONE;
}

/* Applies the change to h's facts, given the verdict at enrollment. */
static void pr_change(pg_rng *rng, popgen_household *h,
    const policy_verdict *then, popgen_change c)
{
	int64_t n = h->n, S = then->standard_fen, M = then->marginal_fen;
	int64_t H = then->monthly_income_fen;
	switch (c) {
	case POPGEN_CHANGE_NONE:
		break;
	case POPGEN_CHANGE_INCOME_SHIFT: {
		int64_t d = pg_range(rng, 100, 600) * YUAN;
		pr_add_income(h, pg_chance(rng, 500) || H < d ? d : -d);
		break;
	}
	case POPGEN_CHANGE_TO_MARGINAL:
		pr_add_income(h, (S + pg_range(rng, 0, M - S - 1)) * n - H);
		break;
	case POPGEN_CHANGE_OVER_LIMITS: {
		int k = (int)pg_below(rng, 3);
		if (k == 0)
			pr_add_income(h, (M + pg_range(rng, 0, S)) * n - H);
		else if (k == 1)
			pr_vehicle(&h->members[0], "car",
			    pg_range(rng, 40000, 150000) * YUAN);
		else
			pr_account(&h->members[0], "deposit",
			    S * 30 * n + pg_range(rng, 0, 50000) * YUAN);
		break;
	}
	case POPGEN_CHANGE_INCOME_FELL: {
		popgen_person *top = NULL;
		for (int i = 0; i < h->n; i++)
			if (top == NULL || h->members[i].tax.wage_income_fen >
			                       top->tax.wage_income_fen)
				top = &h->members[i];
		top->tax.wage_income_fen = 0;
		break;
	}
	case POPGEN_CHANGE_SOURCE_GAP:
		h->members[pg_below(rng, (uint64_t)h->n)].bank_fault =
		    SRCDB_FAULT_UNAVAILABLE;
		break;
	case POPGEN_CHANGE_NO_CONSENT:
		h->members[pg_below(rng, (uint64_t)h->n)].no_consent = true;
		break;
	default:
		break;
	}
	for (int i = 0; i < h->n; i++)
		popgen_facts_finish(&h->members[i]);
}

/* The program a household is enrolled in: tekun for most who can be
 * (alone, no labour capacity), marginal for some, else dibao. */
static policy_program pr_program(pg_rng *rng, const popgen_household *h)
{
	if (h->n == 1) {
		const popgen_person *p = &h->members[0];
		int age = idnum_age(p->id_number, POPGEN_REFERENCE_DATE);
		if ((age >= 60 || age < 16 || p->severe_disability) &&
		    pg_chance(rng, 600))
			return POLICY_PROGRAM_TEKUN;
	}
	return pg_chance(rng, 120) ? POLICY_PROGRAM_MARGINAL
	                           : POLICY_PROGRAM_DIBAO;
}

hd_err popgen_roster_enroll(
    popgen_roster *r, popgen *g, popgen_household *h, popgen_enrollment *e)
{
	pg_rng *rng = popgen_rng(g);
	policy_program program = pr_program(rng, h);
	hd_err err = HD_OK;
	bool met = false;
	for (int tries = 0; tries < 6 && !met && err == HD_OK; tries++) {
		pr_poor(rng, h);
		if (program == POLICY_PROGRAM_MARGINAL) {
			/* Enrolled as marginal: between S and M then. */
			if ((err = pr_evaluate(r, h, program, false)) != HD_OK)
				break;
			int64_t S = r->verdict.standard_fen;
			int64_t M = r->verdict.marginal_fen;
			int64_t target =
			    (S + pg_range(rng, 0, M - S - 1)) * h->n;
			pr_add_income(
			    h, target - r->verdict.monthly_income_fen);
			popgen_facts_finish(&h->members[0]);
		}
		if ((err = pr_evaluate(r, h, program, false)) == HD_OK)
			met = pr_meets(r);
	}
	if (err == HD_OK && !met) {
		/* Nothing drawn fits: no income at all, as dibao. */
		program = POLICY_PROGRAM_DIBAO;
		for (int i = 0; i < h->n; i++) {
			h->members[i].tax.wage_income_fen = 0;
			h->members[i].tax.transfer_income_fen = 0;
			h->members[i].bank.n_accounts = 0;
			popgen_facts_finish(&h->members[i]);
		}
		if ((err = pr_evaluate(r, h, program, false)) == HD_OK &&
		    !pr_meets(r))
			err = HD_EINTERNAL;
	}
	if (err != HD_OK)
		return err;
	e->program = program;
	e->category = r->verdict.category;
	e->monthly_benefit_fen = r->verdict.estimated_monthly_benefit_fen;
	int year = (int)pg_range(rng, 2019, 2026);
	int month = (int)pg_range(rng, 1, year == 2026 ? 9 : 12);
	e->since = year * 10000 + month * 100 + (int)pg_range(rng, 1, 28);
	e->change = pr_draw(rng);
	policy_verdict then = r->verdict;
	pr_change(rng, h, &then, e->change);
	return HD_OK;
}

hd_err popgen_roster_write(
    FILE *f, const popgen_household *h, const popgen_enrollment *e)
{
	const char *program = policy_program_name(e->program);
	json_t *root = popgen_household_json(h, program);
	if (root == NULL)
		return HD_ENOMEM;
	/* Everyone on a roster is enrolled: the monitor says so itself. */
	json_object_del(root, "currently_enrolled");
	char since[16];
	snprintf(since, sizeof since, "%04d-%02d-%02d", e->since / 10000,
	    e->since / 100 % 100, e->since % 100);
	json_object_set_new(root, "enrollment",
	    json_pack("{s:s, s:s, s:I, s:s}", "program", program, "category",
	        policy_category_name(e->category), "monthly_benefit_fen",
	        (json_int_t)e->monthly_benefit_fen, "since", since));
	char *line = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (line == NULL)
		return HD_ENOMEM;
	bool ok = fputs(line, f) >= 0 && fputc('\n', f) != EOF;
	free(line);
	return ok ? HD_OK : HD_EIO;
}
