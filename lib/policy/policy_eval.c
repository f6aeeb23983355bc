/* SPDX-License-Identifier: MIT */
/*
 * The verdict: income, programs, benefits and the incomplete-data rule of
 * docs/RULES.md. The asset rules are in policy_assets.c.
 */
#include "policy_internal.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

typedef struct eval {
	const policy_params *p;
	const policy_household *h;
	policy_verdict *v;
	/* The lookups as the rules see them: malformed answers are FAILED. */
	policy_lookup look[POLICY_MAX_MEMBERS][POLICY_SOURCE_COUNT];
	size_t n_failed; /* (member, source) lookups that failed */
	policy_assets assets;
	bool assets_ok;
	int64_t S, M;
} eval;

/* --- income -------------------------------------------------------------- */

static int64_t member_income(const policy_params *p, const policy_tax_facts *t)
{
	int64_t w = t->wage_income_fen / 12;
	int64_t d = 0;
	if (w > 0) {
		d = pa_mul_div(w, p->employment_cost_bps, 10000);
		if (d > p->employment_cost_cap_fen)
			d = p->employment_cost_cap_fen;
	}
	int64_t gross =
	    pa_add(pa_add(t->wage_income_fen, t->business_income_fen),
	        pa_add(t->property_income_fen, t->transfer_income_fen));
	int64_t g = pa_div(gross, 12);
	if (g == PA_SAT)
		return PA_SAT;
	return g > d ? g - d : 0;
}

static void income_compute(eval *e)
{
	policy_verdict *v = e->v;
	int64_t H = 0;
	for (size_t m = 0; m < e->h->n_members; m++) {
		int64_t I = 0;
		if (e->look[m][POLICY_SOURCE_TAX] == POLICY_LOOKUP_FOUND)
			I = member_income(e->p, &e->h->members[m].tax);
		v->member_income_fen[m] = I;
		H = pa_add(H, I);
	}
	v->monthly_income_fen = H;
	v->per_capita_monthly_income_fen = pa_div(H, (int64_t)e->h->n_members);
}

/* --- programs ------------------------------------------------------------ */

static void meets(eval *e, policy_category category)
{
	e->v->conclusion = POLICY_MEETS;
	e->v->category = category;
}

static void program_dibao(eval *e)
{
	policy_verdict *v = e->v;
	int64_t P = v->per_capita_monthly_income_fen;

	if (P < e->S && e->assets_ok) {
		meets(e, POLICY_CATEGORY_DIBAO);
		return;
	}
	if (P < e->M && e->assets_ok) {
		if (e->h->currently_enrolled) {
			meets(e, POLICY_CATEGORY_GRADUAL_EXIT);
			v->gradual_exit_months = e->p->gradual_exit_months;
			return;
		}
		for (size_t m = 0; m < e->h->n_members; m++) {
			const policy_member *mem = &e->h->members[m];
			if ((mem->severe_disability || mem->severe_illness) &&
			    v->member_income_fen[m] < e->S)
				v->single_person[v->n_single_person++] =
				    (uint8_t)m;
		}
		if (v->n_single_person > 0) {
			meets(e, POLICY_CATEGORY_SINGLE_PERSON);
			return;
		}
	}
	if (P >= e->S)
		policy_reason_add(v, POLICY_INCOME_ABOVE_STANDARD,
		    "P=%" PRId64 " >= S=%" PRId64 " fen", P, e->S);
}

static void program_marginal(eval *e)
{
	int64_t P = e->v->per_capita_monthly_income_fen;

	if (P < e->M && e->assets_ok) {
		meets(e, P < e->S ? POLICY_CATEGORY_DIBAO
		                  : POLICY_CATEGORY_MARGINAL);
		return;
	}
	if (P >= e->M)
		policy_reason_add(e->v, POLICY_INCOME_ABOVE_MARGINAL,
		    "P=%" PRId64 " >= M=%" PRId64 " fen", P, e->M);
}

