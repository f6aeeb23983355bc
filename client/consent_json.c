/* SPDX-License-Identifier: MIT */
#include "consent_json.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static int cj_fail(consent_json_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int cj_fail(consent_json_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	return -1;
}

/* A key is echoed only when it looks like a field name: an ID number may
 * stand where a field name belongs. */
static bool cj_key_printable(const char *key)
{
	size_t n = 0, digits = 0;
	for (const char *c = key; *c; c++, n++) {
		if (*c >= '0' && *c <= '9')
			digits++;
		else if (!((*c >= 'a' && *c <= 'z') ||
		             (*c >= 'A' && *c <= 'Z') || *c == '_'))
			return false;
	}
	return n > 0 && n <= 40 && digits < 4;
}

static int cj_unknown(
    consent_json_result *r, const char *where, const char *key)
{
	if (!cj_key_printable(key))
		return cj_fail(r,
		    "%s has a field that is not part of the format (check "
		    "the field names)",
		    where);
	return cj_fail(r, "%s.%s is not a known field", where, key);
}

/* A string field: its text, borrowed from the JSON. */
static int cj_string(consent_json_result *r, const char *where,
    const char *key, json_t *v, char **out)
{
	if (!json_is_string(v))
		return cj_fail(r, "%s.%s must be text in quotes", where, key);
	*out = (char *)json_string_value(v);
	return 0;
}

static int cj_strings(consent_json_result *r, const char *where,
    const char *key, json_t *v, char ***out, size_t *n)
{
	if (!json_is_array(v))
		return cj_fail(
		    r, "%s.%s must be a list [ ... ] of names", where, key);
	size_t k = json_array_size(v);
	if (k > 16)
		return cj_fail(r, "%s.%s names too many", where, key);
	*out = calloc(k > 0 ? k : 1, sizeof **out);
	if (*out == NULL)
		return cj_fail(r, "out of memory");
	for (size_t i = 0; i < k; i++) {
		json_t *s = json_array_get(v, i);
		if (!json_is_string(s))
			return cj_fail(r, "%s.%s[%zu] must be text in quotes",
			    where, key, i);
		(*out)[i] = (char *)json_string_value(s);
	}
	*n = k;
	return 0;
}

#define CJ_STR(name, field)                                                   \
	if (strcmp(key, name) == 0) {                                         \
		if (cj_string(r, where, key, v, &(field)) != 0)               \
			return -1;                                            \
		continue;                                                     \
	}

static int cj_member(consent_json_result *r, const char *where, json_t *o,
    Hedui__V1__ConsentMember *m)
{
	const char *key;
	json_t *v;
	if (!json_is_object(o))
		return cj_fail(r, "%s must be an object { ... }", where);
	json_object_foreach(o, key, v)
	{
		CJ_STR("id_number", m->id_number);
		CJ_STR("signed_by", m->signed_by);
		CJ_STR("guardian_id_number", m->guardian_id_number);
		CJ_STR("guardian_relation", m->guardian_relation);
		CJ_STR("guardian_basis", m->guardian_basis);
		return cj_unknown(r, where, key);
	}
	return 0;
}

/* Builds c from o, pointing into o; arrays are malloc'd (cj_release). */
static int cj_consent(consent_json_result *r, const char *where, json_t *o,
    Hedui__V1__Consent *c)
{
	const char *key;
	json_t *v, *members = NULL;
	char w[64];
	if (!json_is_object(o))
		return cj_fail(r, "%s must be an object { ... }", where);
	json_object_foreach(o, key, v)
	{
		CJ_STR("number", c->number);
		CJ_STR("region_code", c->region_code);
		CJ_STR("signed_on", c->signed_on);
		CJ_STR("valid_from", c->valid_from);
		CJ_STR("valid_until", c->valid_until);
		CJ_STR("form_sha256", c->form_sha256);
		if (strcmp(key, "programs") == 0) {
			if (cj_strings(r, where, key, v, &c->programs,
			        &c->n_programs) != 0)
				return -1;
			continue;
		}
		if (strcmp(key, "sources") == 0) {
			if (cj_strings(r, where, key, v, &c->sources,
			        &c->n_sources) != 0)
				return -1;
			continue;
		}
		if (strcmp(key, "members") == 0) {
			members = v;
			continue;
		}
		return cj_unknown(r, where, key);
	}
	if (members == NULL)
		return cj_fail(r,
		    "%s.members is required: a list [ ... ] of the members "
		    "it covers",
		    where);
	if (!json_is_array(members))
		return cj_fail(r, "%s.members must be a list [ ... ]", where);
	size_t n = json_array_size(members);
	if (n > 64)
		return cj_fail(r, "%s.members lists too many", where);
	c->members = calloc(n > 0 ? n : 1, sizeof *c->members);
	if (c->members == NULL)
		return cj_fail(r, "out of memory");
	for (size_t i = 0; i < n; i++) {
		Hedui__V1__ConsentMember *m = malloc(sizeof *m);
		if (m == NULL)
			return cj_fail(r, "out of memory");
		hedui__v1__consent_member__init(m);
		c->members[c->n_members++] = m;
		snprintf(w, sizeof w, "%s.members[%zu]", where, i);
		if (cj_member(r, w, json_array_get(members, i), m) != 0)
			return -1;
	}
	return 0;
}

