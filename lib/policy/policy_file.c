/* SPDX-License-Identifier: MIT */
/*
 * The regional policy file (docs/POLICY-FILE.md): JSON entries keyed by a
 * 2-, 4- or 6-digit region prefix, each naming only the parameters it
 * overrides. An entry is one parameter set (an object), or a list of sets
 * each with the date it applies from (and optionally until). Strict:
 * unknown names, wrong types, negative values, bad prefixes and dates, and
 * overlapping or gapped lists are errors naming the entry and the field.
 */
#include "policy_internal.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* A policy file this large is a mistake (the shipped one is 2 KiB). */
#define POLICY_FILE_MAX (16u << 20)

typedef struct policy_set {
	policy_set_info info;
	policy_params values;
} policy_set;

/* Sorted by key, the built-in set before the file's of the same key, then
 * by date (a list is refused unless written oldest first): a region's
 * entries are found by binary search, however large the file. */
struct policy_book {
	char file_sha256[65];
	size_t n;
	policy_set sets[];
};

/* Beijing ships in every book, from the day its standard became 1,450
 * yuan; field 0 is dibao_standard_fen. */
static const policy_set builtin_beijing = {
    .info =
        {
            .builtin = true,
            .key = POLICY_BEIJING_PREFIX,
            .index = -1,
            .from = POLICY_BEIJING_FROM,
            .named = POLICY_SLOT_BIT(0, POLICY_AREA_URBAN) |
                     POLICY_SLOT_BIT(0, POLICY_AREA_RURAL),
        },
    .values = {.dibao_standard_fen = {POLICY_BEIJING_STANDARD_FEN,
                   POLICY_BEIJING_STANDARD_FEN}},
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

/* --- dates ----------------------------------------------------------------
 */

static void date_text(idnum_date d, char out[11])
{
	unsigned u = (unsigned)d;
	snprintf(out, 11, "%04u-%02u-%02u", (u / 10000) % 10000,
	    (u / 100) % 100, u % 100);
}

/* The next calendar day; 0 after 9999-12-31. */
static idnum_date date_next(idnum_date d)
{
	int y = d / 10000, m = (d / 100) % 100;
	if (idnum_date_valid(d + 1))
		return d + 1;
	if (m < 12)
		return y * 10000 + (m + 1) * 100 + 1;
	return idnum_date_valid((y + 1) * 10000 + 101) ? (y + 1) * 10000 + 101
	                                               : 0;
}

/* The day before; d must be a date after 1800-01-01. */
static idnum_date date_prev(idnum_date d)
{
	int y = d / 10000, m = (d / 100) % 100;
	if (d % 100 > 1)
		return d - 1;
	if (m == 1)
		return (y - 1) * 10000 + 1231;
	for (int day = 31;; day--)
		if (idnum_date_valid(y * 10000 + (m - 1) * 100 + day))
			return y * 10000 + (m - 1) * 100 + day;
}

/* "2023-07-01 to 2024-06-30", "from 2024-07-01", "until 2024-06-30",
 * "always": a set's dates as written, for messages. */
static void span_text(const policy_set_info *s, char *out, size_t len)
{
	char f[11], u[11];
	date_text(s->from, f);
	date_text(s->until, u);
	if (s->from != 0 && s->until != 0)
		snprintf(out, len, "%s to %s", f, u);
	else if (s->from != 0)
		snprintf(out, len, "from %s", f);
	else if (s->until != 0)
		snprintf(out, len, "until %s", u);
	else
		snprintf(out, len, "always");
}

/* "11" or "11[2]": where a set is in the file, for messages. */
static void where_text(const policy_set_info *s, char *out, size_t len)
{
	if (s->index < 0)
		snprintf(out, len, "%s", s->key);
	else
		snprintf(out, len, "%s[%d]", s->key, s->index);
}

void policy_set_name(const policy_set_info *s, char *out, size_t len)
{
	char f[11];
	date_text(s->from, f);
	snprintf(out, len, "%s%s%s%s", s->builtin ? "builtin:" : "", s->key,
	    s->from != 0 ? "@" : "", s->from != 0 ? f : "");
}

/* --- one parameter set ----------------------------------------------------
 */

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

/* Sets one field of a set from its JSON value; w names the set. */
static hd_err field_set(policy_set *e, const char *w, size_t fi,
    const json_t *val, char *err, size_t errlen)
{
	const policy_field *f = &policy_fields[fi];
	char *dst = (char *)&e->values + f->offset;
	int64_t v;

	switch (f->type) {
	case POLICY_FIELD_INT:
		if (!int_get(val, &v))
			goto not_int;
		memcpy(dst, &v, sizeof(v));
		e->info.named |= POLICY_SLOT_BIT(fi, 0);
		return HD_OK;
	case POLICY_FIELD_BOOL:
		if (!json_is_boolean(val)) {
			errf(err, errlen,
			    "regions.%s.%s: must be true or false", w,
			    f->name);
			return HD_EINVAL;
		}
		e->values.allow_non_residential = json_is_true(val);
		e->info.named |= POLICY_SLOT_BIT(fi, 0);
		return HD_OK;
	case POLICY_FIELD_AREA: {
		const char *key;
		json_t *sub;
		if (!json_is_object(val)) {
			errf(err, errlen,
			    "regions.%s.%s: must be an object "
			    "{\"urban\": fen, \"rural\": fen}",
			    w, f->name);
			return HD_EINVAL;
		}
		json_object_foreach((json_t *)val, key, sub)
		{
			policy_area a;
			if (!policy_area_parse(key, &a)) {
				errf(err, errlen,
				    "regions.%s.%s.%.24s: unknown area "
				    "(urban or rural)",
				    w, f->name, key);
				return HD_EINVAL;
			}
			if (!int_get(sub, &v)) {
				errf(err, errlen,
				    "regions.%s.%s.%s: must be a non-negative "
				    "integer",
				    w, f->name, key);
				return HD_EINVAL;
			}
			memcpy(dst + a * sizeof(int64_t), &v, sizeof(v));
			e->info.named |= POLICY_SLOT_BIT(fi, a);
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
			    w, f->name);
			return HD_EINVAL;
		}
		json_array_foreach(val, i, item)
		{
			policy_vehicle_kind k;
			if (!policy_vehicle_kind_parse(
			        json_string_value(item), &k)) {
				errf(err, errlen,
				    "regions.%s.%s[%zu]: unknown vehicle kind",
				    w, f->name, i);
				return HD_EINVAL;
			}
			kinds |= POLICY_VEHICLE_BIT(k);
		}
		e->values.vehicle_exempt_kinds = kinds;
		e->info.named |= POLICY_SLOT_BIT(fi, 0);
		return HD_OK;
	}
	}
not_int:
	errf(err, errlen, "regions.%s.%s: must be a non-negative integer", w,
	    f->name);
	return HD_EINVAL;
}