static void program_tekun(eval *e)
{
	const policy_member *mem = &e->h->members[0];
	int64_t I = e->v->member_income_fen[0];
	int age = idnum_age(mem->id_number, e->h->as_of);
	size_t before = e->v->n_reasons;

	if (age >= 16 && age < 60 && !mem->severe_disability)
		policy_reason_add(e->v, POLICY_HAS_LABOR_CAPACITY,
		    "age=%d (16 to 59) and no severe disability", age);
	if (mem->has_able_supporter)
		policy_reason_add(e->v, POLICY_HAS_ABLE_SUPPORTER,
		    "has_able_supporter=true");
	if (I >= e->S)
		policy_reason_add(e->v, POLICY_INCOME_ABOVE_STANDARD,
		    "I=%" PRId64 " >= S=%" PRId64 " fen", I, e->S);
	if (e->v->n_reasons == before && e->assets_ok)
		meets(e, POLICY_CATEGORY_TEKUN);
}

static void program_hardship(eval *e)
{
	int64_t P = e->v->per_capita_monthly_income_fen;
	int64_t H = e->v->monthly_income_fen;
	int64_t X = e->h->monthly_rigid_expense_fen;
	int64_t bps = e->p->rigid_expense_share_bps;
	int64_t D = e->p->disposable_income_monthly_fen[e->h->area];
	size_t before = e->v->n_reasons;

	if (P >= D)
		policy_reason_add(e->v, POLICY_INCOME_ABOVE_DISPOSABLE,
		    "P=%" PRId64 " >= disposable income=%" PRId64 " fen", P,
		    D);
	/* 128-bit products: exact for any int64 operands. */
	if (X <= 0 || (pa_u128)X * 10000 < (pa_u128)H * (pa_u128)bps)
		policy_reason_add(e->v, POLICY_RIGID_EXPENSE_BELOW_SHARE,
		    "rigid expense=%" PRId64 " fen; needs > 0 and x 10000 >= "
		    "H=%" PRId64 " fen x %" PRId64 " bps",
		    X, H, bps);
	if (e->v->n_reasons == before && e->assets_ok)
		meets(e, POLICY_CATEGORY_HARDSHIP);
}

/* --- benefit and the incomplete-data rule -------------------------------- */

static void benefit_compute(eval *e)
{
	policy_verdict *v = e->v;
	int64_t S = e->S;

	switch (v->category) {
	case POLICY_CATEGORY_DIBAO: {
		int64_t need = pa_mul((int64_t)e->h->n_members, S);
		int64_t gap =
		    need == PA_SAT ? PA_SAT : need - v->monthly_income_fen;
		v->estimated_monthly_benefit_fen = pa_round_up_yuan(gap);
		break;
	}
	case POLICY_CATEGORY_SINGLE_PERSON: {
		/* Each named member is paid on their own (单人保), so each
		 * amount is rounded up, and the total is their sum. */
		int64_t total = 0;
		for (size_t i = 0; i < v->n_single_person; i++) {
			int64_t I = v->member_income_fen[v->single_person[i]];
			int64_t b = pa_round_up_yuan(S - I);
			v->single_person_benefit_fen[i] = b;
			total = pa_add(total, b);
		}
		v->estimated_monthly_benefit_fen = total;
		break;
	}
	case POLICY_CATEGORY_TEKUN: {
		/* Clamped at 0: a tekun_bps below 10000 could make it
		 * negative, and a benefit is never negative. */
		int64_t base = pa_mul_div(S, e->p->tekun_bps, 10000);
		v->estimated_monthly_benefit_fen =
		    pa_round_up_yuan(base - v->member_income_fen[0]);
		break;
	}
	default:
		v->estimated_monthly_benefit_fen = 0;
		break;
	}
}

