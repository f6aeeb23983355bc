/*
 * The regional policy file (docs/POLICY-FILE.md): JSON entries keyed by a
 * 2-, 4- or 6-digit region prefix, each naming only the parameters it
 * overrides. Strict: unknown names, wrong types, negative values and bad
 * prefixes are errors naming the entry and the field.
 */
#include "policy_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* named has bit 2*i (+ area for AREA fields) for policy_fields[i]. */
typedef struct policy_entry {
	char prefix[7];
	policy_params values;
	uint32_t named;
} policy_entry;

struct policy_book {
	size_t n;
	policy_entry entries[];
};

#define NAMED_BIT(field, area) (1u << (2 * (field) + (area)))

/* Beijing ships in every book; field 0 is dibao_standard_fen. */
static const policy_entry builtin_beijing = {
    .prefix = POLICY_BEIJING_PREFIX,
    .values = {.dibao_standard_fen = {POLICY_BEIJING_STANDARD_FEN,
		   POLICY_BEIJING_STANDARD_FEN}},
    .named = NAMED_BIT(0, POLICY_AREA_URBAN) | NAMED_BIT(0, POLICY_AREA_RURAL),
};

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool prefix_valid(const char *key)
{
	size_t n = strlen(key);
	if (n != 2 && n != 4 && n != 6)
		return false;
	for (size_t i = 0; i < n; i++)
		if (key[i] < '0' || key[i] > '9')
			return false;
	return true;
}

static bool int_get(const json_t *j, int64_t *out)
{
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*out = (int64_t)json_integer_value(j);
	return true;
}

/* Sets one field of an entry from its JSON value. */
static hd_err field_set(policy_entry *e, size_t fi, const json_t *val,
    char *err, size_t errlen)
{
	const policy_field *f = &policy_fields[fi];
	char *dst = (char *)&e->values + f->offset;
	int64_t v;

	switch (f->type) {
	case POLICY_FIELD_INT:
		if (!int_get(val, &v))
			goto not_int;
		memcpy(dst, &v, sizeof(v));
		e->named |= NAMED_BIT(fi, 0);
		return HD_OK;
	case POLICY_FIELD_BOOL:
		if (!json_is_boolean(val)) {
			errf(err, errlen, "regions.%s.%s: must be true or false",
			    e->prefix, f->name);
			return HD_EINVAL;
		}
		e->values.allow_non_residential = json_is_true(val);
		e->named |= NAMED_BIT(fi, 0);
		return HD_OK;
	case POLICY_FIELD_AREA: {
		const char *key;
		json_t *sub;
		if (!json_is_object(val)) {
			errf(err, errlen,
			    "regions.%s.%s: must be an object "
			    "{\"urban\": fen, \"rural\": fen}",
			    e->prefix, f->name);
			return HD_EINVAL;
		}
		json_object_foreach((json_t *)val, key, sub)
		{
			policy_area a;
			if (!policy_area_parse(key, &a)) {
				errf(err, errlen,
				    "regions.%s.%s.%.24s: unknown area "
				    "(urban or rural)",
				    e->prefix, f->name, key);
				return HD_EINVAL;
			}
			if (!int_get(sub, &v)) {
				errf(err, errlen,
				    "regions.%s.%s.%s: must be a non-negative "
				    "integer",
				    e->prefix, f->name, key);
				return HD_EINVAL;
			}
			memcpy(dst + a * sizeof(int64_t), &v, sizeof(v));
			e->named |= NAMED_BIT(fi, a);
		}
		return HD_OK;
	}
	case POLICY_FIELD_KINDS: {
		uint32_t kinds = 0;
		size_t i;
		json_t *item;
		if (!json_is_array(val)) {
			errf(err, errlen,
			    "regions.%s.%s: must be an array of vehicle kinds",
			    e->prefix, f->name);
			return HD_EINVAL;
		}
		json_array_foreach(val, i, item)
		{
			policy_vehicle_kind k;
			if (!policy_vehicle_kind_parse(json_string_value(item),
				&k)) {
				errf(err, errlen,
				    "regions.%s.%s[%zu]: unknown vehicle kind",
				    e->prefix, f->name, i);
				return HD_EINVAL;
			}
			kinds |= POLICY_VEHICLE_BIT(k);
		}
		e->values.vehicle_exempt_kinds = kinds;
		e->named |= NAMED_BIT(fi, 0);
		return HD_OK;
	}
	}
not_int:
	errf(err, errlen, "regions.%s.%s: must be a non-negative integer",
	    e->prefix, f->name);
	return HD_EINVAL;
}

static hd_err entry_fill(policy_entry *e, const json_t *obj, char *err,
    size_t errlen)
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj)) {
		errf(err, errlen, "regions.%s: must be an object", e->prefix);
		return HD_EINVAL;
	}
	json_object_foreach((json_t *)obj, key, val)
	{
		if (strcmp(key, "comment") == 0) {
			if (!json_is_string(val)) {
				errf(err, errlen,
				    "regions.%s.comment: must be a string",
				    e->prefix);
				return HD_EINVAL;
			}
			continue;
		}
		size_t fi = 0;
		while (fi < policy_field_count &&
		    strcmp(policy_fields[fi].name, key) != 0)
			fi++;
		if (fi == policy_field_count) {
			errf(err, errlen,
			    "regions.%s.%.48s: unknown parameter", e->prefix,
			    key);
			return HD_EINVAL;
		}
		hd_err rv = field_set(e, fi, val, err, errlen);
		if (rv != HD_OK)
			return rv;
	}
	return HD_OK;
}

