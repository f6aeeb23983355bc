/* SPDX-License-Identifier: MIT */
#include "policy_output.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli_json.h"
#include "utf8.h"
#include "verdict_text.h"

/* The parameters' Chinese names, as docs/RULES.md and docs/POLICY-FILE.md
 * use them. */
static const struct {
	const char *name, *zh;
} policy_zh_names[] = {
    {"dibao_standard_fen.urban", "低保标准（城市）"},
    {"dibao_standard_fen.rural", "低保标准（农村）"},
    {"marginal_bps", "低保边缘线倍数"},
    {"financial_assets_months", "金融资产限额（标准的月数）"},
    {"max_residences", "住房套数上限"},
    {"allow_non_residential", "允许非住宅房产"},
    {"max_residential_area_per_capita_centi_m2", "人均住房面积上限"},
    {"vehicle_exempt_kinds", "豁免车辆类型"},
    {"vehicle_value_cap_fen", "非豁免车辆价值上限"},
    {"business_capital_cap_fen", "经营注册资本上限"},
    {"employment_cost_bps", "就业成本扣减比例"},
    {"employment_cost_cap_fen", "就业成本扣减上限"},
    {"gradual_exit_months", "渐退期（月）"},
    {"tekun_bps", "特困供养标准倍数"},
    {"disposable_income_monthly_fen.urban", "人均可支配收入（城市，月）"},
    {"disposable_income_monthly_fen.rural", "人均可支配收入（农村，月）"},
    {"rigid_expense_share_bps", "刚性支出占收入比例"},
};

const char *policy_output_zh(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0;
	     i < sizeof policy_zh_names / sizeof policy_zh_names[0]; i++)
		if (strcmp(name, policy_zh_names[i].name) == 0)
			return policy_zh_names[i].zh;
	return NULL;
}

/* --- table ------------------------------------------------------------- */

static void po_put(FILE *out, const char *s)
{
	const char *p = s != NULL && s[0] != '\0' ? s : "-";
	size_t len = strlen(p) + 1;
	char *clean = malloc(len);
	if (clean == NULL)
		return;
	fputs(utf8_sanitize(p, clean, len, true), out);
	free(clean);
}

static bool po_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A decimal integer of at most 18 digits, else false. */
static bool po_int(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	*out = v;
	return true;
}

/* The value as an officer reads it: money in yuan, ratios in %, areas in
 * m², with the raw figure the file uses. */
static void po_value(FILE *out, const char *name, const char *value)
{
	int64_t v;
	const char *n = name != NULL ? name : "";
	const char *val = value != NULL ? value : "";
	if (!po_int(val, &v)) {
		po_put(out, val[0] != '\0' ? val : "(无 none)");
		return;
	}
	if (strstr(n, "_fen") != NULL) {
		char m[VERDICT_MONEY_MAX];
		verdict_text_money(v, m);
		fprintf(out, "%s (%" PRId64 " fen)", m, v);
	} else if (po_ends_with(n, "_bps")) {
		fprintf(out, "%" PRId64 ".%02" PRId64 "%% (%" PRId64 " bps)",
		    v / 100, v % 100, v);
	} else if (po_ends_with(n, "_centi_m2")) {
		if (v == 0)
			fprintf(out, "0 (不限 off)");
		else
			fprintf(out,
			    "%" PRId64 ".%02" PRId64 " m² (%" PRId64
			    " centi-m²)",
			    v / 100, v % 100, v);
	} else {
		fprintf(out, "%" PRId64, v);
	}
}

static void po_source(FILE *out, const char *source)
{
	if (source != NULL && strcmp(source, "default") == 0)
		fprintf(out, "全国默认 default");
	else
		po_put(out, source);
}

static void po_dates(FILE *out, const Hedui__V1__PolicySet *s)
{
	bool from = s->from != NULL && s->from[0] != '\0';
	bool ends = s->ends != NULL && s->ends[0] != '\0';
	if (from) {
		po_put(out, s->from);
		fputs(" 起 from", out);
	} else {
		fputs("一直 always", out);
	}
	if (ends) {
		fputs(", 至 until ", out);
		po_put(out, s->ends);
	}
}

