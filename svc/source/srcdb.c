/* SPDX-License-Identifier: MIT */
#include "srcdb.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idnum.h"

struct srcdb {
	const srcdb_ops *ops;
	srcdb_kind kind;
	void *state;
};

/* --- names and vocabularies ---------------------------------------------- */

static const char *const srcdb_kind_names[SRCDB_KIND_COUNT] = {
    "bank", "tax", "property"};
static const char *const srcdb_fault_names[SRCDB_FAULT_COUNT] = {
    "none", "unavailable", "timeout", "malformed"};
static const char *const srcdb_account_kinds[] = {
    "deposit", "securities", "wealth", "insurance", NULL};
static const char *const srcdb_usages[] = {"residential", "commercial",
    "office", "industrial", "parking", "other", NULL};
static const char *const srcdb_vehicle_kinds[] = {"car", "truck", "motorcycle",
    "electric_bike", "disability_mobility", "farm_machinery", NULL};
static const char *const srcdb_business_statuses[] = {
    "active", "closed", NULL};

const char *srcdb_kind_name(srcdb_kind kind)
{
	if ((unsigned)kind >= SRCDB_KIND_COUNT)
		return "?";
	return srcdb_kind_names[kind];
}

bool srcdb_kind_parse(const char *text, srcdb_kind *out)
{
	for (int i = 0; text != NULL && i < SRCDB_KIND_COUNT; i++) {
		if (strcmp(text, srcdb_kind_names[i]) == 0) {
			*out = (srcdb_kind)i;
			return true;
		}
	}
	return false;
}

const char *srcdb_fault_name(srcdb_fault fault)
{
	if ((unsigned)fault >= SRCDB_FAULT_COUNT)
		return "?";
	return srcdb_fault_names[fault];
}

bool srcdb_fault_parse(const char *text, srcdb_fault *out)
{
	for (int i = 0; text != NULL && i < SRCDB_FAULT_COUNT; i++) {
		if (strcmp(text, srcdb_fault_names[i]) == 0) {
			*out = (srcdb_fault)i;
			return true;
		}
	}
	return false;
}

static bool srcdb_in(const char *const *set, const char *s)
{
	for (; s != NULL && *set != NULL; set++)
		if (strcmp(*set, s) == 0)
			return true;
	return false;
}

bool srcdb_account_kind_valid(const char *kind)
{
	return srcdb_in(srcdb_account_kinds, kind);
}

bool srcdb_usage_valid(const char *usage)
{
	return srcdb_in(srcdb_usages, usage);
}

bool srcdb_vehicle_kind_valid(const char *kind)
{
	return srcdb_in(srcdb_vehicle_kinds, kind);
}

bool srcdb_business_status_valid(const char *status)
{
	return srcdb_in(srcdb_business_statuses, status);
}

/* --- result memory --------------------------------------------------------
 */

/* A bump allocator: a lookup makes a few dozen small objects that all die
 * together, so one chunk (rarely more) and one free. */
typedef struct srcdb_chunk {
	struct srcdb_chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
} srcdb_chunk;

struct srcdb_arena {
	srcdb_chunk *head;
};

#define SRCDB_CHUNK_SIZE 8192