static void incomplete_apply(eval *e)
{
	policy_verdict *v = e->v;

	if (v->conclusion == POLICY_DOES_NOT_MEET) {
		/* More data only adds income and assets: what fails now
		 * fails with all of it too. */
		policy_reason_add(v, POLICY_SOURCE_INCOMPLETE,
		    "%zu lookup(s) failed; their facts count as zero here",
		    e->n_failed);
		return;
	}
	/* Would meet on what arrived: a person must look at it. The
	 * provisional category and benefit are withdrawn, not shown. */
	v->conclusion = POLICY_NEEDS_REVIEW;
	v->category = POLICY_CATEGORY_NONE;
	v->estimated_monthly_benefit_fen = 0;
	v->gradual_exit_months = 0;
	v->n_single_person = 0;
	memset(v->single_person_benefit_fen, 0,
	    sizeof(v->single_person_benefit_fen));
	for (int s = 0; s < POLICY_SOURCE_COUNT; s++) {
		const policy_source_summary *sum = &v->sources[s];
		for (size_t i = 0; i < sum->n_failed; i++) {
			size_t m = sum->failed_members[i];
			char masked[IDNUM_MASKED_LEN + 1];
			idnum_mask(e->h->members[m].id_number, masked);
			policy_reason_add(v, POLICY_SOURCE_UNAVAILABLE,
			    "%s lookup failed for member %zu (%s)",
			    policy_source_name((policy_source)s), m, masked);
		}
	}
}

static void verdict_invalid(const policy_household *h, policy_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->program = h != NULL && (unsigned)h->program < POLICY_PROGRAM_COUNT
	                 ? h->program
	                 : POLICY_PROGRAM_DIBAO;
	v->conclusion = POLICY_NEEDS_REVIEW;
	v->category = POLICY_CATEGORY_NONE;
	for (int s = 0; s < POLICY_SOURCE_COUNT; s++) {
		v->sources[s].source = (policy_source)s;
		v->sources[s].status = POLICY_SOURCE_FAILED;
	}
}

hd_err policy_evaluate(const policy_params *params,
    const policy_household *household, policy_verdict *out)
{
	if (out == NULL)
		return HD_EINVAL;
	if (params == NULL || household == NULL ||
	    !policy_params_valid(params) ||
	    !policy_household_valid(household)) {
		verdict_invalid(household, out);
		return HD_EINVAL;
	}

	eval e = {.p = params, .h = household, .v = out};
	/* All but the reasons: only the first n_reasons are read, each
	 * written whole when added (policy_reason_add), and zeroing all of
	 * them (14 KiB) cost more than the rules themselves. */
	memset(out, 0, offsetof(policy_verdict, reasons));
	memset(out->sources, 0, sizeof(out->sources));
	out->program = household->program;
	out->household_size = household->n_members;
	out->conclusion = POLICY_DOES_NOT_MEET;
	out->category = POLICY_CATEGORY_NONE;
	e.S = params->dibao_standard_fen[household->area];
	e.M = pa_mul_div(e.S, params->marginal_bps, 10000);
	out->standard_fen = e.S;
	out->marginal_fen = e.M;

	e.n_failed = policy_lookups_classify(household, e.look, out);
	income_compute(&e);
	policy_assets_check(params, household, e.look, e.S, &e.assets);
	e.assets_ok = policy_assets_ok(&e.assets);
	out->financial_assets_fen = e.assets.financial_fen;

	switch (household->program) {
	case POLICY_PROGRAM_DIBAO:
		program_dibao(&e);
		break;
	case POLICY_PROGRAM_MARGINAL:
		program_marginal(&e);
		break;
	case POLICY_PROGRAM_TEKUN:
		program_tekun(&e);
		break;
	default:
		program_hardship(&e);
		break;
	}
	if (out->conclusion != POLICY_MEETS)
		policy_assets_explain(
		    params, &e.assets, household->n_members, e.S, out);
	benefit_compute(&e);
	if (e.n_failed > 0)
		incomplete_apply(&e);
	return HD_OK;
}
