/* SPDX-License-Identifier: MIT */
#include "consent_print.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli_json.h"
#include "utf8.h"
#include "verdict_text.h"

static void cp_put(FILE *out, const char *s)
{
	const char *p = s != NULL && s[0] != '\0' ? s : "-";
	size_t len = strlen(p) + 1;
	char *clean = malloc(len);
	if (clean == NULL)
		return;
	fputs(utf8_sanitize(p, clean, len, true), out);
	free(clean);
}

static void cp_line(FILE *out, const char *label, const char *value)
{
	fprintf(out, "  %s: ", label);
	cp_put(out, value);
	fputc('\n', out);
}

static void cp_names(FILE *out, const char *label, char **names, size_t n)
{
	fprintf(out, "  %s: ", label);
	for (size_t i = 0; i < n; i++) {
		const char *zh = verdict_text_zh(names[i]);
		fputs(i > 0 ? ", " : "", out);
		if (zh != NULL)
			fprintf(out, "%s ", zh);
		cp_put(out, names[i]);
	}
	fputc('\n', out);
}

static const char *cp_status_zh(const char *s)
{
	static const struct {
		const char *code, *zh;
	} t[] = {{"valid", "有效"}, {"not_yet_valid", "尚未生效"},
	    {"expired", "已过期"}, {"revoked", "已撤回"}};
	for (size_t i = 0; s != NULL && i < sizeof t / sizeof t[0]; i++)
		if (strcmp(s, t[i].code) == 0)
			return t[i].zh;
	return "";
}

hd_err consent_print_table(
    FILE *out, const Hedui__V1__ConsentRecord *r, const char *note)
{
	const Hedui__V1__Consent *c = r->consent;
	if (c == NULL)
		return HD_EINVAL;
	if (note != NULL && note[0] != '\0')
		fprintf(out, "%s\n", note);
	fprintf(out, "核对授权书 Consent ");
	cp_put(out, c->number);
	fputc('\n', out);
	fprintf(out, "  状态 Status: %s ", cp_status_zh(r->status));
	cp_put(out, r->status);
	fputc('\n', out);
	cp_line(out, "地区 Region", c->region_code);
	cp_line(out, "签署日期 Signed on", c->signed_on);
	fprintf(out, "  有效期 Valid: ");
	cp_put(out, c->valid_from);
	fputs(" – ", out);
	cp_put(out, c->valid_until);
	fputc('\n', out);
	cp_names(out, "授权项目 Programs", c->programs, c->n_programs);
	cp_names(out, "授权查询 Sources", c->sources, c->n_sources);
	cp_line(out, "授权书摘要 Form SHA-256", c->form_sha256);
	fprintf(out, "  成员 Members:\n");
	for (size_t i = 0; i < c->n_members; i++) {
		const Hedui__V1__ConsentMember *m = c->members[i];
		char id[32], g[32];
		verdict_text_mask_id(m->id_number, id, sizeof id);
		fprintf(out, "    %s  ", id);
		if (strcmp(m->signed_by, "guardian") == 0) {
			verdict_text_mask_id(
			    m->guardian_id_number, g, sizeof g);
			fprintf(out, "监护人签署 signed by guardian %s (", g);
			cp_put(out, m->guardian_relation);
			fputs(", ", out);
			cp_put(out, m->guardian_basis);
			fputs(")\n", out);
		} else {
			fprintf(out, "本人签署 signed by the member\n");
		}
	}
	cp_line(out, "登记机构 Registered by", r->registered_by);
	cp_line(out, "登记时间 Registered at", r->registered_at);
	if (r->revoked_at != NULL && r->revoked_at[0] != '\0') {
		cp_line(out, "撤回日期 Revoked on", r->revoked_on);
		cp_line(out, "撤回时间 Revoked at", r->revoked_at);
		cp_line(out, "撤回机构 Revoked by", r->revoked_by);
		cp_line(out, "撤回理由 Reason", r->revocation_reason);
	}
	return fflush(out) == 0 && !ferror(out) ? HD_OK : HD_EIO;
}

