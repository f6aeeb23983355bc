/* SPDX-License-Identifier: MIT */
#include "verdict_json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli_json.h"
#include "utf8.h"
#include "verdict_text.h"

/* Building tracks one flag instead of checking every call: a failed
 * json_object_set_new has already released its value. */
typedef struct vj_builder {
	json_t *obj;
	bool ok;
} vj_builder;

static json_t *vj_masked_ids(vj_builder *b, char **ids, size_t n)
{
	json_t *arr = json_array();
	if (arr == NULL) {
		b->ok = false;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		char masked[32];
		verdict_text_mask_id(ids[i], masked, sizeof masked);
		if (json_array_append_new(arr, json_string(masked)) != 0)
			b->ok = false;
	}
	return arr;
}

static json_t *vj_reasons(vj_builder *b, const Hedui__V1__Verdict *v)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < v->n_reasons; i++) {
		json_t *o = json_object();
		char *detail = verdict_text_scrub(v->reasons[i]->detail);
		if (o != NULL) {
			cli_json_set(&b->ok, o, "code",
			    cli_json_string(v->reasons[i]->code));
			cli_json_set(&b->ok, o, "detail",
			    detail ? cli_json_string(detail) : NULL);
		}
		free(detail);
		cli_json_append(&b->ok, arr, o);
	}
	return arr;
}

static json_t *vj_sources(vj_builder *b, const Hedui__V1__Verdict *v)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < v->n_sources; i++) {
		const Hedui__V1__SourceSummary *s = v->sources[i];
		json_t *o = json_object();
		if (o != NULL) {
			cli_json_set(
			    &b->ok, o, "source", cli_json_string(s->source));
			cli_json_set(
			    &b->ok, o, "status", cli_json_string(s->status));
			cli_json_set(&b->ok, o, "failed_members",
			    vj_masked_ids(
			        b, s->failed_members, s->n_failed_members));
		}
		cli_json_append(&b->ok, arr, o);
	}
	return arr;
}

static json_t *vj_members(vj_builder *b, const Hedui__V1__Verdict *v)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < v->n_members; i++) {
		const Hedui__V1__MemberFigures *m = v->members[i];
		char masked[32];
		verdict_text_mask_id(
		    m->id_number_masked, masked, sizeof masked);
		json_t *o = json_object();
		if (o != NULL) {
			cli_json_set(
			    &b->ok, o, "id_number", json_string(masked));
			cli_json_set(&b->ok, o, "counted_monthly_income_fen",
			    json_integer(m->counted_monthly_income_fen));
			cli_json_set(&b->ok, o, "age", json_integer(m->age));
		}
		cli_json_append(&b->ok, arr, o);
	}
	return arr;
}

static json_t *vj_base64(const uint8_t *data, size_t len)
{
	char *s = verdict_text_base64(data, len);
	json_t *v = s != NULL ? json_string(s) : NULL;
	free(s);
	return v;
}

static void vj_verdict(vj_builder *b, const Hedui__V1__Verdict *v,
    const Hedui__V1__VerifyHouseholdResponse *r)
{
	json_t *o = b->obj;
	/* docs/RULES.md's fields, in its order. */
	cli_json_set(&b->ok, o, "report_id", cli_json_string(v->report_id));
	cli_json_set(&b->ok, o, "case_id", cli_json_string(v->case_id));
	cli_json_set(&b->ok, o, "program", cli_json_string(v->program));
	cli_json_set(&b->ok, o, "conclusion", cli_json_string(v->conclusion));
	cli_json_set(&b->ok, o, "category", cli_json_string(v->category));
	cli_json_set(
	    &b->ok, o, "household_size", json_integer(v->household_size));
	cli_json_set(&b->ok, o, "monthly_income_fen",
	    json_integer(v->monthly_income_fen));
	cli_json_set(&b->ok, o, "per_capita_monthly_income_fen",
	    json_integer(v->per_capita_monthly_income_fen));
	cli_json_set(&b->ok, o, "financial_assets_fen",
	    json_integer(v->financial_assets_fen));
	cli_json_set(&b->ok, o, "estimated_monthly_benefit_fen",
	    json_integer(v->estimated_monthly_benefit_fen));
	cli_json_set(&b->ok, o, "gradual_exit_months",
	    json_integer(v->gradual_exit_months));
	cli_json_set(&b->ok, o, "single_person_members",
	    vj_masked_ids(
	        b, v->single_person_members, v->n_single_person_members));
	cli_json_set(&b->ok, o, "reasons", vj_reasons(b, v));
	cli_json_set(&b->ok, o, "sources", vj_sources(b, v));
	cli_json_set(
	    &b->ok, o, "policy_version", cli_json_string(v->policy_version));
	cli_json_set(
	    &b->ok, o, "generated_at", cli_json_string(v->generated_at));
	cli_json_set(&b->ok, o, "signature",
	    vj_base64(r->signature.data, r->signature.len));
	/* Beyond the contract. */
	cli_json_set(
	    &b->ok, o, "region_code", cli_json_string(v->region_code));
	cli_json_set(&b->ok, o, "area", cli_json_string(v->area));
	cli_json_set(&b->ok, o, "as_of", cli_json_string(v->as_of));
	cli_json_set(&b->ok, o, "agency", cli_json_string(v->agency));
	cli_json_set(
	    &b->ok, o, "agency_subject", cli_json_string(v->agency_subject));
	cli_json_set(&b->ok, o, "request_id", cli_json_string(v->request_id));
	cli_json_set(&b->ok, o, "standard_fen", json_integer(v->standard_fen));
	cli_json_set(&b->ok, o, "marginal_line_fen",
	    json_integer(v->marginal_line_fen));
	cli_json_set(&b->ok, o, "members", vj_members(b, v));
	cli_json_set(
	    &b->ok, o, "signature_alg", cli_json_string(r->signature_alg));
	cli_json_set(
	    &b->ok, o, "report", vj_base64(r->report.data, r->report.len));
	/* The consent registry: the numbers used and how they were checked
	 * ("registry", "unchecked", "" before the registry). */
	json_t *consents = json_array();
	for (size_t i = 0; consents != NULL && i < v->n_consents; i++)
		cli_json_append(
		    &b->ok, consents, cli_json_string(v->consents[i]));
	cli_json_set(&b->ok, o, "consents", consents);
	cli_json_set(
	    &b->ok, o, "consent_check", cli_json_string(v->consent_check));
}

json_t *verdict_json_build(const Hedui__V1__VerifyHouseholdResponse *r)
{
	Hedui__V1__Verdict *owned;
	const Hedui__V1__Verdict *v = verdict_text_resolve(r, &owned);
	if (v == NULL)
		return NULL;
	vj_builder b = {.obj = json_object(), .ok = true};
	if (b.obj != NULL)
		vj_verdict(&b, v, r);
	verdict_text_release(owned);
	if (!b.ok) {
		json_decref(b.obj);
		return NULL;
	}
	return b.obj;
}

hd_err verdict_json_print(
    FILE *out, const Hedui__V1__VerifyHouseholdResponse *r)
{
	json_t *j = verdict_json_build(r);
	if (j == NULL)
		return HD_EINVAL;
	int rc = json_dumpf(j, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (rc != 0 || fputc('\n', out) == EOF)
		return HD_EIO;
	return HD_OK;
}
