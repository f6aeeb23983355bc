/* SPDX-License-Identifier: MIT */
/* The verdict as JSON (docs/RULES.md's names) and as the bilingual table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "verdict_json.h"
#include "verdict_table.h"
#include "verdict_text.h"

#define FULL_ID "11010519491231002X"
#define MASKED_ID "110105********002X"

/* One verdict in memory, packed as the signed report. */
typedef struct sample {
	Hedui__V1__VerifyHouseholdResponse resp;
	Hedui__V1__Verdict v;
	Hedui__V1__Reason reason;
	Hedui__V1__Reason *reasons[1];
	Hedui__V1__SourceSummary src[2];
	Hedui__V1__SourceSummary *srcs[2];
	Hedui__V1__MemberFigures mem[1];
	Hedui__V1__MemberFigures *mems[1];
	char *single[1];
	char *failed[1];
	uint8_t report[4096];
	uint8_t sig[3];
} sample;

static sample S;

static void sample_pack(void)
{
	S.resp.report.len = hedui__v1__verdict__pack(&S.v, S.report);
	S.resp.report.data = S.report;
}

static void sample_init(void)
{
	memset(&S, 0, sizeof S);
	hedui__v1__verify_household_response__init(&S.resp);
	hedui__v1__verdict__init(&S.v);
	Hedui__V1__Verdict *v = &S.v;
	v->report_id = "rpt-0001";
	v->case_id = "330106-2026-000123";
	v->program = "dibao";
	v->conclusion = "meets";
	v->category = "dibao";
	v->household_size = 3;
	v->monthly_income_fen = 123456;
	v->per_capita_monthly_income_fen = 41152;
	v->financial_assets_fen = 123456789;
	v->estimated_monthly_benefit_fen = 176600;
	v->gradual_exit_months = 0;
	S.single[0] = MASKED_ID;
	v->single_person_members = S.single;
	v->n_single_person_members = 1;
	hedui__v1__reason__init(&S.reason);
	S.reason.code = "INCOME_ABOVE_STANDARD";
	S.reason.detail = "P=41152 > S=100000";
	S.reasons[0] = &S.reason;
	v->reasons = S.reasons;
	v->n_reasons = 1;
	for (int i = 0; i < 2; i++) {
		hedui__v1__source_summary__init(&S.src[i]);
		S.srcs[i] = &S.src[i];
	}
	S.src[0].source = "bank";
	S.src[0].status = "ok";
	S.src[1].source = "tax";
	S.src[1].status = "partial";
	S.failed[0] = MASKED_ID;
	S.src[1].failed_members = S.failed;
	S.src[1].n_failed_members = 1;
	v->sources = S.srcs;
	v->n_sources = 2;
	v->policy_version = "policy-2026.1";
	v->generated_at = "2026-11-01T10:00:00+08:00";
	v->region_code = "330106";
	v->area = "urban";
	v->as_of = "2026-11-01";
	v->agency = "agency-330106";
	v->agency_subject =
	    "CN=agency-330106,OU=region:330106,O=hedui dev agencies,C=CN";
	v->request_id = "0123456789abcdef0123456789abcdef";
	v->standard_fen = 100000;
	v->marginal_line_fen = 150000;
	hedui__v1__member_figures__init(&S.mem[0]);
	S.mem[0].id_number_masked = MASKED_ID;
	S.mem[0].counted_monthly_income_fen = 5000;
	S.mem[0].age = 76;
	S.mems[0] = &S.mem[0];
	v->members = S.mems;
	v->n_members = 1;
	S.resp.verdict = v;
	S.sig[0] = 1, S.sig[1] = 2, S.sig[2] = 3;
	S.resp.signature.data = S.sig;
	S.resp.signature.len = 3;
	S.resp.signature_alg = "ecdsa-p256-sha256";
	sample_pack();
}

static char *table_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(verdict_table_print(f, &S.resp), HD_OK);
	fclose(f);
	return buf;
}

static void assert_has(const char *text, const char *want)
{
	if (strstr(text, want) == NULL) {
		print_error("missing \"%s\" in:\n%s\n", want, text);
		fail();
	}
}

