/* SPDX-License-Identifier: MIT */
#include "source_lookup.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idnum.h"
#include "log.h"

static void sl_fail(source_answer *ans, rpc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void sl_fail(source_answer *ans, rpc_code code, const char *fmt, ...)
{
	ans->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ans->message, sizeof ans->message, fmt, ap);
	va_end(ap);
}

const ProtobufCMessageDescriptor *source_response_descriptor(srcdb_kind k)
{
	switch (k) {
	case SRCDB_TAX:
		return &hedui__v1__tax_lookup_response__descriptor;
	case SRCDB_BANK:
		return &hedui__v1__bank_lookup_response__descriptor;
	case SRCDB_PROPERTY:
		return &hedui__v1__property_lookup_response__descriptor;
	default:
		return NULL;
	}
}

/* Not found, no facts, and a status that says why. */
static hd_err sl_unavailable(srcdb_result *res, size_t i)
{
	Hedui__V1__Status *st = srcdb_result_alloc(res, sizeof *st);
	if (st == NULL)
		return HD_ENOMEM;
	hedui__v1__status__init(st);
	st->code = HEDUI__V1__STATUS_CODE__UNAVAILABLE;
	st->message = srcdb_result_strdup(
	    res, "this person's record is temporarily unavailable");
	if (st->message == NULL)
		return HD_ENOMEM;
	/* Fresh empty facts replace the record's: nothing of it goes out
	 * with the failure. */
	if (srcdb_result_clear_person(res, i) != HD_OK)
		return HD_ENOMEM;
	srcdb_result_header(res, i)->status = st;
	return HD_OK;
}

/* A negative amount where the kind has one, added when the facts have no
 * entry to spoil. */
static hd_err sl_malformed(srcdb_result *res, size_t i)
{
	srcdb_person *p = &res->persons[i];
	srcdb_result_header(res, i)->found = 1;
	p->found = true;
	switch (res->kind) {
	case SRCDB_TAX:
		p->facts.tax->wage_income_fen = -1;
		return HD_OK;
	case SRCDB_BANK: {
		Hedui__V1__BankFacts *b = p->facts.bank;
		if (b->n_accounts > 0) {
			b->accounts[0]->balance_fen = -1;
			return HD_OK;
		}
		Hedui__V1__Account **arr =
		    srcdb_result_alloc(res, sizeof *arr);
		Hedui__V1__Account *a = srcdb_result_alloc(res, sizeof *a);
		if (arr == NULL || a == NULL)
			return HD_ENOMEM;
		hedui__v1__account__init(a);
		a->kind = "deposit";
		a->balance_fen = -1;
		arr[0] = a;
		b->accounts = arr;
		b->n_accounts = 1;
		return HD_OK;
	}
	default: {
		Hedui__V1__PropertyFacts *pf = p->facts.property;
		if (pf->n_real_estate > 0) {
			pf->real_estate[0]->area_centi_m2 = -1;
			return HD_OK;
		}
		if (pf->n_vehicles > 0) {
			pf->vehicles[0]->value_fen = -1;
			return HD_OK;
		}
		Hedui__V1__Vehicle **arr =
		    srcdb_result_alloc(res, sizeof *arr);
		Hedui__V1__Vehicle *v = srcdb_result_alloc(res, sizeof *v);
		if (arr == NULL || v == NULL)
			return HD_ENOMEM;
		hedui__v1__vehicle__init(v);
		v->kind = "car";
		v->value_fen = -1;
		arr[0] = v;
		pf->vehicles = arr;
		pf->n_vehicles = 1;
		return HD_OK;
	}
	}
}

