/* SPDX-License-Identifier: MIT */
#include "verdict_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "idnum.h"
#include "pb_strcheck.h"

const Hedui__V1__Verdict *verdict_text_resolve(
    const Hedui__V1__VerifyHouseholdResponse *r, Hedui__V1__Verdict **owned)
{
	*owned = NULL;
	if (r == NULL)
		return NULL;
	if (r->report.len > 0) {
		/* A string cut at a NUL would print as its first part:
		 * such a report is shown as none at all. */
		pb_strcheck_problem prob;
		if (!pb_strcheck_message(&hedui__v1__verdict__descriptor,
		        r->report.data, r->report.len, &prob))
			return NULL;
		*owned = hedui__v1__verdict__unpack(
		    NULL, r->report.len, r->report.data);
		if (*owned != NULL)
			return *owned;
	}
	return r->verdict;
}

void verdict_text_release(Hedui__V1__Verdict *owned)
{
	if (owned != NULL)
		hedui__v1__verdict__free_unpacked(owned, NULL);
}

void verdict_text_money(int64_t fen, char out[VERDICT_MONEY_MAX])
{
	/* The magnitude in unsigned arithmetic: -INT64_MIN does not fit. */
	uint64_t mag = fen < 0 ? 0 - (uint64_t)fen : (uint64_t)fen;
	uint64_t yuan = mag / 100;
	unsigned cents = (unsigned)(mag % 100);
	char digits[24], grouped[32];
	int n =
	    snprintf(digits, sizeof digits, "%llu", (unsigned long long)yuan);
	int g = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[g++] = ',';
		grouped[g++] = digits[i];
	}
	grouped[g] = '\0';
	snprintf(out, VERDICT_MONEY_MAX, "%s¥%s.%02u", fen < 0 ? "-" : "",
	    grouped, cents);
}

char *verdict_text_base64(const uint8_t *data, size_t len)
{
	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	if (len > 0)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

typedef struct verdict_zh {
	const char *code;
	const char *zh;
} verdict_zh;

static const verdict_zh verdict_zh_names[] = {
    /* conclusions */
    {"meets", "符合"},
    {"does_not_meet", "不符合"},
    {"needs_review", "需人工复核"},
    /* categories and programs */
    {"dibao", "低保"},
    {"marginal", "低保边缘"},
    {"gradual_exit", "低保渐退"},
    {"single_person", "单人户"},
    {"tekun", "特困"},
    {"hardship", "刚性支出困难"},
    {"none", "无"},
    /* areas */
    {"urban", "城市"},
    {"rural", "农村"},
    /* sources and their status */
    {"bank", "银行"},
    {"tax", "税务"},
    {"property", "不动产/车辆"},
    {"ok", "正常"},
    {"partial", "部分失败"},
    {"failed", "失败"},
    /* reason codes (docs/RULES.md) */
    {"INCOME_ABOVE_STANDARD", "收入高于低保标准"},
    {"FINANCIAL_ASSETS_OVER_LIMIT", "金融资产超限"},
    {"TOO_MANY_RESIDENCES", "住房超过限定套数"},
    {"NON_RESIDENTIAL_PROPERTY", "有非住宅类房产"},
    {"RESIDENTIAL_AREA_OVER_LIMIT", "人均住房面积超标"},
    {"VEHICLE_NOT_EXEMPT", "有非豁免机动车"},
    {"BUSINESS_CAPITAL_OVER_LIMIT", "经营注册资本超限"},
    {"HAS_LABOR_CAPACITY", "有劳动能力"},
    {"HAS_ABLE_SUPPORTER", "有赡养抚养扶养能力人"},
    {"INCOME_ABOVE_MARGINAL", "收入高于低保边缘标准"},
    {"INCOME_ABOVE_DISPOSABLE", "人均收入高于可支配收入标准"},
    {"RIGID_EXPENSE_BELOW_SHARE", "刚性支出未达比例"},
    {"SOURCE_INCOMPLETE", "数据不完整"},
    {"SOURCE_UNAVAILABLE", "数据源不可用"},
};

const char *verdict_text_zh(const char *code)
{
	if (code == NULL)
		return NULL;
	for (size_t i = 0;
	     i < sizeof verdict_zh_names / sizeof verdict_zh_names[0]; i++)
		if (strcmp(code, verdict_zh_names[i].code) == 0)
			return verdict_zh_names[i].zh;
	return NULL;
}

void verdict_text_mask_id(const char *id, char *out, size_t outlen)
{
	char masked[IDNUM_MASKED_LEN + 1];
	idnum_mask(id, masked);
	/* The ID comes from the service and goes to a terminal: only the
	 * characters an ID number has get through, no escape sequences. */
	for (char *c = masked; *c != '\0'; c++)
		if (!((*c >= '0' && *c <= '9') || *c == 'X' || *c == 'x' ||
		        *c == '*'))
			*c = '?';
	snprintf(out, outlen, "%s", masked);
}

static bool verdict_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

char *verdict_text_scrub(const char *text)
{
	if (text == NULL)
		text = "";
	char *out = strdup(text);
	if (out == NULL)
		return NULL;
	size_t n = strlen(out);
	for (size_t i = 0; i + IDNUM_LEN <= n; i++) {
		if (i > 0 && verdict_is_digit(out[i - 1]))
			continue;
		size_t d = 0;
		while (d < 17 && verdict_is_digit(out[i + d]))
			d++;
		char last = out[i + 17];
		if (d == 17 &&
		    (verdict_is_digit(last) || last == 'X' || last == 'x')) {
			memset(out + i + 6, '*', IDNUM_LEN - 10);
			i += IDNUM_LEN - 1;
		}
	}
	return out;
}