static void json_contract_names_in_order(void **state)
{
	(void)state;
	static const char *const contract[] = {"report_id", "case_id",
	    "program", "conclusion", "category", "household_size",
	    "monthly_income_fen", "per_capita_monthly_income_fen",
	    "financial_assets_fen", "estimated_monthly_benefit_fen",
	    "gradual_exit_months", "single_person_members", "reasons",
	    "sources", "policy_version", "generated_at", "signature"};
	static const char *const extras[] = {"region_code", "area", "as_of",
	    "agency", "agency_subject", "request_id", "standard_fen",
	    "marginal_line_fen", "members", "signature_alg", "report",
	    "consents", "consent_check"};
	sample_init();
	json_t *j = verdict_json_build(&S.resp);
	assert_non_null(j);
	void *it = json_object_iter(j);
	for (size_t i = 0; i < 17; i++, it = json_object_iter_next(j, it)) {
		assert_non_null(it);
		assert_string_equal(json_object_iter_key(it), contract[i]);
	}
	for (size_t i = 0; i < 13; i++, it = json_object_iter_next(j, it)) {
		assert_non_null(it);
		assert_string_equal(json_object_iter_key(it), extras[i]);
	}
	assert_null(it);
	json_decref(j);
}

static void json_values(void **state)
{
	(void)state;
	sample_init();
	json_t *j = verdict_json_build(&S.resp);
	json_error_t e;
	json_t *want = json_loads(
	    "{\"report_id\": \"rpt-0001\", \"case_id\": "
	    "\"330106-2026-000123\","
	    " \"program\": \"dibao\", \"conclusion\": \"meets\","
	    " \"category\": \"dibao\", \"household_size\": 3,"
	    " \"monthly_income_fen\": 123456,"
	    " \"per_capita_monthly_income_fen\": 41152,"
	    " \"financial_assets_fen\": 123456789,"
	    " \"estimated_monthly_benefit_fen\": 176600,"
	    " \"gradual_exit_months\": 0,"
	    " \"single_person_members\": [\"" MASKED_ID "\"],"
	    " \"reasons\": [{\"code\": \"INCOME_ABOVE_STANDARD\","
	    "   \"detail\": \"P=41152 > S=100000\"}],"
	    " \"sources\": [{\"source\": \"bank\", \"status\": \"ok\","
	    "   \"failed_members\": []}, {\"source\": \"tax\", \"status\":"
	    "   \"partial\", \"failed_members\": [\"" MASKED_ID "\"]}],"
	    " \"policy_version\": \"policy-2026.1\","
	    " \"generated_at\": \"2026-11-01T10:00:00+08:00\","
	    " \"signature\": \"AQID\", \"region_code\": \"330106\","
	    " \"area\": \"urban\", \"as_of\": \"2026-11-01\","
	    " \"agency\": \"agency-330106\","
	    " \"agency_subject\": \"CN=agency-330106,OU=region:330106,"
	    "O=hedui dev agencies,C=CN\","
	    " \"request_id\": \"0123456789abcdef0123456789abcdef\","
	    " \"standard_fen\": 100000, \"marginal_line_fen\": 150000,"
	    " \"members\": [{\"id_number\": \"" MASKED_ID "\","
	    "   \"counted_monthly_income_fen\": 5000, \"age\": 76}],"
	    " \"signature_alg\": \"ecdsa-p256-sha256\", \"report\": \"\","
	    " \"consents\": [], \"consent_check\": \"\"}",
	    0, &e);
	assert_non_null(want);
	/* The report is checked on its own below. */
	json_object_set_new(
	    want, "report", json_incref(json_object_get(j, "report")));
	if (!json_equal(j, want)) {
		char *got =
		    json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		print_error("got:\n%s\n", got);
		free(got);
		fail();
	}
	/* "report" is base64 of exactly the signed bytes. */
	const char *b64 = json_string_value(json_object_get(j, "report"));
	unsigned char raw[4096];
	int n =
	    EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)strlen(b64));
	assert_true(n >= (int)S.resp.report.len);
	assert_memory_equal(raw, S.report, S.resp.report.len);
	json_decref(want);
	json_decref(j);
}