static hd_err date_get(const char *w, const char *key, const json_t *val,
    idnum_date *out, char *err, size_t errlen)
{
	if (!idnum_date_parse(json_string_value(val), out)) {
		errf(err, errlen,
		    "regions.%s.%s: must be a date \"YYYY-MM-DD\"", w, key);
		return HD_EINVAL;
	}
	return HD_OK;
}

static hd_err set_fill(
    policy_set *e, const json_t *obj, char *err, size_t errlen)
{
	char w[24];
	const char *key;
	json_t *val;
	hd_err rv;

	where_text(&e->info, w, sizeof w);
	if (!json_is_object(obj)) {
		errf(err, errlen, "regions.%s: must be an object", w);
		return HD_EINVAL;
	}
	json_object_foreach((json_t *)obj, key, val)
	{
		if (strcmp(key, "comment") == 0) {
			if (!json_is_string(val)) {
				errf(err, errlen,
				    "regions.%s.comment: must be a string", w);
				return HD_EINVAL;
			}
			continue;
		}
		if (strcmp(key, "from") == 0) {
			if ((rv = date_get(w, key, val, &e->info.from, err,
			         errlen)) != HD_OK)
				return rv;
			continue;
		}
		if (strcmp(key, "until") == 0) {
			if ((rv = date_get(w, key, val, &e->info.until, err,
			         errlen)) != HD_OK)
				return rv;
			continue;
		}
		size_t fi = 0;
		while (fi < policy_field_count &&
		       strcmp(policy_fields[fi].name, key) != 0)
			fi++;
		if (fi == policy_field_count) {
			errf(err, errlen,
			    "regions.%s.%.48s: unknown parameter", w, key);
			return HD_EINVAL;
		}
		if ((rv = field_set(e, w, fi, val, err, errlen)) != HD_OK)
			return rv;
	}
	if (e->info.from != 0 && e->info.until != 0 &&
	    e->info.until < e->info.from) {
		char f[11], u[11];
		date_text(e->info.from, f);
		date_text(e->info.until, u);
		errf(err, errlen, "regions.%s: until %s is before from %s", w,
		    u, f);
		return HD_EINVAL;
	}
	return HD_OK;
}