/* The kind's response message, pointing at the persons' facts. */
static hd_err sl_response(source_answer *ans)
{
	srcdb_result *res = &ans->res;
	switch (res->kind) {
	case SRCDB_TAX: {
		Hedui__V1__TaxLookupResponse *r =
		    srcdb_result_alloc(res, sizeof *r);
		Hedui__V1__TaxFacts **arr =
		    srcdb_result_alloc(res, res->n * sizeof *arr);
		if (r == NULL || arr == NULL)
			return HD_ENOMEM;
		hedui__v1__tax_lookup_response__init(r);
		for (size_t i = 0; i < res->n; i++)
			arr[i] = res->persons[i].facts.tax;
		r->n_persons = res->n;
		r->persons = arr;
		ans->response = &r->base;
		return HD_OK;
	}
	case SRCDB_BANK: {
		Hedui__V1__BankLookupResponse *r =
		    srcdb_result_alloc(res, sizeof *r);
		Hedui__V1__BankFacts **arr =
		    srcdb_result_alloc(res, res->n * sizeof *arr);
		if (r == NULL || arr == NULL)
			return HD_ENOMEM;
		hedui__v1__bank_lookup_response__init(r);
		for (size_t i = 0; i < res->n; i++)
			arr[i] = res->persons[i].facts.bank;
		r->n_persons = res->n;
		r->persons = arr;
		ans->response = &r->base;
		return HD_OK;
	}
	default: {
		Hedui__V1__PropertyLookupResponse *r =
		    srcdb_result_alloc(res, sizeof *r);
		Hedui__V1__PropertyFacts **arr =
		    srcdb_result_alloc(res, res->n * sizeof *arr);
		if (r == NULL || arr == NULL)
			return HD_ENOMEM;
		hedui__v1__property_lookup_response__init(r);
		for (size_t i = 0; i < res->n; i++)
			arr[i] = res->persons[i].facts.property;
		r->n_persons = res->n;
		r->persons = arr;
		ans->response = &r->base;
		return HD_OK;
	}
	}
}

static bool sl_check_request(const Hedui__V1__LookupRequest *req,
    source_answer *ans, char ids[SRCDB_MAX_IDS][IDNUM_LEN + 1])
{
	if (req->n_id_numbers == 0) {
		sl_fail(ans, RPC_INVALID_ARGUMENT,
		    "id_numbers: at least one ID number is needed");
		return false;
	}
	if (req->n_id_numbers > SRCDB_MAX_IDS) {
		sl_fail(ans, RPC_INVALID_ARGUMENT,
		    "id_numbers: %zu given, at most %d per request",
		    req->n_id_numbers, SRCDB_MAX_IDS);
		return false;
	}
	idnum_date as_of = 0;
	if (req->as_of != NULL && req->as_of[0] != '\0' &&
	    !idnum_date_parse(req->as_of, &as_of)) {
		sl_fail(ans, RPC_INVALID_ARGUMENT,
		    "as_of: not a calendar date YYYY-MM-DD");
		return false;
	}
	for (size_t i = 0; i < req->n_id_numbers; i++) {
		idnum_defect d =
		    idnum_check(req->id_numbers[i], as_of, ids[i]);
		if (d != IDNUM_OK) {
			sl_fail(ans, RPC_INVALID_ARGUMENT,
			    "id_numbers[%zu]: %s", i, idnum_defect_str(d));
			return false;
		}
	}
	return true;
}

static void sl_lookup_batch(
    srcdb *db, const Hedui__V1__LookupRequest *req, source_answer *ans);

/* The faults the store records for the persons of ans->res, applied;
 * then the kind's response over them (unless held). */
static void sl_finish(source_answer *ans)
{
	srcdb_result *res = &ans->res;
	hd_err err = HD_OK;
	for (size_t i = 0; i < res->n && err == HD_OK; i++) {
		switch (res->persons[i].fault) {
		case SRCDB_FAULT_TIMEOUT:
			ans->hold = true;
			break;
		case SRCDB_FAULT_UNAVAILABLE:
			err = sl_unavailable(res, i);
			ans->unavailable++;
			break;
		case SRCDB_FAULT_MALFORMED:
			err = sl_malformed(res, i);
			ans->malformed++;
			break;
		default:
			break;
		}
		ans->found += res->persons[i].found;
	}
	if (err == HD_OK && !ans->hold)
		err = sl_response(ans);
	if (err != HD_OK) {
		sl_fail(ans, RPC_INTERNAL,
		    "the source could not build its "
		    "answer");
		ans->response = NULL;
	}
}

static void sl_store_failed(srcdb *db, source_answer *ans, hd_err err)
{
	log_error("source.lookup", "kind=%s err=%s",
	    srcdb_kind_name(srcdb_get_kind(db)), hd_strerror(err));
	sl_fail(ans,
	    rpc_code_from_err(err) == RPC_UNAVAILABLE ? RPC_UNAVAILABLE
	                                              : RPC_INTERNAL,
	    "the source could not read its records");
}

