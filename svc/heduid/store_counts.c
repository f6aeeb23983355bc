/* SPDX-License-Identifier: MIT */
/*
 * The statistics' reads, on the store's readers' connection (store_read).
 */
#include "store_counts.h"

#include <stdio.h>
#include <string.h>

#include "consent_form.h"
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

/* Each item of a comma-separated list, at most max of them. */
static void store_summary_list(store_count_dim dim, const char *list, int max,
    store_count_key_fn fn, void *arg)
{
	const char *p = list;
	for (int i = 0; i < max && *p != '\0'; i++) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > 0)
			fn(dim, p, len, arg);
		if (end == NULL)
			break;
		p = end + 1;
	}
}

void store_summary_keys(
    const store_summary *s, store_count_key_fn fn, void *arg)
{
	fn(STORE_COUNT_CHECKS, "", 0, arg);
	fn(STORE_COUNT_CONCLUSION, s->conclusion, strlen(s->conclusion), arg);
	fn(STORE_COUNT_CATEGORY, s->category, strlen(s->category), arg);
	store_summary_list(
	    STORE_COUNT_REASON, s->reasons, STORE_COUNT_REASONS_MAX, fn, arg);
	store_summary_list(STORE_COUNT_SOURCE, s->source_failures,
	    STORE_COUNT_SOURCES_MAX, fn, arg);
}

/* The month after YYYYMM, and before. */
static int store_next_month(int m)
{
	return m % 100 == 12 ? (m / 100 + 1) * 100 + 1 : m + 1;
}

static int store_prev_month(int m)
{
	return m % 100 == 1 ? (m / 100 - 1) * 100 + 12 : m - 1;
}

void store_count_span_of(const store_count_query *q, store_count_span *out)
{
	/* The whole months of the period, and the days outside them. */
	int m1 = q->from % 100 == 1 ? q->from / 100
	                            : store_next_month(q->from / 100);
	int m2 = consent_date_add_days(q->to, 1) % 100 == 1
	             ? q->to / 100
	             : store_prev_month(q->to / 100);
	out->d1 = q->from;
	out->d2 = q->to;
	out->d3 = 1;
	out->d4 = 0;
	if (m1 <= m2) {
		out->d2 = m1 * 100;      /* before the first whole month's 1st */
		out->d3 = m2 * 100 + 32; /* after the last whole month's end */
		out->d4 = q->to;
	} else {
		m1 = 1;
		m2 = 0;
	}
	out->m1 = m1;
	out->m2 = m2;
	snprintf(out->hi, sizeof out->hi, "%.6s:", q->region_prefix);
}
