/* SPDX-License-Identifier: MIT */
/*
 * verdict_json: the verdict JSON of docs/RULES.md ("hedui verify FILE
 * --json"), with the contract's field names first and then what else a
 * reader would want: the figures S and M, each member's counted income,
 * and the exact signed report bytes so the report can be checked offline.
 */
#ifndef HEDUI_VERDICT_JSON_H
#define HEDUI_VERDICT_JSON_H

#include <stdio.h>

#include <jansson.h>

#include "hd_err.h"
#include "hedui/v1/verifier.pb-c.h"

/* The verdict object; NULL when the response holds no verdict or memory
 * ran out. The caller owns it (json_decref). */
json_t *verdict_json_build(const Hedui__V1__VerifyHouseholdResponse *r);

/* Builds and prints it indented, ending with a newline. */
hd_err verdict_json_print(
    FILE *out, const Hedui__V1__VerifyHouseholdResponse *r);

#endif