/* --- an entry's list: oldest first, no overlap, no gap ------------------ */

/*
 * s[0..n-1] are one entry's sets as listed. Each must begin the day after
 * the one before it ends; a set without "until" ends the day before the
 * next begins. Fills in each set's ends.
 */
static hd_err list_check(policy_set *s, size_t n, char *err, size_t errlen)
{
	for (size_t i = 1; i < n; i++) {
		policy_set_info *a = &s[i - 1].info, *b = &s[i].info;
		char wa[24], wb[24], sa[32], sb[32], d1[11], d2[11];
		where_text(a, wa, sizeof wa);
		where_text(b, wb, sizeof wb);
		span_text(a, sa, sizeof sa);
		span_text(b, sb, sizeof sb);
		if (b->from == 0) {
			errf(err, errlen,
			    "regions.%s (%s): no \"from\": only the first set "
			    "of a list may apply from the beginning, and "
			    "regions.%s (%s) does",
			    wb, sb, wa, sa);
			return HD_EINVAL;
		}
		if (b->from < a->from) {
			errf(err, errlen,
			    "regions.%s (%s) is listed after regions.%s (%s): "
			    "list the sets oldest first",
			    wb, sb, wa, sa);
			return HD_EINVAL;
		}
		if (b->from == a->from ||
		    (a->until != 0 && b->from <= a->until)) {
			errf(err, errlen,
			    "regions.%s (%s) overlaps regions.%s (%s)", wb, sb,
			    wa, sa);
			return HD_EINVAL;
		}
		if (a->until != 0 && b->from != date_next(a->until)) {
			date_text(date_next(a->until), d1);
			date_text(date_prev(b->from), d2);
			errf(err, errlen,
			    "regions.%s (%s) leaves a gap after regions.%s "
			    "(%s): nothing applies from %s to %s",
			    wb, sb, wa, sa, d1, d2);
			return HD_EINVAL;
		}
		a->ends = a->until != 0 ? a->until : date_prev(b->from);
	}
	s[n - 1].info.ends = s[n - 1].info.until;
	return HD_OK;
}

/* Fills the sets of one entry (an object or a list) from *at onwards. */
static hd_err entry_fill(policy_book *b, const char *key, const json_t *val,
    char *err, size_t errlen)
{
	size_t first = b->n;

	if (json_is_object(val)) {
		policy_set *s = &b->sets[b->n++];
		memcpy(s->info.key, key, strlen(key) + 1);
		s->info.index = -1;
		hd_err rv = set_fill(s, val, err, errlen);
		if (rv == HD_OK)
			s->info.ends = s->info.until;
		return rv;
	}
	if (!json_is_array(val)) {
		errf(err, errlen,
		    "regions.%s: must be an object (a parameter set) or a "
		    "list of dated parameter sets",
		    key);
		return HD_EINVAL;
	}
	if (json_array_size(val) == 0) {
		errf(err, errlen,
		    "regions.%s: an empty list: give at least one parameter "
		    "set",
		    key);
		return HD_EINVAL;
	}
	size_t i;
	json_t *item;
	json_array_foreach(val, i, item)
	{
		policy_set *s = &b->sets[b->n++];
		memcpy(s->info.key, key, strlen(key) + 1);
		s->info.index = (int)i;
		hd_err rv = set_fill(s, item, err, errlen);
		if (rv != HD_OK)
			return rv;
	}
	return list_check(&b->sets[first], b->n - first, err, errlen);
}

/* Sets the whole file could hold: one per entry or list item. */
static size_t sets_count(const json_t *regions)
{
	const char *key;
	json_t *val;
	size_t n = 0;
	json_object_foreach((json_t *)regions, key, val)
	{
		n += json_is_array(val) ? json_array_size(val) : 1;
	}
	return n;
}

/* The book's order: key, built-in first, from. No two sets are equal:
 * an entry's sets have distinct from-dates (list_check). */
static int set_order(const void *pa, const void *pb)
{
	const policy_set_info *a = &((const policy_set *)pa)->info;
	const policy_set_info *b = &((const policy_set *)pb)->info;
	int c = strcmp(a->key, b->key);
	if (c != 0)
		return c;
	if (a->builtin != b->builtin)
		return a->builtin ? -1 : 1;
	return (a->from > b->from) - (a->from < b->from);
}

