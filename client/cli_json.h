/* SPDX-License-Identifier: MIT */
/*
 * cli_json: what the CLI's JSON outputs (verdicts, policies, consents)
 * share: text made safe for a terminal, and building that tracks one
 * flag instead of checking every call.
 */
#ifndef HEDUI_CLI_JSON_H
#define HEDUI_CLI_JSON_H

#include <stdbool.h>

#include <jansson.h>

/* s as a JSON string, DEL and C0/C1 controls as '?' (the JSON may be read
 * on a terminal, and JSON leaves some unescaped); text that is not UTF-8
 * says so rather than dropping the whole output. NULL: "". NULL when out
 * of memory. */
json_t *cli_json_string(const char *s);

/* Each takes v, even on failure (jansson's _new calls release it then),
 * and clears *ok when obj/arr or v is NULL or the call fails. */
void cli_json_set(bool *ok, json_t *obj, const char *key, json_t *v);
void cli_json_append(bool *ok, json_t *arr, json_t *v);

#endif
