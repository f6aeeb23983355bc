/* SPDX-License-Identifier: MIT */
#include "fixtures.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "idnum.h"
#include "log.h"

/* One load: where we are in the document, for error messages, and scratch
 * memory for the messages of the person being read. */
typedef struct fx_ctx {
	char *err;
	size_t errlen;
	size_t person; /* index in "persons" */
	srcdb_result scratch;
} fx_ctx;

static hd_err fx_fail(fx_ctx *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "persons[3].bank.accounts[0].kind: unknown account kind" */
static hd_err fx_fail(fx_ctx *cx, const char *fmt, ...)
{
	if (cx->err != NULL && cx->errlen > 0) {
		int n =
		    snprintf(cx->err, cx->errlen, "persons[%zu].", cx->person);
		if (n >= 0 && (size_t)n < cx->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(
			    cx->err + n, cx->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return HD_EINVAL;
}

static bool fx_ignored_key(const char *key)
{
	return key[0] == '_' || strcmp(key, "comment") == 0 ||
	       strcmp(key, "name") == 0;
}

/* Keys are quoted in errors only when they look like field names: a file
 * laid out wrongly could have ID numbers as keys. */
static bool fx_printable_key(const char *key)
{
	size_t n = 0;
	for (; key[n] != '\0'; n++)
		if (!(key[n] >= 'a' && key[n] <= 'z') && key[n] != '_')
			return false;
	return n > 0 && n <= 40;
}

/* Every key of obj must be one of allowed (NULL-terminated). */
static hd_err fx_keys(fx_ctx *cx, const json_t *obj, const char *where,
    const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		(void)v;
		bool ok = fx_ignored_key(key);
		for (const char *const *a = allowed; !ok && *a != NULL; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok && fx_printable_key(key))
			return fx_fail(
			    cx, "%s: unknown field \"%s\"", where, key);
		if (!ok)
			return fx_fail(cx, "%s: unknown field", where);
	}
	return HD_OK;
}

/* An amount: a JSON integer, not negative. Absent: dflt, or an error when
 * dflt < 0. */
static hd_err fx_amount(fx_ctx *cx, const json_t *obj, const char *where,
    const char *key, int64_t dflt, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (v == NULL) {
		if (dflt < 0)
			return fx_fail(cx, "%s.%s: missing", where, key);
		*out = dflt;
		return HD_OK;
	}
	if (!json_is_integer(v))
		return fx_fail(cx, "%s.%s: not an integer", where, key);
	json_int_t x = json_integer_value(v);
	if (x < 0)
		return fx_fail(cx, "%s.%s: negative", where, key);
	*out = (int64_t)x;
	return HD_OK;
}

/* A word from a closed vocabulary; absent: dflt, or an error when NULL. */
static hd_err fx_word(fx_ctx *cx, const json_t *obj, const char *where,
    const char *key, const char *dflt, bool (*valid)(const char *), char **out)
{
	const json_t *v = json_object_get(obj, key);
	const char *s = dflt;
	if (v == NULL && dflt == NULL)
		return fx_fail(cx, "%s.%s: missing", where, key);
	if (v != NULL && !json_is_string(v))
		return fx_fail(cx, "%s.%s: not a string", where, key);
	if (v != NULL)
		s = json_string_value(v);
	if (!valid(s))
		return fx_fail(cx, "%s.%s: unknown %s", where, key, key);
	*out = srcdb_result_strdup(&cx->scratch, s);
	return *out != NULL ? HD_OK : HD_ENOMEM;
}

/* The list at obj[key] (absent: empty): checks it is an array of objects
 * and gives its length. */
static hd_err fx_list(fx_ctx *cx, const json_t *obj, const char *where,
    const char *key, size_t *n)
{
	const json_t *arr = json_object_get(obj, key);
	*n = 0;
	if (arr == NULL)
		return HD_OK;
	if (!json_is_array(arr))
		return fx_fail(cx, "%s.%s: not an array", where, key);
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (!json_is_object(json_array_get(arr, i)))
			return fx_fail(
			    cx, "%s.%s[%zu]: not an object", where, key, i);
	*n = json_array_size(arr);
	return HD_OK;
}

/* An array of n pointers to zeroed elements, in the scratch memory. */
#define FX_ARRAY(cx, arr, n, err)                                             \
	do {                                                                  \
		if ((err) != HD_OK || (n) == 0)                               \
			break;                                                \
		(arr) =                                                       \
		    srcdb_result_alloc(&(cx)->scratch, (n) * sizeof *(arr));  \
		for (size_t k_ = 0; (arr) != NULL && k_ < (n); k_++) {        \
			(arr)[k_] = srcdb_result_alloc(                       \
			    &(cx)->scratch, sizeof **(arr));                  \
			if ((arr)[k_] == NULL)                                \
				(arr) = NULL;                                 \
		}                                                             \
		if ((arr) == NULL)                                            \
			(err) = HD_ENOMEM;                                    \
	} while (0)

static hd_err fx_tax(fx_ctx *cx, const json_t *o, Hedui__V1__TaxFacts *t)
{
	static const char *const keys[] = {"found", "wage_income_fen",
	    "business_income_fen", "property_income_fen",
	    "transfer_income_fen", "excluded_income_fen", "businesses", NULL};
	static const char *const bkeys[] = {
	    "registered_capital_fen", "status", NULL};
	hd_err err = fx_keys(cx, o, "tax", keys);
	if (err == HD_OK)
		err = fx_amount(
		    cx, o, "tax", "wage_income_fen", 0, &t->wage_income_fen);
	if (err == HD_OK)
		err = fx_amount(cx, o, "tax", "business_income_fen", 0,
		    &t->business_income_fen);
	if (err == HD_OK)
		err = fx_amount(cx, o, "tax", "property_income_fen", 0,
		    &t->property_income_fen);
	if (err == HD_OK)
		err = fx_amount(cx, o, "tax", "transfer_income_fen", 0,
		    &t->transfer_income_fen);
	if (err == HD_OK)
		err = fx_amount(cx, o, "tax", "excluded_income_fen", 0,
		    &t->excluded_income_fen);
	if (err == HD_OK)
		err = fx_list(cx, o, "tax", "businesses", &t->n_businesses);
	FX_ARRAY(cx, t->businesses, t->n_businesses, err);
	const json_t *arr = json_object_get(o, "businesses");
	for (size_t i = 0; err == HD_OK && i < t->n_businesses; i++) {
		char where[48];
		snprintf(where, sizeof where, "tax.businesses[%zu]", i);
		const json_t *e = json_array_get(arr, i);
		Hedui__V1__Business *b = t->businesses[i];
		hedui__v1__business__init(b);
		err = fx_keys(cx, e, where, bkeys);
		if (err == HD_OK)
			err = fx_amount(cx, e, where, "registered_capital_fen",
			    -1, &b->registered_capital_fen);
		if (err == HD_OK)
			err = fx_word(cx, e, where, "status", "active",
			    srcdb_business_status_valid, &b->status);
	}
	return err;
}

static hd_err fx_bank(fx_ctx *cx, const json_t *o, Hedui__V1__BankFacts *b)
{
	static const char *const keys[] = {"found", "accounts", NULL};
	static const char *const akeys[] = {"kind", "balance_fen", NULL};
	hd_err err = fx_keys(cx, o, "bank", keys);
	if (err == HD_OK)
		err = fx_list(cx, o, "bank", "accounts", &b->n_accounts);
	FX_ARRAY(cx, b->accounts, b->n_accounts, err);
	const json_t *arr = json_object_get(o, "accounts");
	for (size_t i = 0; err == HD_OK && i < b->n_accounts; i++) {
		char where[48];
		snprintf(where, sizeof where, "bank.accounts[%zu]", i);
		const json_t *e = json_array_get(arr, i);
		Hedui__V1__Account *a = b->accounts[i];
		hedui__v1__account__init(a);
		err = fx_keys(cx, e, where, akeys);
		if (err == HD_OK)
			err = fx_word(cx, e, where, "kind", NULL,
			    srcdb_account_kind_valid, &a->kind);
		if (err == HD_OK)
			err = fx_amount(
			    cx, e, where, "balance_fen", -1, &a->balance_fen);
	}
	return err;
}

static hd_err fx_real_estate(
    fx_ctx *cx, const json_t *e, const char *where, Hedui__V1__RealEstate *r)
{
	static const char *const keys[] = {
	    "usage", "area_centi_m2", "share_bps", NULL};
	hedui__v1__real_estate__init(r);
	hd_err err = fx_keys(cx, e, where, keys);
	if (err == HD_OK)
		err = fx_word(
		    cx, e, where, "usage", NULL, srcdb_usage_valid, &r->usage);
	if (err == HD_OK)
		err = fx_amount(
		    cx, e, where, "area_centi_m2", -1, &r->area_centi_m2);
	if (err == HD_OK)
		err =
		    fx_amount(cx, e, where, "share_bps", 10000, &r->share_bps);
	if (err == HD_OK && r->share_bps > 10000)
		err = fx_fail(cx, "%s.share_bps: more than 10000", where);
	return err;
}

static hd_err fx_property(
    fx_ctx *cx, const json_t *o, Hedui__V1__PropertyFacts *p)
{
	static const char *const keys[] = {
	    "found", "real_estate", "vehicles", NULL};
	static const char *const vkeys[] = {"kind", "value_fen", NULL};
	hd_err err = fx_keys(cx, o, "property", keys);
	if (err == HD_OK)
		err = fx_list(
		    cx, o, "property", "real_estate", &p->n_real_estate);
	FX_ARRAY(cx, p->real_estate, p->n_real_estate, err);
	const json_t *arr = json_object_get(o, "real_estate");
	for (size_t i = 0; err == HD_OK && i < p->n_real_estate; i++) {
		char where[48];
		snprintf(where, sizeof where, "property.real_estate[%zu]", i);
		err = fx_real_estate(
		    cx, json_array_get(arr, i), where, p->real_estate[i]);
	}
	if (err == HD_OK)
		err = fx_list(cx, o, "property", "vehicles", &p->n_vehicles);
	FX_ARRAY(cx, p->vehicles, p->n_vehicles, err);
	arr = json_object_get(o, "vehicles");
	for (size_t i = 0; err == HD_OK && i < p->n_vehicles; i++) {
		char where[48];
		snprintf(where, sizeof where, "property.vehicles[%zu]", i);
		const json_t *e = json_array_get(arr, i);
		Hedui__V1__Vehicle *v = p->vehicles[i];
		hedui__v1__vehicle__init(v);
		err = fx_keys(cx, e, where, vkeys);
		if (err == HD_OK)
			err = fx_word(cx, e, where, "kind", NULL,
			    srcdb_vehicle_kind_valid, &v->kind);
		if (err == HD_OK)
			err = fx_amount(
			    cx, e, where, "value_fen", -1, &v->value_fen);
	}
	return err;
}

/* One person's part for one kind, as a record. */
static hd_err fx_part(
    fx_ctx *cx, const json_t *person, srcdb_kind kind, srcdb_record *rec)
{
	const char *name = srcdb_kind_name(kind);
	const json_t *o = json_object_get(person, name);
	rec->found = true;
	if (o != NULL && !json_is_object(o))
		return fx_fail(cx, "%s: not an object", name);
	const json_t *found = o != NULL ? json_object_get(o, "found") : NULL;
	if (found != NULL && !json_is_boolean(found))
		return fx_fail(cx, "%s.found: not true or false", name);
	if (found != NULL)
		rec->found = json_is_true(found);

	union {
		Hedui__V1__TaxFacts tax;
		Hedui__V1__BankFacts bank;
		Hedui__V1__PropertyFacts property;
	} *f = srcdb_result_alloc(&cx->scratch, sizeof *f);
	if (f == NULL)
		return HD_ENOMEM;
	/* o may be NULL: jansson's getters answer NULL for it, which reads
	 * as an empty part. */
	hd_err err;
	switch (kind) {
	case SRCDB_TAX:
		hedui__v1__tax_facts__init(&f->tax);
		err = fx_tax(cx, o, &f->tax);
		rec->facts = &f->tax.base;
		break;
	case SRCDB_BANK:
		hedui__v1__bank_facts__init(&f->bank);
		err = fx_bank(cx, o, &f->bank);
		rec->facts = &f->bank.base;
		break;
	default:
		hedui__v1__property_facts__init(&f->property);
		err = fx_property(cx, o, &f->property);
		rec->facts = &f->property.base;
		break;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		(void)v;
		if (err == HD_OK && !rec->found && !fx_ignored_key(key) &&
		    strcmp(key, "found") != 0)
			err = fx_fail(cx,
			    "%s.%s: facts given for a person not found", name,
			    key);
	}
	return err;
}

static hd_err fx_faults(
    fx_ctx *cx, const json_t *person, srcdb_fault faults[SRCDB_KIND_COUNT])
{
	static const char *const keys[] = {"bank", "tax", "property", NULL};
	for (int k = 0; k < SRCDB_KIND_COUNT; k++)
		faults[k] = SRCDB_FAULT_NONE;
	const json_t *o = json_object_get(person, "faults");
	if (o == NULL)
		return HD_OK;
	if (!json_is_object(o))
		return fx_fail(cx, "faults: not an object");
	hd_err err = fx_keys(cx, o, "faults", keys);
	for (int k = 0; err == HD_OK && k < SRCDB_KIND_COUNT; k++) {
		const char *name = srcdb_kind_name((srcdb_kind)k);
		const json_t *v = json_object_get(o, name);
		if (v == NULL)
			continue;
		if (!json_is_string(v))
			return fx_fail(cx, "faults.%s: not a string", name);
		if (!srcdb_fault_parse(json_string_value(v), &faults[k]) ||
		    faults[k] == SRCDB_FAULT_NONE)
			return fx_fail(cx,
			    "faults.%s: not unavailable, timeout or malformed",
			    name);
	}
	return err;
}

static hd_err fx_person(fx_ctx *cx, const json_t *person, json_t *seen,
    srcdb *const stores[SRCDB_KIND_COUNT])
{
	static const char *const keys[] = {
	    "id_number", "tax", "bank", "property", "faults", NULL};
	if (!json_is_object(person))
		return fx_fail(cx, "person: not an object");
	hd_err err = fx_keys(cx, person, "person", keys);
	if (err != HD_OK)
		return err;
	const json_t *idv = json_object_get(person, "id_number");
	if (idv == NULL)
		return fx_fail(cx, "id_number: missing");
	if (!json_is_string(idv))
		return fx_fail(cx, "id_number: not a string");
	char id[IDNUM_LEN + 1];
	idnum_defect d = idnum_check(json_string_value(idv), 0, id);
	if (d != IDNUM_OK)
		return fx_fail(cx, "id_number: %s", idnum_defect_str(d));
	const json_t *prev = json_object_get(seen, id);
	if (prev != NULL)
		return fx_fail(cx, "id_number: the same as persons[%lld]'s",
		    (long long)json_integer_value(prev));
	if (json_object_set_new(
	        seen, id, json_integer((json_int_t)cx->person)))
		return HD_ENOMEM;

	srcdb_fault faults[SRCDB_KIND_COUNT];
	err = fx_faults(cx, person, faults);
	for (int k = 0; err == HD_OK && k < SRCDB_KIND_COUNT; k++) {
		srcdb_record rec = {.id_number = id, .fault = faults[k]};
		err = fx_part(cx, person, (srcdb_kind)k, &rec);
		if (err != HD_OK || stores == NULL || stores[k] == NULL)
			continue;
		char detail[96];
		err = srcdb_record_check(
		    (srcdb_kind)k, &rec, detail, sizeof detail);
		if (err != HD_OK)
			err = fx_fail(cx, "%s.%s", srcdb_kind_name(k), detail);
		else
			err = srcdb_put(stores[k], &rec);
	}
	srcdb_result_free(&cx->scratch);
	return err;
}

static hd_err fx_load(json_t *root, srcdb *const stores[SRCDB_KIND_COUNT],
    size_t *count, fx_ctx *cx)
{
	static const char *const keys[] = {"persons", NULL};
	if (!json_is_object(root)) {
		snprintf(cx->err, cx->errlen, "the document is not an object");
		return HD_EINVAL;
	}
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v)
	{
		if (!fx_ignored_key(key) && strcmp(key, keys[0]) != 0) {
			snprintf(cx->err, cx->errlen,
			    "unknown top-level field \"%s\"",
			    fx_printable_key(key) ? key : "?");
			return HD_EINVAL;
		}
	}
	const json_t *persons = json_object_get(root, "persons");
	if (!json_is_array(persons)) {
		snprintf(
		    cx->err, cx->errlen, "persons: missing or not an array");
		return HD_EINVAL;
	}
	json_t *seen = json_object();
	if (seen == NULL)
		return HD_ENOMEM;
	hd_err err = HD_OK;
	int begun = 0;
	for (; stores != NULL && begun < SRCDB_KIND_COUNT; begun++) {
		if (stores[begun] != NULL &&
		    (err = srcdb_begin(stores[begun])) != HD_OK)
			break;
	}
	for (size_t i = 0; err == HD_OK && i < json_array_size(persons); i++) {
		cx->person = i;
		err = fx_person(cx, json_array_get(persons, i), seen, stores);
	}
	for (int k = 0; k < begun; k++) {
		if (stores[k] == NULL)
			continue;
		if (err == HD_OK)
			err = srcdb_commit(stores[k]);
		else
			srcdb_rollback(stores[k]);
	}
	/* A failed commit of a later store cannot undo an earlier one; the
	 * caller throws all of them away on error. */
	json_decref(seen);
	/* The store refused (a person already held, a full disk): still a
	 * reason for the operator. */
	if (err != HD_OK && cx->err[0] == '\0')
		snprintf(cx->err, cx->errlen, "persons[%zu]: cannot store: %s",
		    cx->person, hd_strerror(err));
	if (err == HD_OK && count != NULL)
		*count = json_array_size(persons);
	return err;
}

static hd_err fx_parsed(json_t *root, const json_error_t *jerr,
    srcdb *const stores[SRCDB_KIND_COUNT], size_t *count, char *err,
    size_t errlen)
{
	char scratch[8];
	fx_ctx cx = {.err = err != NULL ? err : scratch,
	    .errlen = err != NULL ? errlen : sizeof scratch};
	if (cx.errlen > 0)
		cx.err[0] = '\0';
	if (root == NULL) {
		/* Only the position: jansson's text may quote the input. */
		snprintf(cx.err, cx.errlen,
		    "line %d column %d: not valid JSON", jerr->line,
		    jerr->column);
		return HD_EINVAL;
	}
	hd_err e = fx_load(root, stores, count, &cx);
	srcdb_result_free(&cx.scratch);
	json_decref(root);
	return e;
}

hd_err fixtures_load_file(const char *path,
    srcdb *const stores[SRCDB_KIND_COUNT], size_t *count, char *err,
    size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL && jerr.line < 0) {
		/* Could not read the file at all. */
		(void)path; /* the caller names the file */
		if (err != NULL)
			snprintf(err, errlen, "cannot read the file");
		return HD_EIO;
	}
	return fx_parsed(root, &jerr, stores, count, err, errlen);
}

hd_err fixtures_load_text(const char *text,
    srcdb *const stores[SRCDB_KIND_COUNT], size_t *count, char *err,
    size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	return fx_parsed(root, &jerr, stores, count, err, errlen);
}

hd_err fixtures_open_memory(const char *path, srcdb_kind kind, srcdb **out,
    size_t *count, char *err, size_t errlen)
{
	srcdb *db = NULL;
	*out = NULL;
	hd_err e = srcdb_open(NULL, ":memory:", kind, SRCDB_OPEN_CREATE, &db);
	if (e != HD_OK) {
		if (err != NULL)
			snprintf(err, errlen, "cannot make a store: %s",
			    hd_strerror(e));
		return e;
	}
	srcdb *stores[SRCDB_KIND_COUNT] = {NULL};
	stores[kind] = db;
	e = fixtures_load_file(path, stores, count, err, errlen);
	if (e != HD_OK) {
		srcdb_close(db);
		return e;
	}
	*out = db;
	return HD_OK;
}
