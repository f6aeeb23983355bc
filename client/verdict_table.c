/* SPDX-License-Identifier: MIT */
#include "verdict_table.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "verdict_text.h"

/* Text from the service goes to a terminal: control characters (escape
 * sequences, C1's 8-bit CSI included) and bytes that are not UTF-8 are
 * shown as '?' rather than obeyed. */
static void vt_put(FILE *out, const char *s)
{
	const char *p = s != NULL ? s : "";
	/* Never longer than the input: one '?' per byte or control. */
	size_t len = strlen(p) + 1;
	char *clean = malloc(len);
	if (clean == NULL)
		return;
	fputs(utf8_sanitize(p, clean, len, true), out);
	free(clean);
}

static void vt_label(FILE *out, const char *label)
{
	fprintf(out, "  %s: ", label);
}

static void vt_text(FILE *out, const char *label, const char *value)
{
	vt_label(out, label);
	vt_put(out, value != NULL && value[0] != '\0' ? value : "-");
	fputc('\n', out);
}

/* "符合 meets": the Chinese name first when there is one. */
static void vt_put_code(FILE *out, const char *code)
{
	const char *zh = verdict_text_zh(code);
	if (zh != NULL)
		fprintf(out, "%s ", zh);
	vt_put(out, code != NULL && code[0] != '\0' ? code : "-");
}

static void vt_code(FILE *out, const char *label, const char *code)
{
	vt_label(out, label);
	vt_put_code(out, code);
	fputc('\n', out);
}

static void vt_money(FILE *out, const char *label, int64_t fen)
{
	char m[VERDICT_MONEY_MAX];
	verdict_text_money(fen, m);
	fprintf(out, "  %s: %s\n", label, m);
}

static void vt_ids(FILE *out, char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char masked[32];
		verdict_text_mask_id(ids[i], masked, sizeof masked);
		fprintf(out, "%s%s", i > 0 ? ", " : "", masked);
	}
}

static void vt_summary(FILE *out, const Hedui__V1__Verdict *v)
{
	fprintf(out, "核对结果 Verification result\n");
	vt_code(out, "结论 Conclusion", v->conclusion);
	vt_code(out, "类别 Category", v->category);
	vt_code(out, "申请项目 Program", v->program);
	vt_text(out, "案件编号 Case ID", v->case_id);
	vt_label(out, "地区 Region");
	vt_put(out, v->region_code);
	fputc(' ', out);
	vt_put_code(out, v->area);
	fputc('\n', out);
	vt_text(out, "核对基准日 As of", v->as_of);
	fprintf(
	    out, "  家庭人口 Household size: %d\n", (int)v->household_size);
	vt_money(out, "家庭月收入 Monthly income", v->monthly_income_fen);
	vt_money(out, "人均月收入 Per capita monthly income",
	    v->per_capita_monthly_income_fen);
	vt_money(out, "金融资产 Financial assets", v->financial_assets_fen);
	vt_money(out, "救助标准 Standard S", v->standard_fen);
	vt_money(out, "低保边缘线 Marginal line M", v->marginal_line_fen);
	vt_money(out, "预计月救助金 Estimated monthly benefit",
	    v->estimated_monthly_benefit_fen);
	if (v->gradual_exit_months > 0)
		fprintf(out, "  渐退期 Gradual exit: %d 个月 months\n",
		    (int)v->gradual_exit_months);
	if (v->n_single_person_members > 0) {
		vt_label(out, "单人户成员 Single-person members");
		vt_ids(
		    out, v->single_person_members, v->n_single_person_members);
		fputc('\n', out);
	}
}

static void vt_members(FILE *out, const Hedui__V1__Verdict *v)
{
	if (v->n_members == 0)
		return;
	fprintf(out, "\n成员 Members\n");
	for (size_t i = 0; i < v->n_members; i++) {
		const Hedui__V1__MemberFigures *m = v->members[i];
		char masked[32], money[VERDICT_MONEY_MAX];
		verdict_text_mask_id(
		    m->id_number_masked, masked, sizeof masked);
		verdict_text_money(m->counted_monthly_income_fen, money);
		fprintf(out,
		    "  %s  年龄 Age %d  计入月收入 Counted monthly income "
		    "%s\n",
		    masked, (int)m->age, money);
	}
}