hd_err policy_output_table(FILE *out, const Hedui__V1__ShowPolicyResponse *r)
{
	fprintf(out, "政策参数 Policy parameters\n");
	fprintf(out, "  地区 Region: ");
	po_put(out, r->region_code);
	fprintf(out, "\n  核对基准日 As of: ");
	po_put(out, r->as_of);
	fprintf(out, "\n  政策版本 Policy version: ");
	po_put(out, r->policy_version);
	fprintf(out, "\n  政策文件 Policy file SHA-256: ");
	if (r->file_sha256 != NULL && r->file_sha256[0] != '\0')
		po_put(out, r->file_sha256);
	else
		fprintf(out, "无 none (内置值 built-in values only)");
	fprintf(out, "\n\n参数 Parameters [来源 from]\n");
	for (size_t i = 0; i < r->n_values; i++) {
		const Hedui__V1__PolicyValue *v = r->values[i];
		const char *zh = policy_output_zh(v->name);
		fprintf(out, "  ");
		if (zh != NULL)
			fprintf(out, "%s ", zh);
		po_put(out, v->name);
		fprintf(out, ": ");
		po_value(out, v->name, v->value);
		fprintf(out, "  [");
		po_source(out, v->source);
		fprintf(out, "]\n");
	}
	fprintf(out, "\n参数组 Parameter sets (* 生效 in force)\n");
	if (r->n_sets == 0)
		fprintf(out, "  无 none: 全国默认 national defaults only\n");
	for (size_t i = 0; i < r->n_sets; i++) {
		const Hedui__V1__PolicySet *s = r->sets[i];
		fprintf(out, "  %s ", s->in_force ? "*" : " ");
		po_put(out, s->name);
		fprintf(
		    out, "  %s  ", s->builtin ? "内置 built-in" : "文件 file");
		po_dates(out, s);
		fprintf(out, "  ");
		if (s->n_names == 0)
			fprintf(out, "(无参数 names nothing)");
		for (size_t k = 0; k < s->n_names; k++) {
			if (k > 0)
				fputs(", ", out);
			po_put(out, s->names[k]);
		}
		fputc('\n', out);
	}
	return fflush(out) == 0 && !ferror(out) ? HD_OK : HD_EIO;
}

/* --- JSON -------------------------------------------------------------- */

typedef struct po_builder {
	bool ok;
} po_builder;

static json_t *po_values(po_builder *b, const Hedui__V1__ShowPolicyResponse *r)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < r->n_values; i++) {
		const Hedui__V1__PolicyValue *v = r->values[i];
		json_t *o = json_object();
		cli_json_set(&b->ok, o, "name", cli_json_string(v->name));
		cli_json_set(&b->ok, o, "value", cli_json_string(v->value));
		cli_json_set(&b->ok, o, "source", cli_json_string(v->source));
		cli_json_append(&b->ok, arr, o);
	}
	return arr;
}

static json_t *po_sets(po_builder *b, const Hedui__V1__ShowPolicyResponse *r)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < r->n_sets; i++) {
		const Hedui__V1__PolicySet *s = r->sets[i];
		json_t *o = json_object(), *names = json_array();
		cli_json_set(&b->ok, o, "name", cli_json_string(s->name));
		cli_json_set(&b->ok, o, "builtin", json_boolean(s->builtin));
		cli_json_set(&b->ok, o, "key", cli_json_string(s->key));
		cli_json_set(&b->ok, o, "index", json_integer(s->index));
		cli_json_set(&b->ok, o, "from", cli_json_string(s->from));
		cli_json_set(&b->ok, o, "until", cli_json_string(s->until));
		cli_json_set(&b->ok, o, "ends", cli_json_string(s->ends));
		cli_json_set(&b->ok, o, "in_force", json_boolean(s->in_force));
		for (size_t k = 0; names != NULL && k < s->n_names; k++)
			cli_json_append(
			    &b->ok, names, cli_json_string(s->names[k]));
		cli_json_set(&b->ok, o, "names", names);
		cli_json_append(&b->ok, arr, o);
	}
	return arr;
}

json_t *policy_output_json_build(const Hedui__V1__ShowPolicyResponse *r)
{
	po_builder b = {.ok = true};
	json_t *o = json_object();
	cli_json_set(&b.ok, o, "region_code", cli_json_string(r->region_code));
	cli_json_set(&b.ok, o, "as_of", cli_json_string(r->as_of));
	cli_json_set(
	    &b.ok, o, "policy_version", cli_json_string(r->policy_version));
	cli_json_set(&b.ok, o, "file_sha256", cli_json_string(r->file_sha256));
	cli_json_set(&b.ok, o, "values", po_values(&b, r));
	cli_json_set(&b.ok, o, "sets", po_sets(&b, r));
	if (!b.ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

hd_err policy_output_json(FILE *out, const Hedui__V1__ShowPolicyResponse *r)
{
	json_t *o = policy_output_json_build(r);
	if (o == NULL)
		return HD_ENOMEM;
	int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc != 0 || fputc('\n', out) == EOF)
		return HD_EIO;
	return fflush(out) == 0 && !ferror(out) ? HD_OK : HD_EIO;
}
