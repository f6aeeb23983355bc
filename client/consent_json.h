/* SPDX-License-Identifier: MIT */
/*
 * consent_json: the consent file of `hedui consent add FILE`
 * (docs/CONSENT.md) read strictly into hedui.v1.Consent messages.
 *
 * A file holds one consent (a JSON object) or several (a list of them).
 * Unknown fields and wrong types are errors naming the field; no error
 * text holds a value from the file (ID numbers are personal data).
 */
#ifndef HEDUI_CONSENT_JSON_H
#define HEDUI_CONSENT_JSON_H

#include <stddef.h>

#include "hedui/v1/consent.pb-c.h"

#define CONSENT_JSON_MAX_BYTES (4 * 1024 * 1024)
#define CONSENT_JSON_MAX_CONSENTS 10000

typedef struct consent_json_result {
	int line; /* of a JSON syntax error, else 0 */
	int column;
	char error[256]; /* "consents[2].members[0].signed_by must be text" */
} consent_json_result;

/*
 * Parses text into *out, an array of *n consents (each freed with
 * hedui__v1__consent__free_unpacked; use consent_json_free). NULL array
 * and r->error set when the text is not a consent file. Whether the
 * values are right is consent_form_check's job.
 */
int consent_json_parse(const char *text, size_t len, Hedui__V1__Consent ***out,
    size_t *n, consent_json_result *r);
/* The same from a file ("-": standard input). */
int consent_json_load(const char *path, Hedui__V1__Consent ***out, size_t *n,
    consent_json_result *r);
void consent_json_free(Hedui__V1__Consent **list, size_t n);

#endif