static void vt_reasons(FILE *out, const Hedui__V1__Verdict *v)
{
	fprintf(out, "\n原因 Reasons\n");
	if (v->n_reasons == 0)
		fprintf(out, "  无 None\n");
	for (size_t i = 0; i < v->n_reasons; i++) {
		const Hedui__V1__Reason *r = v->reasons[i];
		char *detail = verdict_text_scrub(r->detail);
		fprintf(out, "  ");
		vt_put(out, r->code);
		const char *zh = verdict_text_zh(r->code);
		if (zh != NULL)
			fprintf(out, " %s", zh);
		if (detail != NULL && detail[0] != '\0') {
			fprintf(out, ": ");
			vt_put(out, detail);
		}
		fputc('\n', out);
		free(detail);
	}
}

static void vt_sources(FILE *out, const Hedui__V1__Verdict *v)
{
	fprintf(out, "\n数据源 Sources\n");
	for (size_t i = 0; i < v->n_sources; i++) {
		const Hedui__V1__SourceSummary *s = v->sources[i];
		fprintf(out, "  ");
		vt_put_code(out, s->source);
		fprintf(out, ": ");
		vt_put_code(out, s->status);
		if (s->n_failed_members > 0) {
			fprintf(out, "; 未取得 failed for: ");
			vt_ids(out, s->failed_members, s->n_failed_members);
		}
		fputc('\n', out);
	}
}

/* Enough of the signature to compare by eye; --json has all of it. */
static void vt_signature(
    FILE *out, const Hedui__V1__VerifyHouseholdResponse *r)
{
	char *b64 = verdict_text_base64(r->signature.data, r->signature.len);
	vt_label(out, "签名 Signature");
	if (b64 == NULL || b64[0] == '\0') {
		fprintf(out, "无 none\n");
	} else {
		size_t n = strlen(b64);
		if (r->signature_alg != NULL && r->signature_alg[0] != '\0') {
			vt_put(out, r->signature_alg);
			fputc(' ', out);
		}
		if (n > 28)
			fprintf(out, "%.16s…%s\n", b64, b64 + n - 8);
		else
			fprintf(out, "%s\n", b64);
	}
	free(b64);
}

/* How the members' consents were checked (the registry, issue 15). */
static void vt_consents(FILE *out, const Hedui__V1__Verdict *v)
{
	vt_label(out, "核对授权 Consents");
	if (strcmp(v->consent_check, "registry") == 0)
		fprintf(out, "已核验 checked in the registry: ");
	else if (strcmp(v->consent_check, "unchecked") == 0)
		fprintf(out, "未核验 NOT CHECKED (unchecked mode): ");
	else
		fprintf(out, "(before the registry) ");
	for (size_t i = 0; i < v->n_consents; i++) {
		fputs(i > 0 ? ", " : "", out);
		vt_put(out, v->consents[i]);
	}
	fputc('\n', out);
}

static void vt_report(FILE *out, const Hedui__V1__Verdict *v,
    const Hedui__V1__VerifyHouseholdResponse *r)
{
	fprintf(out, "\n报告 Report\n");
	vt_consents(out, v);
	vt_text(out, "报告编号 Report ID", v->report_id);
	vt_text(out, "政策版本 Policy version", v->policy_version);
	vt_text(out, "生成时间 Generated at", v->generated_at);
	vt_text(out, "核对机构 Agency", v->agency);
	vt_text(out, "请求编号 Request ID", v->request_id);
	vt_signature(out, r);
}

hd_err verdict_table_print(
    FILE *out, const Hedui__V1__VerifyHouseholdResponse *r)
{
	Hedui__V1__Verdict *owned;
	const Hedui__V1__Verdict *v = verdict_text_resolve(r, &owned);
	if (v == NULL)
		return HD_EINVAL;
	vt_summary(out, v);
	vt_members(out, v);
	vt_reasons(out, v);
	vt_sources(out, v);
	vt_report(out, v, r);
	fprintf(out, "\n%s\n", VERDICT_TABLE_NOTICE);
	verdict_text_release(owned);
	return fflush(out) == 0 && !ferror(out) ? HD_OK : HD_EIO;
}