static void signed_report_wins(void **state)
{
	(void)state;
	sample_init();
	/* The convenience copy says otherwise: what is signed is shown. */
	S.v.conclusion = "does_not_meet";
	sample_pack();
	Hedui__V1__Verdict copy = S.v;
	copy.conclusion = "meets";
	S.resp.verdict = &copy;
	json_t *j = verdict_json_build(&S.resp);
	assert_string_equal(
	    json_string_value(json_object_get(j, "conclusion")),
	    "does_not_meet");
	json_decref(j);
	/* No report: the verdict field is used, and "report" is empty. */
	S.resp.report.len = 0;
	j = verdict_json_build(&S.resp);
	assert_string_equal(
	    json_string_value(json_object_get(j, "conclusion")), "meets");
	assert_string_equal(
	    json_string_value(json_object_get(j, "report")), "");
	json_decref(j);
	/* Neither: no verdict to show. */
	S.resp.verdict = NULL;
	assert_null(verdict_json_build(&S.resp));
	assert_int_equal(verdict_table_print(stdout, &S.resp), HD_EINVAL);
}

static void only_masked_ids(void **state)
{
	(void)state;
	sample_init();
	/* Should the service ever send full numbers, they are masked. */
	S.single[0] = FULL_ID;
	S.failed[0] = "11010519491231002x";
	S.mem[0].id_number_masked = FULL_ID;
	S.reason.detail = "member " FULL_ID " earns; and 1101051949123100212";
	sample_pack();
	json_t *j = verdict_json_build(&S.resp);
	/* Leave out the base64 report, which is the service's own bytes. */
	json_object_del(j, "report");
	char *text = json_dumps(j, 0);
	assert_null(strstr(text, "1949123100"));
	assert_has(text, MASKED_ID);
	free(text);
	json_decref(j);
	char *table = table_text();
	assert_null(strstr(table, "1949123100"));
	assert_has(table, MASKED_ID);
	free(table);
}

static void table_labels_and_values(void **state)
{
	(void)state;
	sample_init();
	char *t = table_text();
	assert_has(t, "结论 Conclusion: 符合 meets\n");
	assert_has(t, "类别 Category: 低保 dibao\n");
	assert_has(t, "申请项目 Program: 低保 dibao\n");
	assert_has(t, "地区 Region: 330106 城市 urban\n");
	assert_has(t, "家庭人口 Household size: 3\n");
	assert_has(t, "家庭月收入 Monthly income: ¥1,234.56\n");
	assert_has(t, "人均月收入 Per capita monthly income: ¥411.52\n");
	assert_has(t, "金融资产 Financial assets: ¥1,234,567.89\n");
	assert_has(t, "救助标准 Standard S: ¥1,000.00\n");
	assert_has(t, "低保边缘线 Marginal line M: ¥1,500.00\n");
	assert_has(t, "预计月救助金 Estimated monthly benefit: ¥1,766.00\n");
	assert_has(t, "单人户成员 Single-person members: " MASKED_ID "\n");
	assert_has(t, MASKED_ID "  年龄 Age 76  计入月收入 Counted monthly "
	                        "income ¥50.00\n");
	assert_has(t, "INCOME_ABOVE_STANDARD 收入高于低保标准: P=41152 > "
	              "S=100000\n");
	assert_has(t, "银行 bank: 正常 ok\n");
	assert_has(t,
	    "税务 tax: 部分失败 partial; 未取得 failed for: " MASKED_ID "\n");
	assert_has(t, "政策版本 Policy version: policy-2026.1\n");
	assert_has(t, "报告编号 Report ID: rpt-0001\n");
	assert_has(t, "生成时间 Generated at: 2026-11-01T10:00:00+08:00\n");
	assert_has(t, "签名 Signature: ecdsa-p256-sha256 AQID\n");
	assert_has(t, VERDICT_TABLE_NOTICE "\n");
	assert_has(t,
	    "本结果仅供审核参考，最终由工作人员认定 / This verdict "
	    "supports, and does not replace, an officer's decision.");
	assert_null(strstr(t, "渐退期")); /* only for gradual exit */
	free(t);

	S.v.conclusion = "needs_review";
	S.v.category = "gradual_exit";
	S.v.gradual_exit_months = 6;
	S.v.n_reasons = 0;
	S.v.n_single_person_members = 0;
	sample_pack();
	uint8_t longsig[72];
	memset(longsig, 0xab, sizeof longsig);
	S.resp.signature.data = longsig;
	S.resp.signature.len = sizeof longsig;
	t = table_text();
	assert_has(t, "结论 Conclusion: 需人工复核 needs_review\n");
	assert_has(t, "类别 Category: 低保渐退 gradual_exit\n");
	assert_has(t, "渐退期 Gradual exit: 6 个月 months\n");
	assert_has(t, "原因 Reasons\n  无 None\n");
	assert_has(t, "签名 Signature: ecdsa-p256-sha256 q6urq6urq6urq6ur…");
	assert_null(strstr(t, "单人户成员"));
	free(t);
}

