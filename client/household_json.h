/* SPDX-License-Identifier: MIT */
/*
 * household_json: the household file of docs/RULES.md ("hedui verify FILE")
 * read strictly into a Hedui__V1__Household.
 *
 * Strict because a typo must not change a verdict silently: a misspelt
 * "sever_disability" would otherwise leave the real flag false. So unknown
 * fields, wrong types and decimal amounts are errors that name the field.
 * Error texts hold field paths and reasons only, never a value from the
 * file (ID numbers and names are personal data).
 */
#ifndef HEDUI_HOUSEHOLD_JSON_H
#define HEDUI_HOUSEHOLD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hedui/v1/verifier.pb-c.h"

/* A household file is a few kilobytes; anything near this is a mistake. */
#define HOUSEHOLD_JSON_MAX_BYTES (1024 * 1024)

typedef struct household_json_result {
	int line; /* of a JSON syntax error, else 0 */
	int column;
	bool request_id_made; /* the file had none: a fresh one was made */
	char error[256];      /* "members[1].severe_illness must be true or
	                         false"; empty on success */
} household_json_result;

/*
 * Reads the file at path ("-": standard input). Absent fields take their
 * defaults: booleans false, amounts 0, strings empty (an empty as_of means
 * today), request_id a fresh 32-hex-character id. NULL with r->error set
 * when the file cannot be read or is not a valid household file.
 * Validation of the values (ID numbers, codes) is household_check's job.
 */
Hedui__V1__Household *household_json_load(
    const char *path, household_json_result *r);

/* The same from an open stream (read to its end) or from memory. */
Hedui__V1__Household *household_json_read(FILE *f, household_json_result *r);
Hedui__V1__Household *household_json_parse(
    const char *text, size_t len, household_json_result *r);

/* The same from a JSON value already parsed (the roster's lines: see
 * roster.h), without making a request id: request_id stays as given,
 * empty when absent. */
struct json_t;
Hedui__V1__Household *household_json_from_value(
    struct json_t *root, household_json_result *r);

/* Frees what household_json_* returned; accepts NULL. */
void household_json_free(Hedui__V1__Household *h);

#endif
