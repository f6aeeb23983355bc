/* SPDX-License-Identifier: MIT */
#include "verdict_build.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void verdict_format_time(int64_t unix_ms, char out[32])
{
	time_t s = (time_t)(unix_ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char buf[64];
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
	    tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100, (int)(unix_ms % 1000));
	memcpy(out, buf, 31);
	out[31] = '\0';
}

void verdict_build(verdict_doc *d, const policy_household *h,
    const policy_verdict *pv, const verdict_context *ctx)
{
	Hedui__V1__Verdict *v = &d->v;
	hedui__v1__verdict__init(v);

	for (size_t m = 0; m < h->n_members; m++)
		idnum_mask(h->members[m].id_number, d->masked[m]);
	verdict_format_time(ctx->generated_at_ms, d->generated_at);
	char date[32];
	snprintf(date, sizeof date, "%04d-%02d-%02d",
	    (ctx->as_of / 10000) % 10000, (ctx->as_of / 100) % 100,
	    ctx->as_of % 100);
	memcpy(d->as_of, date, sizeof d->as_of - 1);
	d->as_of[sizeof d->as_of - 1] = '\0';

	v->report_id = (char *)ctx->report_id;
	v->case_id = (char *)ctx->case_id;
	v->request_id = (char *)ctx->request_id;
	v->region_code = (char *)ctx->region_code;
	v->agency = (char *)ctx->agency;
	v->agency_subject =
	    (char *)(ctx->agency_subject != NULL ? ctx->agency_subject : "");
	v->policy_version = (char *)ctx->policy_version;
	v->program = (char *)policy_program_name(pv->program);
	v->conclusion = (char *)policy_conclusion_name(pv->conclusion);
	v->category = (char *)policy_category_name(pv->category);
	v->area = (char *)policy_area_name(h->area);
	v->as_of = d->as_of;
	v->generated_at = d->generated_at;
	v->household_size = (int32_t)pv->household_size;
	v->monthly_income_fen = pv->monthly_income_fen;
	v->per_capita_monthly_income_fen = pv->per_capita_monthly_income_fen;
	v->financial_assets_fen = pv->financial_assets_fen;
	v->estimated_monthly_benefit_fen = pv->estimated_monthly_benefit_fen;
	v->gradual_exit_months = (int32_t)pv->gradual_exit_months;
	v->standard_fen = pv->standard_fen;
	v->marginal_line_fen = pv->marginal_fen;
	v->consents = (char **)ctx->consents;
	v->n_consents = ctx->consents != NULL ? ctx->n_consents : 0;
	v->consent_check =
	    (char *)(ctx->consent_check != NULL ? ctx->consent_check : "");

	for (size_t i = 0; i < pv->n_single_person; i++)
		d->single[i] = d->masked[pv->single_person[i]];
	v->single_person_members = d->single;
	v->n_single_person_members = pv->n_single_person;

	for (size_t i = 0; i < pv->n_reasons; i++) {
		hedui__v1__reason__init(&d->reasons[i]);
		d->reasons[i].code =
		    (char *)policy_reason_code_name(pv->reasons[i].code);
		d->reasons[i].detail = (char *)pv->reasons[i].detail;
		d->reason_ptrs[i] = &d->reasons[i];
	}
	v->reasons = d->reason_ptrs;
	v->n_reasons = pv->n_reasons;

	for (int s = 0; s < POLICY_SOURCE_COUNT; s++) {
		const policy_source_summary *ps = &pv->sources[s];
		Hedui__V1__SourceSummary *o = &d->sources[s];
		hedui__v1__source_summary__init(o);
		o->source = (char *)policy_source_name(ps->source);
		o->status = (char *)policy_source_status_name(ps->status);
		for (size_t k = 0; k < ps->n_failed; k++)
			d->failed[s][k] = d->masked[ps->failed_members[k]];
		o->failed_members = d->failed[s];
		o->n_failed_members = ps->n_failed;
		d->source_ptrs[s] = o;
	}
	v->sources = d->source_ptrs;
	v->n_sources = POLICY_SOURCE_COUNT;

	for (size_t m = 0; m < h->n_members; m++) {
		Hedui__V1__MemberFigures *f = &d->members[m];
		hedui__v1__member_figures__init(f);
		f->id_number_masked = d->masked[m];
		f->counted_monthly_income_fen = pv->member_income_fen[m];
		f->age = idnum_age(h->members[m].id_number, ctx->as_of);
		d->member_ptrs[m] = f;
	}
	v->members = d->member_ptrs;
	v->n_members = h->n_members;
}