void source_lookup(
    srcdb *db, const Hedui__V1__LookupRequest *req, source_answer *ans)
{
	memset(ans, 0, sizeof *ans);
	ans->code = RPC_OK;
	ans->res.kind = srcdb_get_kind(db);
	if (req->n_households > 0) {
		sl_lookup_batch(db, req, ans);
		return;
	}
	ans->persons = req->n_id_numbers;
	char ids[SRCDB_MAX_IDS][IDNUM_LEN + 1];
	if (!sl_check_request(req, ans, ids))
		return;
	const char *idp[SRCDB_MAX_IDS];
	for (size_t i = 0; i < req->n_id_numbers; i++)
		idp[i] = ids[i];
	hd_err err = srcdb_lookup(db, idp, req->n_id_numbers, &ans->res);
	if (err != HD_OK) {
		sl_store_failed(db, ans, err);
		return;
	}
	sl_finish(ans);
}

static bool sl_check_batch(
    const Hedui__V1__LookupRequest *req, source_answer *ans)
{
	if (req->n_id_numbers > 0) {
		sl_fail(ans, RPC_INVALID_ARGUMENT,
		    "id_numbers: not allowed together with households");
		return false;
	}
	if (req->n_households > SOURCE_BATCH_MAX_HOUSEHOLDS) {
		sl_fail(ans, RPC_INVALID_ARGUMENT,
		    "households: %zu given, at most %d per request",
		    req->n_households, SOURCE_BATCH_MAX_HOUSEHOLDS);
		return false;
	}
	size_t total = 0;
	for (size_t g = 0; g < req->n_households; g++) {
		const Hedui__V1__LookupHousehold *hh = req->households[g];
		if (hh->n_id_numbers == 0 ||
		    hh->n_id_numbers > SRCDB_MAX_IDS) {
			sl_fail(ans, RPC_INVALID_ARGUMENT,
			    "households[%zu].id_numbers: %zu given, 1 to %d "
			    "per household",
			    g, hh->n_id_numbers, SRCDB_MAX_IDS);
			return false;
		}
		total += hh->n_id_numbers;
	}
	if (total > SOURCE_BATCH_MAX_IDS) {
		sl_fail(ans, RPC_INVALID_ARGUMENT,
		    "households: %zu ID numbers in all, at most %d per "
		    "request",
		    total, SOURCE_BATCH_MAX_IDS);
		return false;
	}
	ans->persons = total;
	return true;
}

/* The kind's response over every answered household's persons. */
static hd_err sl_batch_response(source_answer *ans)
{
	size_t n = 0;
	for (size_t g = 0; g < ans->n_parts; g++)
		if (!ans->parts[g].hold)
			n += ans->parts[g].res.n;
	srcdb_result *res = &ans->res;
	ProtobufCMessage **arr =
	    srcdb_result_alloc(res, (n > 0 ? n : 1) * sizeof *arr);
	if (arr == NULL)
		return HD_ENOMEM;
	size_t k = 0;
	for (size_t g = 0; g < ans->n_parts; g++) {
		const source_answer *p = &ans->parts[g];
		for (size_t i = 0; !p->hold && i < p->res.n; i++)
			arr[k++] = p->res.persons[i].facts.msg;
	}
	switch (res->kind) {
	case SRCDB_TAX: {
		Hedui__V1__TaxLookupResponse *r =
		    srcdb_result_alloc(res, sizeof *r);
		if (r == NULL)
			return HD_ENOMEM;
		hedui__v1__tax_lookup_response__init(r);
		r->persons = (Hedui__V1__TaxFacts **)arr;
		r->n_persons = n;
		ans->response = &r->base;
		return HD_OK;
	}
	case SRCDB_BANK: {
		Hedui__V1__BankLookupResponse *r =
		    srcdb_result_alloc(res, sizeof *r);
		if (r == NULL)
			return HD_ENOMEM;
		hedui__v1__bank_lookup_response__init(r);
		r->persons = (Hedui__V1__BankFacts **)arr;
		r->n_persons = n;
		ans->response = &r->base;
		return HD_OK;
	}
	default: {
		Hedui__V1__PropertyLookupResponse *r =
		    srcdb_result_alloc(res, sizeof *r);
		if (r == NULL)
			return HD_ENOMEM;
		hedui__v1__property_lookup_response__init(r);
		r->persons = (Hedui__V1__PropertyFacts **)arr;
		r->n_persons = n;
		ans->response = &r->base;
		return HD_OK;
	}
	}
}

