/* SPDX-License-Identifier: MIT */
/*
 * The distributions behind the generated facts. Plain brackets with
 * weights in permille, loosely after published Chinese household surveys:
 * most wages modest, pensions small in the countryside, most savings small
 * with a long tail, most urban households owning one home and a few
 * owning several. Not statistics: enough spread that every assistance rule
 * has people on both sides of it.
 */
#include "popgen_facts.h"

#include <string.h>

#define YUAN 100 /* fen */

static const pg_bracket pg_wage_urban[] = {/* yuan a month */
    {200, 1800, 3000}, {400, 3000, 6000}, {250, 6000, 12000},
    {120, 12000, 30000}, {30, 30000, 80000}};
static const pg_bracket pg_wage_rural[] = {{400, 1200, 3000},
    {400, 3000, 5000}, {170, 5000, 10000}, {30, 10000, 25000}};
static const pg_bracket pg_pension_urban[] = {/* yuan a month */
    {300, 1500, 3000}, {400, 3000, 5000}, {150, 5000, 9000}};
static const pg_bracket pg_pension_rural[] = {{900, 150, 400}};
static const pg_bracket pg_business_income[] = {/* yuan a year */
    {600, 20000, 80000}, {300, 80000, 200000}, {100, 200000, 600000}};
static const pg_bracket pg_capital[] = {/* yuan */
    {550, 10000, 100000}, {300, 100000, 1000000}, {150, 1000000, 10000000}};
static const pg_bracket pg_deposit_adult[] = {/* yuan */
    {400, 0, 5000}, {300, 5000, 20000}, {170, 20000, 80000},
    {100, 80000, 500000}, {30, 500000, 3000000}};
static const pg_bracket pg_wealth[] = {
    {600, 10000, 100000}, {330, 100000, 500000}, {70, 500000, 2000000}};
static const pg_bracket pg_car[] = {/* yuan */
    {500, 30000, 100000}, {400, 100000, 250000}, {100, 250000, 800000}};
static const pg_bracket pg_home_urban[] = {/* 0.01 m² */
    {300, 4000, 7000}, {450, 7000, 11000}, {200, 11000, 16000},
    {50, 16000, 30000}};
static const pg_bracket pg_home_rural[] = {{1000, 8000, 25000}};

static int64_t pg_pick_one(pg_rng *r, const pg_bracket *b, size_t n)
{
	int64_t v;
	pg_pick(r, b, n, &v);
	return v;
}
#define PICK(r, table)                                                        \
	pg_pick_one((r), (table), sizeof(table) / sizeof(table[0]))

/* An amount in yuan brackets as fen, with cents where balances have them. */
static int64_t pg_fen(pg_rng *r, int64_t yuan, bool cents)
{
	return yuan * YUAN + (cents ? (int64_t)pg_below(r, 100) : 0);
}

static void pg_tax(pg_rng *r, popgen_person *p, int age, bool rural)
{
	Hedui__V1__TaxFacts *t = &p->tax;
	bool retired = age > 60;
	bool works = !retired && age >= 16 &&
	             (age >= 23 || pg_chance(r, 400)) &&
	             pg_chance(r, rural ? 650 : 820);
	if (works) {
		int64_t monthly =
		    rural ? PICK(r, pg_wage_rural) : PICK(r, pg_wage_urban);
		t->wage_income_fen = monthly * 12 * YUAN;
	}
	if (retired && pg_chance(r, rural ? 900 : 850)) {
		int64_t monthly = rural ? PICK(r, pg_pension_rural)
		                        : PICK(r, pg_pension_urban);
		t->transfer_income_fen = monthly * 12 * YUAN;
	} else if (age >= 18 && pg_chance(r, 20)) {
		t->transfer_income_fen = pg_range(r, 1000, 20000) * YUAN;
	}
	if (age >= 20 && age <= 65 && pg_chance(r, 60))
		t->business_income_fen = PICK(r, pg_business_income) * YUAN;
	if (age >= 25 && pg_chance(r, 40))
		t->property_income_fen = pg_range(r, 6000, 120000) * YUAN;
	if (pg_chance(r, 30))
		t->excluded_income_fen = pg_range(r, 500, 12000) * YUAN;
	if (age >= 20 && age <= 70 && pg_chance(r, 50)) {
		size_t n = pg_chance(r, 750) ? 1 : 2;
		for (size_t i = 0; i < n; i++) {
			Hedui__V1__Business *b = &p->business[i];
			hedui__v1__business__init(b);
			b->registered_capital_fen = PICK(r, pg_capital) * YUAN;
			b->status = pg_chance(r, 800) ? "active" : "closed";
		}
		t->n_businesses = n;
	}
}

static void pg_account(popgen_person *p, char *kind, int64_t balance)
{
	Hedui__V1__BankFacts *b = &p->bank;
	if (b->n_accounts >= POPGEN_MAX_ACCOUNTS)
		return;
	Hedui__V1__Account *a = &p->account[b->n_accounts++];
	hedui__v1__account__init(a);
	a->kind = kind;
	a->balance_fen = balance;
}

static void pg_bank(pg_rng *r, popgen_person *p, int age)
{
	if (age < 18) {
		if (pg_chance(r, 250))
			pg_account(p, "deposit",
			    pg_fen(r, pg_range(r, 100, 20000), true));
		return;
	}
	if (pg_chance(r, 920))
		pg_account(
		    p, "deposit", pg_fen(r, PICK(r, pg_deposit_adult), true));
	if (pg_chance(r, 100))
		pg_account(p, "securities",
		    pg_fen(r, pg_range(r, 5000, 500000), true));
	if (pg_chance(r, 80))
		pg_account(p, "wealth", pg_fen(r, PICK(r, pg_wealth), false));
	if (pg_chance(r, 150))
		pg_account(p, "insurance",
		    pg_fen(r, pg_range(r, 2000, 100000), true));
}