void *srcdb_result_alloc(srcdb_result *res, size_t size)
{
	const size_t align = alignof(max_align_t);
	if (size > SIZE_MAX / 2)
		return NULL;
	size = (size + align - 1) / align * align;
	if (res->arena == NULL) {
		res->arena = calloc(1, sizeof *res->arena);
		if (res->arena == NULL)
			return NULL;
	}
	srcdb_chunk *c = res->arena->head;
	if (c == NULL || c->cap - c->used < size) {
		size_t cap = size > SRCDB_CHUNK_SIZE ? size : SRCDB_CHUNK_SIZE;
		c = malloc(sizeof *c + cap);
		if (c == NULL)
			return NULL;
		c->next = res->arena->head;
		c->used = 0;
		c->cap = cap;
		res->arena->head = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *srcdb_result_strdup(srcdb_result *res, const char *s)
{
	size_t len = strlen(s);
	char *p = srcdb_result_alloc(res, len + 1);
	if (p != NULL)
		memcpy(p, s, len + 1);
	return p;
}

void srcdb_result_free(srcdb_result *res)
{
	if (res == NULL)
		return;
	if (res->arena != NULL) {
		srcdb_chunk *c = res->arena->head;
		while (c != NULL) {
			srcdb_chunk *next = c->next;
			free(c);
			c = next;
		}
		free(res->arena);
	}
	srcdb_kind kind = res->kind;
	memset(res, 0, sizeof *res);
	res->kind = kind;
}

Hedui__V1__PersonHeader *srcdb_result_header(const srcdb_result *res, size_t i)
{
	const srcdb_person *p = &res->persons[i];
	switch (res->kind) {
	case SRCDB_TAX:
		return p->facts.tax->person;
	case SRCDB_BANK:
		return p->facts.bank->person;
	default:
		return p->facts.property->person;
	}
}

/* Fresh empty facts of the result's kind for p, with a new header. */
static hd_err srcdb_new_facts(
    srcdb_result *res, const char *id, srcdb_person *p)
{
	Hedui__V1__PersonHeader *h = srcdb_result_alloc(res, sizeof *h);
	char *idc = srcdb_result_strdup(res, id);
	if (h == NULL || idc == NULL)
		return HD_ENOMEM;
	hedui__v1__person_header__init(h);
	h->id_number = idc;
	switch (res->kind) {
	case SRCDB_TAX:
		p->facts.tax = srcdb_result_alloc(res, sizeof *p->facts.tax);
		if (p->facts.tax == NULL)
			return HD_ENOMEM;
		hedui__v1__tax_facts__init(p->facts.tax);
		p->facts.tax->person = h;
		return HD_OK;
	case SRCDB_BANK:
		p->facts.bank = srcdb_result_alloc(res, sizeof *p->facts.bank);
		if (p->facts.bank == NULL)
			return HD_ENOMEM;
		hedui__v1__bank_facts__init(p->facts.bank);
		p->facts.bank->person = h;
		return HD_OK;
	case SRCDB_PROPERTY:
		p->facts.property =
		    srcdb_result_alloc(res, sizeof *p->facts.property);
		if (p->facts.property == NULL)
			return HD_ENOMEM;
		hedui__v1__property_facts__init(p->facts.property);
		p->facts.property->person = h;
		return HD_OK;
	default:
		return HD_EINTERNAL;
	}
}

hd_err srcdb_result_add_person(srcdb_result *res, const char *id)
{
	if (res->n >= SRCDB_MAX_IDS)
		return HD_ETOOBIG;
	srcdb_person *p = &res->persons[res->n];
	memset(p, 0, sizeof *p);
	hd_err err = srcdb_new_facts(res, id, p);
	if (err == HD_OK)
		res->n++;
	return err;
}

hd_err srcdb_result_clear_person(srcdb_result *res, size_t i)
{
	if (i >= res->n)
		return HD_EINVAL;
	srcdb_person *p = &res->persons[i];
	const char *id = srcdb_result_header(res, i)->id_number;
	p->found = false;
	return srcdb_new_facts(res, id, p);
}

/* --- records --------------------------------------------------------------
 */

static hd_err srcdb_bad(char *detail, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static hd_err srcdb_bad(char *detail, size_t len, const char *fmt, ...)
{
	if (detail != NULL && len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, len, fmt, ap);
		va_end(ap);
	}
	return HD_EINVAL;
}

static hd_err srcdb_check_tax(const Hedui__V1__TaxFacts *t, char *d, size_t l)
{
	if (t->wage_income_fen < 0)
		return srcdb_bad(d, l, "wage_income_fen: negative");
	if (t->business_income_fen < 0)
		return srcdb_bad(d, l, "business_income_fen: negative");
	if (t->property_income_fen < 0)
		return srcdb_bad(d, l, "property_income_fen: negative");
	if (t->transfer_income_fen < 0)
		return srcdb_bad(d, l, "transfer_income_fen: negative");
	if (t->excluded_income_fen < 0)
		return srcdb_bad(d, l, "excluded_income_fen: negative");
	for (size_t i = 0; i < t->n_businesses; i++) {
		const Hedui__V1__Business *b = t->businesses[i];
		if (b->registered_capital_fen < 0)
			return srcdb_bad(d, l,
			    "businesses[%zu].registered_capital_fen: negative",
			    i);
		if (!srcdb_business_status_valid(b->status))
			return srcdb_bad(
			    d, l, "businesses[%zu].status: unknown status", i);
	}
	return HD_OK;
}

static hd_err srcdb_check_bank(
    const Hedui__V1__BankFacts *b, char *d, size_t l)
{
	for (size_t i = 0; i < b->n_accounts; i++) {
		const Hedui__V1__Account *a = b->accounts[i];
		if (!srcdb_account_kind_valid(a->kind))
			return srcdb_bad(
			    d, l, "accounts[%zu].kind: unknown kind", i);
		if (a->balance_fen < 0)
			return srcdb_bad(
			    d, l, "accounts[%zu].balance_fen: negative", i);
	}
	return HD_OK;
}

static hd_err srcdb_check_property(
    const Hedui__V1__PropertyFacts *p, char *d, size_t l)
{
	for (size_t i = 0; i < p->n_real_estate; i++) {
		const Hedui__V1__RealEstate *r = p->real_estate[i];
		if (!srcdb_usage_valid(r->usage))
			return srcdb_bad(
			    d, l, "real_estate[%zu].usage: unknown usage", i);
		if (r->area_centi_m2 < 0)
			return srcdb_bad(d, l,
			    "real_estate[%zu].area_centi_m2: negative", i);
		if (r->share_bps < 0 || r->share_bps > 10000)
			return srcdb_bad(d, l,
			    "real_estate[%zu].share_bps: not within 0..10000",
			    i);
	}
	for (size_t i = 0; i < p->n_vehicles; i++) {
		const Hedui__V1__Vehicle *v = p->vehicles[i];
		if (!srcdb_vehicle_kind_valid(v->kind))
			return srcdb_bad(
			    d, l, "vehicles[%zu].kind: unknown kind", i);
		if (v->value_fen < 0)
			return srcdb_bad(
			    d, l, "vehicles[%zu].value_fen: negative", i);
	}
	return HD_OK;
}

hd_err srcdb_record_check(
    srcdb_kind kind, const srcdb_record *rec, char *detail, size_t detail_len)
{
	char norm[IDNUM_LEN + 1];
	if (rec->id_number == NULL ||
	    idnum_check(rec->id_number, 0, norm) != IDNUM_OK ||
	    strcmp(norm, rec->id_number) != 0)
		return srcdb_bad(detail, detail_len,
		    "id_number: not a valid normalised ID number");
	if ((unsigned)rec->fault >= SRCDB_FAULT_COUNT)
		return srcdb_bad(detail, detail_len, "fault: unknown fault");
	if (rec->facts == NULL)
		return HD_OK;
	const ProtobufCMessageDescriptor *want[SRCDB_KIND_COUNT] = {
	    &hedui__v1__bank_facts__descriptor,
	    &hedui__v1__tax_facts__descriptor,
	    &hedui__v1__property_facts__descriptor};
	if ((unsigned)kind >= SRCDB_KIND_COUNT ||
	    rec->facts->descriptor != want[kind])
		return srcdb_bad(
		    detail, detail_len, "facts: not this source's kind");
	switch (kind) {
	case SRCDB_TAX:
		return srcdb_check_tax((const Hedui__V1__TaxFacts *)rec->facts,
		    detail, detail_len);
	case SRCDB_BANK:
		return srcdb_check_bank(
		    (const Hedui__V1__BankFacts *)rec->facts, detail,
		    detail_len);
	default:
		return srcdb_check_property(
		    (const Hedui__V1__PropertyFacts *)rec->facts, detail,
		    detail_len);
	}
}

/* --- dispatch -------------------------------------------------------------
 */

hd_err srcdb_open(const srcdb_ops *ops, const char *target, srcdb_kind kind,
    int flags, srcdb **out)
{
	*out = NULL;
	if (ops == NULL)
		ops = &srcdb_sqlite_ops;
	if ((unsigned)kind >= SRCDB_KIND_COUNT || target == NULL)
		return HD_EINVAL;
	srcdb *db = calloc(1, sizeof *db);
	if (db == NULL)
		return HD_ENOMEM;
	db->ops = ops;
	db->kind = kind;
	hd_err err = ops->open(target, kind, flags, &db->state);
	if (err != HD_OK) {
		free(db);
		return err;
	}
	*out = db;
	return HD_OK;
}

void srcdb_close(srcdb *db)
{
	if (db == NULL)
		return;
	db->ops->close(db->state);
	free(db);
}

srcdb_kind srcdb_get_kind(const srcdb *db)
{
	return db->kind;
}

hd_err srcdb_lookup(
    srcdb *db, const char *const *ids, size_t n, srcdb_result *res)
{
	memset(res, 0, sizeof *res);
	res->kind = db->kind;
	if (n == 0)
		return HD_EINVAL;
	if (n > SRCDB_MAX_IDS)
		return HD_ETOOBIG;
	hd_err err = db->ops->lookup(db->state, ids, n, res);
	if (err == HD_OK && res->n != n)
		err = HD_EINTERNAL;
	if (err != HD_OK)
		srcdb_result_free(res);
	return err;
}

hd_err srcdb_lookup_groups(srcdb *db, const srcdb_group *groups,
    size_t ngroups, srcdb_result *results)
{
	hd_err err = HD_OK;
	for (size_t g = 0; g < ngroups; g++) {
		memset(&results[g], 0, sizeof results[g]);
		results[g].kind = db->kind;
		if (groups[g].n == 0)
			err = HD_EINVAL;
		else if (groups[g].n > SRCDB_MAX_IDS && err == HD_OK)
			err = HD_ETOOBIG;
	}
	if (err != HD_OK)
		return err;
	if (db->ops->lookup_groups != NULL) {
		err = db->ops->lookup_groups(
		    db->state, groups, ngroups, results);
	} else {
		for (size_t g = 0; g < ngroups && err == HD_OK; g++)
			err = db->ops->lookup(db->state, groups[g].ids,
			    groups[g].n, &results[g]);
	}
	for (size_t g = 0; g < ngroups && err == HD_OK; g++)
		if (results[g].n != groups[g].n)
			err = HD_EINTERNAL;
	if (err != HD_OK)
		for (size_t g = 0; g < ngroups; g++)
			srcdb_result_free(&results[g]);
	return err;
}

hd_err srcdb_begin(srcdb *db)
{
	if (db->ops->begin == NULL)
		return HD_ENOTSUP;
	return db->ops->begin(db->state);
}

hd_err srcdb_put(srcdb *db, const srcdb_record *rec)
{
	if (db->ops->put == NULL)
		return HD_ENOTSUP;
	hd_err err = srcdb_record_check(db->kind, rec, NULL, 0);
	if (err != HD_OK)
		return err;
	return db->ops->put(db->state, rec);
}

hd_err srcdb_commit(srcdb *db)
{
	if (db->ops->commit == NULL)
		return HD_ENOTSUP;
	return db->ops->commit(db->state);
}

void srcdb_rollback(srcdb *db)
{
	if (db->ops->rollback != NULL)
		db->ops->rollback(db->state);
}

hd_err srcdb_count(srcdb *db, long long *n)
{
	if (db->ops->count == NULL)
		return HD_ENOTSUP;
	return db->ops->count(db->state, n);
}
