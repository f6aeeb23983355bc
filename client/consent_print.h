/* SPDX-License-Identifier: MIT */
/*
 * consent_print: consent records as `hedui consent` prints them, a table
 * with Chinese and English labels or --json, like the verdicts. Text from
 * the service is sanitized (no control characters reach the terminal) and
 * ID numbers are masked again, in case a service ever sent more.
 */
#ifndef HEDUI_CONSENT_PRINT_H
#define HEDUI_CONSENT_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "hd_err.h"
#include "hedui/v1/consent.pb-c.h"

/* One record; note is a line to print first ("" none). */
hd_err consent_print_table(
    FILE *out, const Hedui__V1__ConsentRecord *r, const char *note);
/* The records of a list, one block each, then how many. */
hd_err consent_print_list_table(FILE *out,
    Hedui__V1__ConsentRecord *const *records, size_t n, const char *next_page);

/* JSON: one record as an object (with "unchanged" when set), a list as
 * {"consents": [...], "next_page_token": "..."}. */
hd_err consent_print_json(
    FILE *out, const Hedui__V1__ConsentRecord *r, bool unchanged);
hd_err consent_print_list_json(FILE *out,
    Hedui__V1__ConsentRecord *const *records, size_t n, const char *next_page);

#endif
