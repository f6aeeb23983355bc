/* SPDX-License-Identifier: MIT */
/*
 * The consent registry's writes and reads, through the store's writer
 * (store_write_async: same transaction as the audit record, answered once
 * durable) and its readers' connection (store_read).
 */
#include "store_consent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_status.h"
#include "store_backend.h"

/* One registration or revocation in the writer's queue. */
typedef struct consent_op {
	store_consent c;   /* put: what to insert */
	store_consent rec; /* the record to answer with */
	char region[7];
	char number[CONSENT_NUMBER_MAX + 1];
	int64_t at_ms;
	char by[STORE_AGENCY_MAX];
	char reason[CONSENT_REASON_MAX + 1];
	bool unchanged;
	store_consent_done_fn done;
	void *arg;
} consent_op;

/* In the writer's transaction: the insert, or what is there already. */
static hd_err consent_put_write(
    void *db, const store_backend_ops *ops, void *arg, int *outcome)
{
	consent_op *op = arg;
	hd_err e = ops->consent_insert(db, &op->c);
	if (e == HD_OK) {
		op->rec = op->c;
		return HD_OK;
	}
	if (e != HD_EEXIST)
		return HD_EDB;
	if (ops->consent_get(db, op->c.region, op->c.number, &op->rec) !=
	    HD_OK)
		return HD_EDB;
	if (memcmp(op->rec.content_mac, op->c.content_mac,
	        sizeof op->c.content_mac) == 0) {
		/* The same registration again (a retry): its record, as
		 * it is now (revoked, perhaps). */
		op->unchanged = true;
		return HD_OK;
	}
	*outcome = RPC_ALREADY_EXISTS;
	return HD_EEXIST;
}

static hd_err consent_revoke_write(
    void *db, const store_backend_ops *ops, void *arg, int *outcome)
{
	consent_op *op = arg;
	hd_err e = ops->consent_revoke(
	    db, op->region, op->number, op->at_ms, op->by, op->reason);
	if (e != HD_OK && e != HD_ENOTFOUND)
		return HD_EDB;
	op->unchanged = e == HD_ENOTFOUND;
	hd_err g = ops->consent_get(db, op->region, op->number, &op->rec);
	if (g == HD_ENOTFOUND) {
		*outcome = RPC_NOT_FOUND;
		return HD_ENOTFOUND;
	}
	/* Not changed and there: revoked before (a revoked consent is never
	 * valid again, so a second revocation changes nothing). */
	return g == HD_OK ? HD_OK : HD_EDB;
}

static void consent_op_done(hd_err err, store_report *existing, void *arg)
{
	(void)existing;
	consent_op *op = arg;
	const store_consent *rec =
	    err == HD_OK || err == HD_EEXIST ? &op->rec : NULL;
	op->done(err, rec, op->unchanged, op->arg);
	free(op);
}

static consent_op *consent_op_new(store_consent_done_fn done, void *arg)
{
	consent_op *op = calloc(1, sizeof *op);
	if (op == NULL) {
		done(HD_ENOMEM, NULL, false, arg);
		return NULL;
	}
	op->done = done;
	op->arg = arg;
	return op;
}

void store_consent_put_async(store *s, const store_consent *c,
    const store_audit *a, store_consent_done_fn done, void *arg)
{
	consent_op *op = consent_op_new(done, arg);
	if (op == NULL)
		return;
	op->c = *c;
	store_write_async(s, consent_put_write, op, a, consent_op_done, op);
}

void store_consent_revoke_async(store *s, const char *region,
    const char *number, int64_t at_ms, const char *by, const char *reason,
    const store_audit *a, store_consent_done_fn done, void *arg)
{
	consent_op *op = consent_op_new(done, arg);
	if (op == NULL)
		return;
	snprintf(op->region, sizeof op->region, "%s", region);
	snprintf(op->number, sizeof op->number, "%s", number);
	op->at_ms = at_ms;
	snprintf(op->by, sizeof op->by, "%s", by);
	snprintf(op->reason, sizeof op->reason, "%s", reason);
	store_write_async(s, consent_revoke_write, op, a, consent_op_done, op);
}

typedef struct consent_read {
	const char *region, *number;
	store_consent *out;
	const store_consent_query *q;
	store_consent_fn each;
	void *arg;
} consent_read;

static hd_err consent_get_read(
    void *db, const store_backend_ops *ops, void *arg)
{
	consent_read *r = arg;
	return ops->consent_get(db, r->region, r->number, r->out);
}

hd_err store_consent_get(
    store *s, const char *region, const char *number, store_consent *out)
{
	consent_read r = {.region = region, .number = number, .out = out};
	return store_read(s, consent_get_read, &r);
}

static hd_err consent_list_read(
    void *db, const store_backend_ops *ops, void *arg)
{
	consent_read *r = arg;
	return ops->consent_list(db, r->q, r->each, r->arg);
}

hd_err store_consent_list(
    store *s, const store_consent_query *q, store_consent_fn each, void *arg)
{
	consent_read r = {.q = q, .each = each, .arg = arg};
	return store_read(s, consent_list_read, &r);
}
