/* SPDX-License-Identifier: MIT */
#include "verdict_json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "verdict_text.h"

/* Building tracks one flag instead of checking every call: a failed
 * json_object_set_new has already released its value. */
typedef struct vj_builder {
	json_t *obj;
	bool ok;
} vj_builder;

static void vj_set(vj_builder *b, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		b->ok = false;
}

static json_t *vj_string(const char *s)
{
	if (s == NULL)
		s = "";
	/* Not UTF-8: say so rather than drop the whole verdict. */
	if (!utf8_valid(s, strlen(s)))
		return json_string("(not valid UTF-8)");
	/* The JSON may be read on a terminal: DEL and C1 controls, which
	 * JSON leaves unescaped, become '?' (C0 ones too, rather than
	 * \u001b escapes that a careless consumer would print). */
	size_t len = strlen(s) + 1;
	char *clean = malloc(len);
	if (clean == NULL)
		return NULL;
	json_t *v = json_string(utf8_sanitize(s, clean, len, true));
	free(clean);
	return v;
}

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

static void vj_append(vj_builder *b, json_t *arr, json_t *item)
{
	if (arr == NULL || item == NULL ||
	    json_array_append_new(arr, item) != 0)
		b->ok = false;
}

static json_t *vj_reasons(vj_builder *b, const Hedui__V1__Verdict *v)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < v->n_reasons; i++) {
		json_t *o = json_object();
		char *detail = verdict_text_scrub(v->reasons[i]->detail);
		if (o != NULL) {
			vj_set(b, o, "code", vj_string(v->reasons[i]->code));
			vj_set(
			    b, o, "detail", detail ? vj_string(detail) : NULL);
		}
		free(detail);
		vj_append(b, arr, o);
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
			vj_set(b, o, "source", vj_string(s->source));
			vj_set(b, o, "status", vj_string(s->status));
			vj_set(b, o, "failed_members",
			    vj_masked_ids(
			        b, s->failed_members, s->n_failed_members));
		}
		vj_append(b, arr, o);
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
			vj_set(b, o, "id_number", json_string(masked));
			vj_set(b, o, "counted_monthly_income_fen",
			    json_integer(m->counted_monthly_income_fen));
			vj_set(b, o, "age", json_integer(m->age));
		}
		vj_append(b, arr, o);
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
	vj_set(b, o, "report_id", vj_string(v->report_id));
	vj_set(b, o, "case_id", vj_string(v->case_id));
	vj_set(b, o, "program", vj_string(v->program));
	vj_set(b, o, "conclusion", vj_string(v->conclusion));
	vj_set(b, o, "category", vj_string(v->category));
	vj_set(b, o, "household_size", json_integer(v->household_size));
	vj_set(
	    b, o, "monthly_income_fen", json_integer(v->monthly_income_fen));
	vj_set(b, o, "per_capita_monthly_income_fen",
	    json_integer(v->per_capita_monthly_income_fen));
	vj_set(b, o, "financial_assets_fen",
	    json_integer(v->financial_assets_fen));
	vj_set(b, o, "estimated_monthly_benefit_fen",
	    json_integer(v->estimated_monthly_benefit_fen));
	vj_set(
	    b, o, "gradual_exit_months", json_integer(v->gradual_exit_months));
	vj_set(b, o, "single_person_members",
	    vj_masked_ids(
	        b, v->single_person_members, v->n_single_person_members));
	vj_set(b, o, "reasons", vj_reasons(b, v));
	vj_set(b, o, "sources", vj_sources(b, v));
	vj_set(b, o, "policy_version", vj_string(v->policy_version));
	vj_set(b, o, "generated_at", vj_string(v->generated_at));
	vj_set(
	    b, o, "signature", vj_base64(r->signature.data, r->signature.len));
	/* Beyond the contract. */
	vj_set(b, o, "region_code", vj_string(v->region_code));
	vj_set(b, o, "area", vj_string(v->area));
	vj_set(b, o, "as_of", vj_string(v->as_of));
	vj_set(b, o, "agency", vj_string(v->agency));
	vj_set(b, o, "agency_subject", vj_string(v->agency_subject));
	vj_set(b, o, "request_id", vj_string(v->request_id));
	vj_set(b, o, "standard_fen", json_integer(v->standard_fen));
	vj_set(b, o, "marginal_line_fen", json_integer(v->marginal_line_fen));
	vj_set(b, o, "members", vj_members(b, v));
	vj_set(b, o, "signature_alg", vj_string(r->signature_alg));
	vj_set(b, o, "report", vj_base64(r->report.data, r->report.len));
	/* The consent registry: the numbers used and how they were checked
	 * ("registry", "unchecked", "" before the registry). */
	json_t *consents = json_array();
	for (size_t i = 0; consents != NULL && i < v->n_consents; i++)
		vj_append(b, consents, vj_string(v->consents[i]));
	vj_set(b, o, "consents", consents);
	vj_set(b, o, "consent_check", vj_string(v->consent_check));
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
