/* SPDX-License-Identifier: MIT */
/*
 * The statistics' reads, on the store's readers' connection (store_read).
 */
#include "store_counts.h"

#include "store_backend.h"

typedef struct counts_read {
	const store_count_query *q;
	store_count_fn each;
	void *arg;
} counts_read;

static hd_err counts_read_fn(void *db, const store_backend_ops *ops, void *arg)
{
	counts_read *r = arg;
	if (ops->count_reports == NULL)
		return HD_ENOTSUP;
	return ops->count_reports(db, r->q, r->each, r->arg);
}

hd_err store_count_reports(
    store *s, const store_count_query *q, store_count_fn each, void *arg)
{
	counts_read r = {.q = q, .each = each, .arg = arg};
	return store_read_long(s, counts_read_fn, &r);
}

const char *store_count_dim_name(store_count_dim d)
{
	static const char *const names[STORE_COUNT_DIMS] = {
	    "checks", "conclusion", "category", "reason", "source"};
	return (unsigned)d < STORE_COUNT_DIMS ? names[d] : "unknown";
}