static void cj_release(Hedui__V1__Consent *c)
{
	for (size_t i = 0; i < c->n_members; i++)
		free(c->members[i]);
	free(c->members);
	free(c->programs);
	free(c->sources);
}

/* The message as protobuf-c owns it: packed and unpacked again, so that
 * nothing points into the JSON. */
static Hedui__V1__Consent *cj_own(const Hedui__V1__Consent *c)
{
	size_t len = hedui__v1__consent__get_packed_size(c);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return NULL;
	hedui__v1__consent__pack(c, buf);
	Hedui__V1__Consent *out = hedui__v1__consent__unpack(NULL, len, buf);
	free(buf);
	return out;
}

void consent_json_free(Hedui__V1__Consent **list, size_t n)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if (list[i] != NULL)
			hedui__v1__consent__free_unpacked(list[i], NULL);
	free(list);
}

int consent_json_parse(const char *text, size_t len, Hedui__V1__Consent ***out,
    size_t *n, consent_json_result *r)
{
	json_error_t jerr;
	memset(r, 0, sizeof *r);
	*out = NULL;
	*n = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* Jansson quotes the input after " near ": dropped. */
		char msg[JSON_ERROR_TEXT_LENGTH];
		snprintf(msg, sizeof msg, "%s", jerr.text);
		char *near = strstr(msg, " near ");
		if (near != NULL)
			*near = '\0';
		r->line = jerr.line;
		r->column = jerr.column;
		return cj_fail(r, "line %d, column %d: invalid JSON: %s",
		    jerr.line, jerr.column, msg);
	}
	bool many = json_is_array(root);
	size_t count = many ? json_array_size(root) : 1;
	int rc = -1;
	Hedui__V1__Consent **list = NULL;
	if (!many && !json_is_object(root)) {
		cj_fail(r, "the file must hold a consent { ... } or a list "
		           "[ ... ] of them");
		goto out;
	}
	if (count == 0 || count > CONSENT_JSON_MAX_CONSENTS) {
		cj_fail(r, "the list must hold 1 to %d consents",
		    CONSENT_JSON_MAX_CONSENTS);
		goto out;
	}
	list = calloc(count, sizeof *list);
	if (list == NULL) {
		cj_fail(r, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		char where[32];
		Hedui__V1__Consent c = HEDUI__V1__CONSENT__INIT;
		if (many)
			snprintf(where, sizeof where, "consents[%zu]", i);
		else
			snprintf(where, sizeof where, "consent");
		int e = cj_consent(
		    r, where, many ? json_array_get(root, i) : root, &c);
		if (e == 0 && (list[i] = cj_own(&c)) == NULL)
			e = cj_fail(r, "out of memory");
		cj_release(&c);
		if (e != 0)
			goto out;
	}
	*out = list;
	*n = count;
	list = NULL;
	rc = 0;
out:
	consent_json_free(list, count);
	json_decref(root);
	return rc;
}

int consent_json_load(const char *path, Hedui__V1__Consent ***out, size_t *n,
    consent_json_result *r)
{
	memset(r, 0, sizeof *r);
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL)
		return cj_fail(r, "cannot read the file");
	char *buf = malloc(CONSENT_JSON_MAX_BYTES + 1);
	size_t len =
	    buf != NULL ? fread(buf, 1, CONSENT_JSON_MAX_BYTES + 1, f) : 0;
	bool err = ferror(f);
	if (f != stdin)
		fclose(f);
	int rc;
	if (buf == NULL)
		rc = cj_fail(r, "out of memory");
	else if (err)
		rc = cj_fail(r, "cannot read the file");
	else if (len > CONSENT_JSON_MAX_BYTES)
		rc = cj_fail(
		    r, "the file is over %d bytes", CONSENT_JSON_MAX_BYTES);
	else
		rc = consent_json_parse(buf, len, out, n, r);
	free(buf);
	return rc;
}
