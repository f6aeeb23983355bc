/* SPDX-License-Identifier: MIT */
/*
 * policy_output: a hedui.v1.Policy/Show answer as `hedui policy show`
 * prints it: a bilingual table (each parameter with its Chinese and
 * English name, its value in yuan, %, m² where it is one, and the set it
 * comes from; then every set of the region's entries, the ones in force
 * marked), or JSON with the message's field names. Text from the service
 * reaches the terminal without control characters.
 */
#ifndef HEDUI_POLICY_OUTPUT_H
#define HEDUI_POLICY_OUTPUT_H

#include <stdio.h>

#include <jansson.h>

#include "hd_err.h"
#include "hedui/v1/policy.pb-c.h"

hd_err policy_output_table(FILE *out, const Hedui__V1__ShowPolicyResponse *r);

/* The JSON object; NULL when memory ran out. The caller owns it. */
json_t *policy_output_json_build(const Hedui__V1__ShowPolicyResponse *r);
/* Builds and prints it indented, ending with a newline. */
hd_err policy_output_json(FILE *out, const Hedui__V1__ShowPolicyResponse *r);

/* The Chinese name of a parameter ("dibao_standard_fen.urban":
 * "低保标准（城市）"), NULL for a name we do not know. */
const char *policy_output_zh(const char *name);

#endif