static policy_entry *book_find(policy_book *b, const char *prefix)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->entries[i].prefix, prefix) == 0)
			return &b->entries[i];
	return NULL;
}

static hd_err book_from_json(const json_t *root, policy_book **out,
    char *err, size_t errlen)
{
	const char *key;
	json_t *val;
	const json_t *regions = NULL;

	if (!json_is_object(root)) {
		errf(err, errlen, "policy file: must be a JSON object");
		return HD_EINVAL;
	}
	json_object_foreach((json_t *)root, key, val)
	{
		if (strcmp(key, "regions") == 0) {
			if (!json_is_object(val)) {
				errf(err, errlen, "regions: must be an object");
				return HD_EINVAL;
			}
			regions = val;
		} else if (strcmp(key, "comment") == 0) {
			if (!json_is_string(val)) {
				errf(err, errlen, "comment: must be a string");
				return HD_EINVAL;
			}
		} else {
			errf(err, errlen,
			    "policy file: unknown top-level key \"%.48s\"",
			    key);
			return HD_EINVAL;
		}
	}
	if (regions == NULL) {
		errf(err, errlen, "policy file: \"regions\" is missing");
		return HD_EINVAL;
	}

	size_t cap = json_object_size(regions) + 1;
	policy_book *b = calloc(1, sizeof(*b) + cap * sizeof(policy_entry));
	if (b == NULL)
		return HD_ENOMEM;
	b->entries[b->n++] = builtin_beijing;
	json_object_foreach((json_t *)regions, key, val)
	{
		if (!prefix_valid(key)) {
			errf(err, errlen,
			    "regions.\"%.24s\": key must be a 2, 4 or 6 digit "
			    "region prefix",
			    key);
			policy_book_free(b);
			return HD_EINVAL;
		}
		policy_entry *e = book_find(b, key);
		if (e == NULL) {
			e = &b->entries[b->n++];
			memcpy(e->prefix, key, strlen(key) + 1);
		}
		hd_err rv = entry_fill(e, val, err, errlen);
		if (rv != HD_OK) {
			policy_book_free(b);
			return rv;
		}
	}
	*out = b;
	return HD_OK;
}

hd_err policy_book_parse(const char *json, size_t len, policy_book **out,
    char *err, size_t errlen)
{
	json_error_t je;

	*out = NULL;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		errf(err, errlen, "policy file line %d column %d: %s", je.line,
		    je.column, je.text);
		return HD_EINVAL;
	}
	hd_err rv = book_from_json(root, out, err, errlen);
	json_decref(root);
	return rv;
}

hd_err policy_book_load(const char *path, policy_book **out, char *err,
    size_t errlen)
{
	json_error_t je;

	*out = NULL;
	if (path == NULL) {
		static const char empty[] = "{\"regions\": {}}";
		return policy_book_parse(empty, sizeof(empty) - 1, out, err,
		    errlen);
	}
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (json_error_code(&je) == json_error_cannot_open_file) {
			errf(err, errlen, "%s", je.text);
			return HD_EIO;
		}
		errf(err, errlen, "%s line %d column %d: %s", path, je.line,
		    je.column, je.text);
		return HD_EINVAL;
	}
	hd_err rv = book_from_json(root, out, err, errlen);
	json_decref(root);
	return rv;
}

void policy_book_free(policy_book *book)
{
	free(book);
}

static void entry_apply(const policy_entry *e, policy_params *p)
{
	const char *src = (const char *)&e->values;
	char *dst = (char *)p;

	for (size_t i = 0; i < policy_field_count; i++) {
		const policy_field *f = &policy_fields[i];
		size_t size = f->type == POLICY_FIELD_BOOL ? sizeof(bool)
		    : f->type == POLICY_FIELD_KINDS	  ? sizeof(uint32_t)
							  : sizeof(int64_t);
		int areas = f->type == POLICY_FIELD_AREA ? POLICY_AREA_COUNT
							 : 1;
		for (int a = 0; a < areas; a++) {
			size_t off = f->offset + (size_t)a * size;
			if (e->named & NAMED_BIT(i, a))
				memcpy(dst + off, src + off, size);
		}
	}
}

hd_err policy_book_resolve(const policy_book *book, const char *region_code,
    policy_params *out, char version[POLICY_VERSION_SIZE])
{
	if (region_code == NULL || strlen(region_code) != 6 ||
	    !prefix_valid(region_code))
		return HD_EINVAL;
	policy_params_defaults(out);
	for (size_t len = 2; len <= 6; len += 2) {
		char prefix[7];
		memcpy(prefix, region_code, len);
		prefix[len] = '\0';
		const policy_entry *e = NULL;
		if (book != NULL)
			e = book_find((policy_book *)book, prefix);
		else if (strcmp(prefix, builtin_beijing.prefix) == 0)
			e = &builtin_beijing;
		if (e != NULL)
			entry_apply(e, out);
	}
	if (version != NULL)
		return policy_params_version(out, version);
	return HD_OK;
}