hd_err consent_print_list_table(FILE *out,
    Hedui__V1__ConsentRecord *const *records, size_t n, const char *next_page)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc('\n', out);
		hd_err e = consent_print_table(out, records[i], "");
		if (e != HD_OK)
			return e;
	}
	fprintf(out, "%s%zu 份授权书 consent(s)\n", n > 0 ? "\n" : "", n);
	if (next_page != NULL && next_page[0] != '\0')
		fprintf(out, "更多 More: --page-token '%s'\n", next_page);
	return fflush(out) == 0 && !ferror(out) ? HD_OK : HD_EIO;
}

static json_t *cp_json_id(const char *s)
{
	char id[32];
	if (s == NULL || s[0] == '\0')
		return json_string("");
	verdict_text_mask_id(s, id, sizeof id);
	return json_string(id);
}

static json_t *cp_json_names(char **names, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, cli_json_string(names[i]));
	return a;
}

static json_t *cp_json_record(const Hedui__V1__ConsentRecord *r)
{
	const Hedui__V1__Consent *c = r->consent;
	json_t *o = json_object();
	if (o == NULL || c == NULL) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "number", cli_json_string(c->number));
	json_object_set_new(o, "region_code", cli_json_string(c->region_code));
	json_object_set_new(o, "status", cli_json_string(r->status));
	json_object_set_new(o, "signed_on", cli_json_string(c->signed_on));
	json_object_set_new(o, "valid_from", cli_json_string(c->valid_from));
	json_object_set_new(o, "valid_until", cli_json_string(c->valid_until));
	json_object_set_new(
	    o, "programs", cp_json_names(c->programs, c->n_programs));
	json_object_set_new(
	    o, "sources", cp_json_names(c->sources, c->n_sources));
	json_object_set_new(o, "form_sha256", cli_json_string(c->form_sha256));
	json_t *ms = json_array();
	for (size_t i = 0; ms != NULL && i < c->n_members; i++) {
		const Hedui__V1__ConsentMember *m = c->members[i];
		json_t *mo = json_object();
		json_object_set_new(mo, "id_number", cp_json_id(m->id_number));
		json_object_set_new(
		    mo, "signed_by", cli_json_string(m->signed_by));
		if (strcmp(m->signed_by, "guardian") == 0) {
			json_object_set_new(mo, "guardian_id_number",
			    cp_json_id(m->guardian_id_number));
			json_object_set_new(mo, "guardian_relation",
			    cli_json_string(m->guardian_relation));
			json_object_set_new(mo, "guardian_basis",
			    cli_json_string(m->guardian_basis));
		}
		json_array_append_new(ms, mo);
	}
	json_object_set_new(o, "members", ms);
	json_object_set_new(
	    o, "registered_by", cli_json_string(r->registered_by));
	json_object_set_new(
	    o, "registered_at", cli_json_string(r->registered_at));
	if (r->revoked_at != NULL && r->revoked_at[0] != '\0') {
		json_object_set_new(
		    o, "revoked_on", cli_json_string(r->revoked_on));
		json_object_set_new(
		    o, "revoked_at", cli_json_string(r->revoked_at));
		json_object_set_new(
		    o, "revoked_by", cli_json_string(r->revoked_by));
		json_object_set_new(o, "revocation_reason",
		    cli_json_string(r->revocation_reason));
	}
	return o;
}

static hd_err cp_dump(FILE *out, json_t *o)
{
	if (o == NULL)
		return HD_ENOMEM;
	int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	fputc('\n', out);
	return rc == 0 && fflush(out) == 0 && !ferror(out) ? HD_OK : HD_EIO;
}

hd_err consent_print_json(
    FILE *out, const Hedui__V1__ConsentRecord *r, bool unchanged)
{
	json_t *o = cp_json_record(r);
	if (o != NULL && unchanged)
		json_object_set_new(o, "unchanged", json_true());
	return cp_dump(out, o);
}

hd_err consent_print_list_json(FILE *out,
    Hedui__V1__ConsentRecord *const *records, size_t n, const char *next_page)
{
	json_t *o = json_object();
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, cp_json_record(records[i]));
	json_object_set_new(o, "consents", a);
	json_object_set_new(o, "next_page_token", cli_json_string(next_page));
	return cp_dump(out, o);
}
