/* SPDX-License-Identifier: MIT */
#include "household_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

/* What one JSON field may hold, and where it goes in the message. */
typedef enum hj_kind { HJ_STRING, HJ_BOOL, HJ_FEN, HJ_MEMBERS } hj_kind;

typedef struct hj_field {
	const char *name;
	hj_kind kind;
	size_t offset;
} hj_field;

#define HJ_H(name, kind)                                                      \
	{                                                                     \
#name, kind, offsetof(Hedui__V1__Household, name)             \
	}
#define HJ_M(name, kind)                                                      \
	{                                                                     \
#name, kind, offsetof(Hedui__V1__Member, name)                \
	}

static const hj_field hj_household_fields[] = {
    HJ_H(case_id, HJ_STRING),
    HJ_H(request_id, HJ_STRING),
    HJ_H(region_code, HJ_STRING),
    HJ_H(area, HJ_STRING),
    HJ_H(program, HJ_STRING),
    HJ_H(as_of, HJ_STRING),
    HJ_H(currently_enrolled, HJ_BOOL),
    HJ_H(monthly_rigid_expense_fen, HJ_FEN),
    HJ_H(members, HJ_MEMBERS),
};

static const hj_field hj_member_fields[] = {
    HJ_M(id_number, HJ_STRING),
    HJ_M(name, HJ_STRING),
    HJ_M(relation, HJ_STRING),
    HJ_M(consent_ref, HJ_STRING),
    HJ_M(severe_disability, HJ_BOOL),
    HJ_M(severe_illness, HJ_BOOL),
    HJ_M(has_able_supporter, HJ_BOOL),
};

#define HJ_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool hj_fail(household_json_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool hj_fail(household_json_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	return false;
}

/* --- freeing ------------------------------------------------------------ */

static void hj_free_strings(void *msg, const hj_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fields[i].kind != HJ_STRING)
			continue;
		char **s = (char **)((char *)msg + fields[i].offset);
		if (*s != protobuf_c_empty_string)
			free(*s);
		*s = (char *)protobuf_c_empty_string;
	}
}

void household_json_free(Hedui__V1__Household *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n_members; i++) {
		if (h->members[i] == NULL)
			continue;
		hj_free_strings(h->members[i], hj_member_fields,
		    HJ_COUNT(hj_member_fields));
		free(h->members[i]);
	}
	free(h->members);
	hj_free_strings(h, hj_household_fields, HJ_COUNT(hj_household_fields));
	free(h);
}

/* --- unknown fields ------------------------------------------------------ */

/* Edit distance, small strings only (field names). */
static size_t hj_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[48];
	if (la >= 48 || lb >= 48)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* A key is echoed only when it looks like a field name: someone may have
 * put an ID number or a name where a field name belongs. */
static bool hj_key_printable(const char *key)
{
	size_t n = 0, digits = 0;
	for (const char *c = key; *c; c++, n++) {
		if (*c >= '0' && *c <= '9')
			digits++;
		else if (!((*c >= 'a' && *c <= 'z') ||
		             (*c >= 'A' && *c <= 'Z') || *c == '_' ||
		             *c == '-'))
			return false;
	}
	return n > 0 && n <= 40 && digits < 4;
}

static bool hj_unknown(household_json_result *r, const char *prefix,
    const char *key, const hj_field *fields, size_t n)
{
	if (!hj_key_printable(key)) {
		/* "members[1]." names the object as "members[1]". */
		int len = (int)strlen(prefix);
		if (len == 0)
			return hj_fail(r, "the household has a field that is "
			                  "not part of the format (check the "
			                  "field names)");
		return hj_fail(r,
		    "%.*s has a field that is not part of the "
		    "format (check the field names)",
		    len - 1, prefix);
	}
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = hj_distance(key, fields[i].name);
		if (d < best_d) {
			best_d = d;
			best = fields[i].name;
		}
	}
	if (best != NULL)
		return hj_fail(r,
		    "%s%s is not a known field (did you mean "
		    "%s?)",
		    prefix, key, best);
	return hj_fail(r, "%s%s is not a known field", prefix, key);
}

/* --- values ------------------------------------------------------------- */

static bool hj_set(household_json_result *r, void *msg, const hj_field *f,
    const char *path, json_t *v)
{
	char *base = (char *)msg + f->offset;
	switch (f->kind) {
	case HJ_STRING: {
		if (!json_is_string(v))
			return hj_fail(r, "%s must be text in quotes", path);
		char *s = strdup(json_string_value(v));
		if (s == NULL)
			return hj_fail(r, "out of memory");
		*(char **)base = s;
		return true;
	}
	case HJ_BOOL:
		if (!json_is_boolean(v))
			return hj_fail(r, "%s must be true or false", path);
		*(protobuf_c_boolean *)base = json_is_true(v);
		return true;
	case HJ_FEN:
		if (json_is_real(v))
			return hj_fail(r,
			    "%s must be a whole number of fen "
			    "(1 yuan = 100 fen), not a decimal",
			    path);
		if (!json_is_integer(v))
			return hj_fail(
			    r, "%s must be a whole number of fen", path);
		*(int64_t *)base = json_integer_value(v);
		return true;
	case HJ_MEMBERS:
		break;
	}
	return hj_fail(r, "%s: internal error", path);
}

static bool hj_object(household_json_result *r, void *msg,
    const hj_field *fields, size_t n, const char *prefix, json_t *obj,
    json_t **members)
{
	const char *key;
	json_t *v;
	char path[96];
	json_object_foreach(obj, key, v)
	{
		const hj_field *f = NULL;
		for (size_t i = 0; i < n && f == NULL; i++)
			if (strcmp(key, fields[i].name) == 0)
				f = &fields[i];
		if (f == NULL)
			return hj_unknown(r, prefix, key, fields, n);
		if (f->kind == HJ_MEMBERS) {
			*members = v;
			continue;
		}
		snprintf(path, sizeof path, "%s%s", prefix, f->name);
		if (!hj_set(r, msg, f, path, v))
			return false;
	}
	return true;
}

