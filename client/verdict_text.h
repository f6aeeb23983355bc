/* SPDX-License-Identifier: MIT */
/*
 * verdict_text: what the verdict outputs (verdict_json, verdict_table)
 * share: finding the verdict in a response, money in yuan, base64, the
 * Chinese names of codes, and masking.
 */
#ifndef HEDUI_VERDICT_TEXT_H
#define HEDUI_VERDICT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "hedui/v1/verifier.pb-c.h"

/*
 * The verdict to show. The signed report bytes win over the convenience
 * copy: what is shown is what the signature covers. *owned is set when the
 * verdict was decoded here (free it with verdict_text_release). NULL when
 * the response holds neither.
 */
const Hedui__V1__Verdict *verdict_text_resolve(
    const Hedui__V1__VerifyHouseholdResponse *r, Hedui__V1__Verdict **owned);
void verdict_text_release(Hedui__V1__Verdict *owned);

/* Enough for "-¥92,233,720,368,547,758.08". */
#define VERDICT_MONEY_MAX 40

/* Integer fen as "¥1,234,567.89" / "-¥0.05"; integer arithmetic only. */
void verdict_text_money(int64_t fen, char out[VERDICT_MONEY_MAX]);

/* Base64 (RFC 4648, padded) in a malloc'd string; "" for no bytes. */
char *verdict_text_base64(const uint8_t *data, size_t len);

/* The Chinese name of a conclusion, category, program, area, source,
 * source status or reason code; NULL when there is none. */
const char *verdict_text_zh(const char *code);

/* An ID number for display: masked to the first 6 and last 4 characters.
 * Applied to what the service sends too, in case it ever sends more. */
void verdict_text_mask_id(const char *id, char *out, size_t outlen);

/* Copies text, masking anything that looks like an ID number (17 digits
 * and a digit or X). For free text such as reason details. malloc'd. */
char *verdict_text_scrub(const char *text);

#endif