static hd_err book_from_json(
    const json_t *root, policy_book **out, char *err, size_t errlen)
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
				errf(
				    err, errlen, "regions: must be an object");
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

	size_t cap = sets_count(regions) + 1;
	policy_book *b = calloc(1, sizeof(*b) + cap * sizeof(policy_set));
	if (b == NULL)
		return HD_ENOMEM;
	b->sets[b->n++] = builtin_beijing;
	json_object_foreach((json_t *)regions, key, val)
	{
		if (!prefix_valid(key)) {
			errf(err, errlen,
			    "regions.\"%.24s\": key must be a 2, 4 or 6 digit "
			    "region prefix",
			    key);
			goto fail;
		}
		if (entry_fill(b, key, val, err, errlen) != HD_OK)
			goto fail;
	}
	qsort(b->sets, b->n, sizeof b->sets[0], set_order);
	*out = b;
	return HD_OK;
fail:
	policy_book_free(b);
	return HD_EINVAL;
}

/* The book of json[0..len) as a file named name (for syntax errors). */
static hd_err book_parse(const char *name, const char *json, size_t len,
    policy_book **out, char *err, size_t errlen)
{
	json_error_t je;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	*out = NULL;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		errf(err, errlen, "%s line %d column %d: %s", name, je.line,
		    je.column, je.text);
		return HD_EINVAL;
	}
	hd_err rv = book_from_json(root, out, err, errlen);
	json_decref(root);
	if (rv != HD_OK)
		return rv;
	/* What the file was, byte for byte: reports name it. */
	if (EVP_Digest(json, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		log_error("policy.load", "reason=sha256_failed");
		policy_book_free(*out);
		*out = NULL;
		errf(err, errlen, "%s: cannot compute its SHA-256", name);
		return HD_ECRYPTO;
	}
	for (int i = 0; i < 32; i++)
		snprintf((*out)->file_sha256 + 2 * i, 3, "%02x", md[i]);
	return HD_OK;
}

hd_err policy_book_parse(
    const char *json, size_t len, policy_book **out, char *err, size_t errlen)
{
	return book_parse("policy file", json, len, out, err, errlen);
}

/* The whole file into memory (its hash is of exactly these bytes). */
static hd_err file_read(
    const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL) {
		errf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return HD_EIO;
	}
	for (;;) {
		if (n == cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			char *p =
			    cap <= POLICY_FILE_MAX ? realloc(buf, cap) : NULL;
			if (p == NULL) {
				errf(err, errlen,
				    "%s: larger than %u bytes, or out of "
				    "memory",
				    path, POLICY_FILE_MAX);
				goto fail;
			}
			buf = p;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		errf(err, errlen, "cannot read %s", path);
		goto fail;
	}
	fclose(f);
	*data = buf;
	*len = n;
	return HD_OK;
fail:
	free(buf);
	fclose(f);
	return HD_EIO;
}

hd_err policy_book_load(
    const char *path, policy_book **out, char *err, size_t errlen)
{
	char *data = NULL;
	size_t len = 0;

	*out = NULL;
	if (path == NULL) {
		policy_book *b = calloc(1, sizeof(*b) + sizeof(policy_set));
		if (b == NULL)
			return HD_ENOMEM;
		b->sets[b->n++] = builtin_beijing;
		*out = b;
		return HD_OK;
	}
	hd_err rv = file_read(path, &data, &len, err, errlen);
	if (rv != HD_OK)
		return rv;
	rv = book_parse(path, data, len, out, err, errlen);
	free(data);
	return rv;
}

void policy_book_free(policy_book *book)
{
	free(book);
}

const char *policy_book_file_sha256(const policy_book *book)
{
	return book != NULL ? book->file_sha256 : "";
}

/* --- resolution -----------------------------------------------------------
 */

/* The built-in sets, for a NULL book. */
static const policy_set *book_sets(const policy_book *b, size_t *n)
{
	if (b == NULL) {
		*n = 1;
		return &builtin_beijing;
	}
	*n = b->n;
	return b->sets;
}

static bool in_force(const policy_set_info *s, idnum_date as_of)
{
	return s->from <= as_of && (s->ends == 0 || as_of <= s->ends);
}