static bool hj_members(
    household_json_result *r, Hedui__V1__Household *h, json_t *arr)
{
	if (arr == NULL)
		return hj_fail(r, "members is required: a list [ ... ] of the "
		                  "household's members");
	if (!json_is_array(arr))
		return hj_fail(r, "members must be a list [ ... ] of members");
	size_t n = json_array_size(arr);
	if (n == 0)
		return true; /* household_check says how many are needed */
	h->members = calloc(n, sizeof *h->members);
	if (h->members == NULL)
		return hj_fail(r, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "members[%zu].", i);
		json_t *o = json_array_get(arr, i);
		if (!json_is_object(o)) {
			prefix[strlen(prefix) - 1] = '\0';
			return hj_fail(
			    r, "%s must be an object { ... }", prefix);
		}
		Hedui__V1__Member *m = malloc(sizeof *m);
		if (m == NULL)
			return hj_fail(r, "out of memory");
		hedui__v1__member__init(m);
		h->members[h->n_members++] = m;
		if (!hj_object(r, m, hj_member_fields,
		        HJ_COUNT(hj_member_fields), prefix, o, NULL))
			return false;
	}
	return true;
}

static bool hj_new_request_id(Hedui__V1__Household *h)
{
	unsigned char rnd[16];
	char *id = malloc(33);
	if (id == NULL || RAND_bytes(rnd, sizeof rnd) != 1) {
		free(id);
		return false;
	}
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	h->request_id = id;
	return true;
}

/* Jansson's messages end in " near '<text>'", quoting the input: that
 * could be an ID number, so only the part before it is kept. */
static void hj_syntax_error(household_json_result *r, const json_error_t *e)
{
	char text[JSON_ERROR_TEXT_LENGTH];
	snprintf(text, sizeof text, "%s", e->text);
	char *near = strstr(text, " near ");
	if (near != NULL)
		*near = '\0';
	r->line = e->line;
	r->column = e->column;
	hj_fail(r, "line %d, column %d: invalid JSON: %s", e->line, e->column,
	    text);
}

/* The household in root (an object or anything else: then an error);
 * a fresh request id only when make_id and the file has none. */
static Hedui__V1__Household *hj_build(
    json_t *root, household_json_result *r, bool make_id)
{
	json_t *members = NULL;
	Hedui__V1__Household *h = malloc(sizeof *h);
	if (h == NULL) {
		hj_fail(r, "out of memory");
		return NULL;
	}
	hedui__v1__household__init(h);
	if (!json_is_object(root)) {
		hj_fail(r, "the household must be a JSON object { ... }");
		goto fail;
	}
	if (!hj_object(r, h, hj_household_fields,
	        HJ_COUNT(hj_household_fields), "", root, &members) ||
	    !hj_members(r, h, members))
		goto fail;
	if (make_id && h->request_id[0] == '\0') {
		if (h->request_id != protobuf_c_empty_string)
			free(h->request_id);
		h->request_id = (char *)protobuf_c_empty_string;
		if (!hj_new_request_id(h)) {
			hj_fail(r, "cannot make a request id (no randomness)");
			goto fail;
		}
		r->request_id_made = true;
	}
	return h;
fail:
	household_json_free(h);
	return NULL;
}

Hedui__V1__Household *household_json_from_value(
    json_t *root, household_json_result *r)
{
	memset(r, 0, sizeof *r);
	return hj_build(root, r, false);
}

Hedui__V1__Household *household_json_parse(
    const char *text, size_t len, household_json_result *r)
{
	json_error_t jerr;
	memset(r, 0, sizeof *r);

	/* Windows editors like to start UTF-8 files with a byte-order mark. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		hj_syntax_error(r, &jerr);
		return NULL;
	}
	Hedui__V1__Household *h = hj_build(root, r, true);
	json_decref(root);
	return h;
}

Hedui__V1__Household *household_json_read(FILE *f, household_json_result *r)
{
	memset(r, 0, sizeof *r);
	/* One byte over the limit tells a full file from a too large one. */
	char *buf = malloc(HOUSEHOLD_JSON_MAX_BYTES + 1);
	if (buf == NULL) {
		hj_fail(r, "out of memory");
		return NULL;
	}
	size_t n = 0, got;
	while (
	    n <= HOUSEHOLD_JSON_MAX_BYTES &&
	    (got = fread(buf + n, 1, HOUSEHOLD_JSON_MAX_BYTES + 1 - n, f)) > 0)
		n += got;
	Hedui__V1__Household *h = NULL;
	if (ferror(f))
		hj_fail(r, "cannot read: %s", strerror(errno));
	else if (n > HOUSEHOLD_JSON_MAX_BYTES)
		hj_fail(r,
		    "is larger than %d bytes (1 MiB): not a household "
		    "file",
		    HOUSEHOLD_JSON_MAX_BYTES);
	else
		h = household_json_parse(buf, n, r);
	free(buf);
	return h;
}

Hedui__V1__Household *household_json_load(
    const char *path, household_json_result *r)
{
	memset(r, 0, sizeof *r);
	if (strcmp(path, "-") == 0)
		return household_json_read(stdin, r);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		hj_fail(r, "cannot open: %s", strerror(errno));
		return NULL;
	}
	Hedui__V1__Household *h = household_json_read(f, r);
	fclose(f);
	return h;
}