/* What a batch needs besides its answers: each household's normalised ID
 * numbers and the store's groups over them. */
typedef struct sl_batch_ids {
	char ids[SRCDB_MAX_IDS][IDNUM_LEN + 1];
	const char *idp[SRCDB_MAX_IDS];
} sl_batch_ids;

static void sl_lookup_batch(
    srcdb *db, const Hedui__V1__LookupRequest *req, source_answer *ans)
{
	if (!sl_check_batch(req, ans))
		return;
	size_t n = req->n_households;
	ans->parts = calloc(n, sizeof *ans->parts);
	sl_batch_ids *ids = calloc(n, sizeof *ids);
	srcdb_group *groups = calloc(n, sizeof *groups);
	srcdb_result *results = calloc(n, sizeof *results);
	if (ans->parts == NULL || ids == NULL || groups == NULL ||
	    results == NULL) {
		sl_fail(ans, RPC_INTERNAL,
		    "the source could not build its "
		    "answer");
		goto out;
	}
	ans->n_parts = n;
	/* Every household checked first: a bad one spoils the request, as a
	 * bad ID number does a household's, and nothing is read. */
	for (size_t g = 0; g < n; g++) {
		const Hedui__V1__LookupHousehold *hh = req->households[g];
		Hedui__V1__LookupRequest one = HEDUI__V1__LOOKUP_REQUEST__INIT;
		one.id_numbers = hh->id_numbers;
		one.n_id_numbers = hh->n_id_numbers;
		one.as_of = req->as_of;
		source_answer *p = &ans->parts[g];
		p->code = RPC_OK;
		p->res.kind = srcdb_get_kind(db);
		p->persons = hh->n_id_numbers;
		if (!sl_check_request(&one, p, ids[g].ids)) {
			char msg[sizeof ans->message];
			snprintf(msg, sizeof msg, "%s", p->message);
			sl_fail(ans, p->code, "households[%zu].%s", g, msg);
			goto out;
		}
		for (size_t i = 0; i < hh->n_id_numbers; i++)
			ids[g].idp[i] = ids[g].ids[i];
		groups[g].ids = ids[g].idp;
		groups[g].n = hh->n_id_numbers;
	}
	/* One read of the store for all of them (srcdb_lookup_groups). */
	hd_err err = srcdb_lookup_groups(db, groups, n, results);
	if (err != HD_OK) {
		sl_store_failed(db, ans, err);
		goto out;
	}
	for (size_t g = 0; g < n; g++) {
		source_answer *p = &ans->parts[g];
		p->res = results[g];
		memset(&results[g], 0, sizeof results[g]);
		sl_finish(p);
		if (p->code != RPC_OK) {
			char msg[sizeof ans->message];
			snprintf(msg, sizeof msg, "%s", p->message);
			sl_fail(ans, p->code, "%s", msg);
			goto out;
		}
		ans->found += p->found;
		ans->unavailable += p->unavailable;
		ans->malformed += p->malformed;
		ans->held_households += p->hold;
	}
	if ((size_t)ans->held_households == ans->n_parts) {
		ans->hold = true;
		goto out;
	}
	if (sl_batch_response(ans) != HD_OK) {
		sl_fail(ans, RPC_INTERNAL,
		    "the source could not build its "
		    "answer");
		ans->response = NULL;
	}
out:
	for (size_t g = 0; results != NULL && g < n; g++)
		srcdb_result_free(&results[g]);
	free(results);
	free(groups);
	free(ids);
}

void source_answer_free(source_answer *ans)
{
	if (ans == NULL)
		return;
	for (size_t g = 0; g < ans->n_parts; g++)
		source_answer_free(&ans->parts[g]);
	free(ans->parts);
	ans->parts = NULL;
	ans->n_parts = 0;
	srcdb_result_free(&ans->res);
	ans->response = NULL;
}