/* The first set whose key is not below key. */
static size_t sets_lower(const policy_set *sets, size_t n, const char *key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(sets[mid].info.key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Calls fn for every set of the entries region_code's prefixes name, in
 * the order of resolution: by prefix length, then the book's order. */
static void sets_each(const policy_book *book, const char *region_code,
    void (*fn)(const policy_set *, void *), void *arg)
{
	size_t n;
	const policy_set *sets = book_sets(book, &n);

	for (size_t len = 2; len <= 6; len += 2) {
		char prefix[7];
		memcpy(prefix, region_code, len);
		prefix[len] = '\0';
		for (size_t i = sets_lower(sets, n, prefix);
		     i < n && strcmp(sets[i].info.key, prefix) == 0; i++)
			fn(&sets[i], arg);
	}
}

static void set_apply(const policy_set *s, policy_params *p,
    policy_applied *applied, int8_t level)
{
	const char *src = (const char *)&s->values;
	char *dst = (char *)p;

	for (size_t i = 0; i < policy_field_count; i++) {
		const policy_field *f = &policy_fields[i];
		size_t size = f->type == POLICY_FIELD_BOOL ? sizeof(bool)
		              : f->type == POLICY_FIELD_KINDS
		                  ? sizeof(uint32_t)
		                  : sizeof(int64_t);
		int areas =
		    f->type == POLICY_FIELD_AREA ? POLICY_AREA_COUNT : 1;
		for (int a = 0; a < areas; a++) {
			size_t off = f->offset + (size_t)a * size;
			if (!(s->info.named & POLICY_SLOT_BIT(i, a)))
				continue;
			memcpy(dst + off, src + off, size);
			applied->origin[POLICY_SLOT(i, a)] = level;
		}
	}
}

typedef struct apply_ctx {
	idnum_date as_of;
	policy_params *p;
	policy_applied *applied;
} apply_ctx;

static void apply_one(const policy_set *s, void *arg)
{
	apply_ctx *c = arg;
	policy_applied *a = c->applied;
	/* At most one set of an entry is in force (the list was checked),
	 * and there is one entry per prefix and origin. */
	if (!in_force(&s->info, c->as_of) || a->n >= POLICY_LEVELS_MAX)
		return;
	a->sets[a->n] = s->info;
	set_apply(s, c->p, a, (int8_t)a->n);
	a->n++;
}

static bool region_valid(const char *region_code)
{
	return region_code != NULL && strlen(region_code) == 6 &&
	       prefix_valid(region_code);
}

hd_err policy_book_apply(const policy_book *book, const char *region_code,
    idnum_date as_of, policy_params *out, policy_applied *applied)
{
	if (!region_valid(region_code) || !idnum_date_valid(as_of))
		return HD_EINVAL;
	memset(applied, 0, sizeof *applied);
	memset(applied->origin, -1, sizeof applied->origin);
	policy_params_defaults(out);
	apply_ctx c = {.as_of = as_of, .p = out, .applied = applied};
	sets_each(book, region_code, apply_one, &c);

	/* pv1-DIGEST,file:HASH12,SET,SET... */
	char digest[POLICY_DIGEST_SIZE];
	hd_err rv = policy_params_version(out, digest);
	if (rv != HD_OK)
		return rv;
	const char *sha = policy_book_file_sha256(book);
	size_t at = (size_t)snprintf(applied->version, sizeof applied->version,
	    "%s,file:%.12s", digest, sha[0] != '\0' ? sha : "none");
	/* At most 4 sets of at most 22 characters: it always fits. */
	for (size_t i = 0; i < applied->n && at < sizeof applied->version;
	     i++) {
		char name[32];
		policy_set_name(&applied->sets[i], name, sizeof name);
		at += (size_t)snprintf(applied->version + at,
		    sizeof applied->version - at, ",%s", name);
	}
	return HD_OK;
}

hd_err policy_book_resolve(const policy_book *book, const char *region_code,
    idnum_date as_of, policy_params *out, char version[POLICY_VERSION_SIZE])
{
	policy_applied applied;
	hd_err rv = policy_book_apply(book, region_code, as_of, out, &applied);
	if (rv == HD_OK && version != NULL)
		memcpy(version, applied.version, POLICY_VERSION_SIZE);
	return rv;
}

typedef struct list_ctx {
	policy_set_info *out;
	size_t cap, n;
} list_ctx;

static void list_one(const policy_set *s, void *arg)
{
	list_ctx *c = arg;
	if (c->n < c->cap)
		c->out[c->n] = s->info;
	c->n++;
}

size_t policy_book_sets(const policy_book *book, const char *region_code,
    policy_set_info *out, size_t cap)
{
	if (!region_valid(region_code))
		return 0;
	list_ctx c = {.out = out, .cap = cap};
	sets_each(book, region_code, list_one, &c);
	return c.n;
}