static void pg_vehicle(popgen_person *p, char *kind, int64_t value_fen)
{
	Hedui__V1__PropertyFacts *pf = &p->property;
	if (pf->n_vehicles >= POPGEN_MAX_VEHICLES)
		return;
	Hedui__V1__Vehicle *v = &p->vehicle[pf->n_vehicles++];
	hedui__v1__vehicle__init(v);
	v->kind = kind;
	v->value_fen = value_fen;
}

static void pg_vehicles(pg_rng *r, popgen_person *p, int age, bool rural)
{
	if (p->severe_disability && pg_chance(r, 500))
		pg_vehicle(
		    p, "disability_mobility", pg_range(r, 3000, 12000) * YUAN);
	if (age < 18 || age > 75)
		return;
	if (pg_chance(r, rural ? 120 : 250))
		pg_vehicle(p, "car", PICK(r, pg_car) * YUAN);
	if (pg_chance(r, rural ? 30 : 10))
		pg_vehicle(p, "truck", pg_range(r, 50000, 300000) * YUAN);
	if (pg_chance(r, rural ? 150 : 40))
		pg_vehicle(p, "motorcycle", pg_range(r, 3000, 15000) * YUAN);
	if (pg_chance(r, 250))
		pg_vehicle(p, "electric_bike", pg_range(r, 1500, 5000) * YUAN);
	if (rural && pg_chance(r, 80))
		pg_vehicle(
		    p, "farm_machinery", pg_range(r, 5000, 150000) * YUAN);
}

void popgen_facts_person(pg_rng *r, popgen_person *p, int age, bool rural)
{
	hedui__v1__tax_facts__init(&p->tax);
	hedui__v1__bank_facts__init(&p->bank);
	hedui__v1__property_facts__init(&p->property);
	pg_tax(r, p, age, rural);
	pg_bank(r, p, age);
	pg_vehicles(r, p, age, rural);
}

static void pg_estate(
    popgen_person *p, char *usage, int64_t area, int64_t share)
{
	Hedui__V1__PropertyFacts *pf = &p->property;
	if (pf->n_real_estate >= POPGEN_MAX_ESTATES)
		return;
	Hedui__V1__RealEstate *e = &p->estate[pf->n_real_estate++];
	hedui__v1__real_estate__init(e);
	e->usage = usage;
	e->area_centi_m2 = area;
	e->share_bps = share;
}

void popgen_facts_property(pg_rng *r, popgen_household *h)
{
	popgen_person *head = &h->members[0];
	popgen_person *spouse = NULL;
	for (int i = 1; i < h->n; i++)
		if (strcmp(h->members[i].relation, "spouse") == 0)
			spouse = &h->members[i];
	if (pg_chance(r, h->rural ? 880 : 650)) {
		int64_t area =
		    h->rural ? PICK(r, pg_home_rural) : PICK(r, pg_home_urban);
		if (spouse != NULL && pg_chance(r, 700)) {
			pg_estate(head, "residential", area, 5000);
			pg_estate(spouse, "residential", area, 5000);
		} else {
			pg_estate(head, "residential", area, 10000);
		}
		if (pg_chance(r, h->rural ? 60 : 120)) {
			pg_estate(head, "residential",
			    pg_range(r, 3000, 12000), 10000);
			if (pg_chance(r, 300))
				pg_estate(head, "residential",
				    pg_range(r, 3000, 12000), 10000);
		}
		if (!h->rural && pg_chance(r, 150))
			pg_estate(
			    head, "parking", pg_range(r, 1200, 1500), 10000);
	}
	if (pg_chance(r, 30))
		pg_estate(head, pg_chance(r, 600) ? "commercial" : "office",
		    pg_range(r, 2000, 20000), 10000);
	if (pg_chance(r, 5))
		pg_estate(
		    head, "industrial", pg_range(r, 20000, 200000), 10000);
	if (pg_chance(r, 10))
		pg_estate(head, "other", pg_range(r, 500, 3000), 10000);
}

void popgen_facts_finish(popgen_person *p)
{
	Hedui__V1__TaxFacts *t = &p->tax;
	for (size_t i = 0; i < t->n_businesses; i++)
		p->business_p[i] = &p->business[i];
	t->businesses = t->n_businesses ? p->business_p : NULL;
	for (size_t i = 0; i < p->bank.n_accounts; i++)
		p->account_p[i] = &p->account[i];
	p->bank.accounts = p->bank.n_accounts ? p->account_p : NULL;
	for (size_t i = 0; i < p->property.n_real_estate; i++)
		p->estate_p[i] = &p->estate[i];
	p->property.real_estate =
	    p->property.n_real_estate ? p->estate_p : NULL;
	for (size_t i = 0; i < p->property.n_vehicles; i++)
		p->vehicle_p[i] = &p->vehicle[i];
	p->property.vehicles = p->property.n_vehicles ? p->vehicle_p : NULL;

	/* A source knows a person it holds something about. */
	p->tax_found = t->wage_income_fen || t->business_income_fen ||
	               t->property_income_fen || t->transfer_income_fen ||
	               t->excluded_income_fen || t->n_businesses;
	p->bank_found = p->bank.n_accounts > 0;
	p->property_found =
	    p->property.n_real_estate > 0 || p->property.n_vehicles > 0;
}