static void table_shows_no_control_characters(void **state)
{
	(void)state;
	sample_init();
	S.v.policy_version = "v1\x1b[2Jx";
	sample_pack();
	char *t = table_text();
	assert_null(strchr(t, '\x1b'));
	assert_has(t, "政策版本 Policy version: v1?[2Jx\n");
	free(t);
}

static void money_formatting(void **state)
{
	(void)state;
	static const struct {
		int64_t fen;
		const char *text;
	} cases[] = {
	    {0, "¥0.00"},
	    {5, "¥0.05"},
	    {-5, "-¥0.05"},
	    {100, "¥1.00"},
	    {99999, "¥999.99"},
	    {100000, "¥1,000.00"},
	    {-100000, "-¥1,000.00"},
	    {123456789, "¥1,234,567.89"},
	    {100000000000, "¥1,000,000,000.00"},
	    {INT64_MAX, "¥92,233,720,368,547,758.07"},
	    {INT64_MIN, "-¥92,233,720,368,547,758.08"},
	};
	char out[VERDICT_MONEY_MAX];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		verdict_text_money(cases[i].fen, out);
		assert_string_equal(out, cases[i].text);
	}
}

static void chinese_names(void **state)
{
	(void)state;
	static const char *const codes[] = {"INCOME_ABOVE_STANDARD",
	    "FINANCIAL_ASSETS_OVER_LIMIT", "TOO_MANY_RESIDENCES",
	    "NON_RESIDENTIAL_PROPERTY", "RESIDENTIAL_AREA_OVER_LIMIT",
	    "VEHICLE_NOT_EXEMPT", "BUSINESS_CAPITAL_OVER_LIMIT",
	    "HAS_LABOR_CAPACITY", "HAS_ABLE_SUPPORTER",
	    "INCOME_ABOVE_MARGINAL", "INCOME_ABOVE_DISPOSABLE",
	    "RIGID_EXPENSE_BELOW_SHARE", "SOURCE_INCOMPLETE",
	    "SOURCE_UNAVAILABLE", "meets", "does_not_meet", "needs_review",
	    "dibao", "marginal", "gradual_exit", "single_person", "tekun",
	    "hardship", "none", "bank", "tax", "property", "ok", "partial",
	    "failed"};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		assert_non_null(verdict_text_zh(codes[i]));
	assert_string_equal(verdict_text_zh("does_not_meet"), "不符合");
	assert_string_equal(verdict_text_zh("property"), "不动产/车辆");
	assert_string_equal(
	    verdict_text_zh("HAS_ABLE_SUPPORTER"), "有赡养抚养扶养能力人");
	assert_null(verdict_text_zh("SOMETHING_NEW"));
	assert_null(verdict_text_zh(NULL));
}

static void base64(void **state)
{
	(void)state;
	char *s = verdict_text_base64(NULL, 0);
	assert_string_equal(s, "");
	free(s);
	s = verdict_text_base64((const uint8_t *)"hedui", 5);
	assert_string_equal(s, "aGVkdWk=");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(json_contract_names_in_order),
	    cmocka_unit_test(json_values),
	    cmocka_unit_test(signed_report_wins),
	    cmocka_unit_test(only_masked_ids),
	    cmocka_unit_test(table_labels_and_values),
	    cmocka_unit_test(table_shows_no_control_characters),
	    cmocka_unit_test(money_formatting),
	    cmocka_unit_test(chinese_names),
	    cmocka_unit_test(base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
