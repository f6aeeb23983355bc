/* SPDX-License-Identifier: MIT */
/*
 * hedui-genstore: a report store of N synthetic reports written through
 * the SQLite backend as heduid's writer writes them (groups of 512 in one
 * transaction, each group's counts added up and written with it), then
 * timings of statistics queries and of retention purges on it
 * (docs/PERFORMANCE.md). Not a test: its numbers depend on the machine.
 *
 *   hedui-genstore STORE N [REPORT_BYTES] [PURGE_N] [batch]
 *
 * Reports are spread over 2026 (China time) in creation order, over 99
 * counties of province 33, with programs, conclusions, categories,
 * reason codes and source failures drawn at random. REPORT_BYTES (200)
 * is each report's size; PURGE_N (0) reports are purged afterwards in
 * batches of RETENTION_BATCH, then the files scrubbed, and timed.
 * "batch": each group's reports are of one county (what VerifyBatch
 * calls of one agency commit), instead of every report's county drawn
 * (the worst case for the counts: least added up before writing).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "retention.h"
#include "store_backend.h"
#include "store_counts.h"

#define GROUP 512

static double gen_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t gen_rng = 0x9e3779b97f4a7c15ULL;
static uint32_t gen_rand(void)
{
	gen_rng ^= gen_rng << 13;
	gen_rng ^= gen_rng >> 7;
	gen_rng ^= gen_rng << 17;
	return (uint32_t)(gen_rng >> 16);
}

static const char *const programs[] = {"dibao", "dibao", "marginal", "tekun"};
static const char *const conclusions[] = {
    "meets", "meets", "does_not_meet", "needs_review"};
static const char *const categories[] = {
    "dibao", "marginal", "gradual_exit", "tekun", "none"};
static const char *const reasons[] = {"INCOME_ABOVE_STANDARD",
    "FINANCIAL_ASSETS_OVER_LIMIT", "TOO_MANY_RESIDENCES", "VEHICLE_OWNED",
    "BUSINESS_OWNED", "SOURCE_INCOMPLETE", "SOURCE_UNAVAILABLE",
    "ABLE_SUPPORTER"};
static const char *const failures[] = {
    "bank:failed", "tax:failed", "property:partial", "bank:partial"};

static void gen_report(store_report *r, long i, int64_t t0, int64_t span,
    long n, uint8_t *body, size_t len, const char *county)
{
	memset(r, 0, sizeof *r);
	snprintf(r->report_id, sizeof r->report_id, "HD-20260101-%016lx", i);
	snprintf(r->agency, sizeof r->agency,
	    "CN=agency-33%02u,OU=region:33%02u,O=Civil Affairs,C=CN",
	    1 + gen_rand() % 11, 1 + gen_rand() % 11);
	if (county != NULL)
		snprintf(r->region, sizeof r->region, "%s", county);
	else
		snprintf(r->region, sizeof r->region, "33%02u%02u",
		    1 + gen_rand() % 11, 1 + gen_rand() % 9);
	snprintf(r->request_id, sizeof r->request_id, "req-%ld", i);
	for (size_t k = 0; k < sizeof r->household_hash; k++)
		r->household_hash[k] = (uint8_t)gen_rand();
	for (size_t k = 0; k < len; k++)
		body[k] = (uint8_t)gen_rand();
	r->report = body;
	r->report_len = len;
	r->sig_len = 71;
	r->created_ms = t0 + span * i / n;
	snprintf(r->persons, sizeof r->persons, "%016x%016x%016x%016x",
	    gen_rand(), gen_rand(), gen_rand(), gen_rand());
	store_summary *s = &r->summary;
	snprintf(
	    s->program, sizeof s->program, "%s", programs[gen_rand() % 4]);
	snprintf(s->conclusion, sizeof s->conclusion, "%s",
	    conclusions[gen_rand() % 4]);
	snprintf(
	    s->category, sizeof s->category, "%s", categories[gen_rand() % 5]);
	if (strcmp(s->conclusion, "meets") != 0)
		snprintf(s->reasons, sizeof s->reasons, "%s,%s",
		    reasons[gen_rand() % 4], reasons[4 + gen_rand() % 4]);
	if (gen_rand() % 20 == 0)
		snprintf(s->source_failures, sizeof s->source_failures, "%s",
		    failures[gen_rand() % 4]);
}

static hd_err gen_count(const store_count_row *row, void *arg)
{
	long *rows = arg;
	(void)row;
	(*rows)++;
	return HD_OK;
}

static void gen_query(const store_backend_ops *o, void *db, const char *what,
    idnum_date from, idnum_date to, const char *prefix)
{
	double best = 1e9, worst = 0;
	long rows = 0;
	for (int k = 0; k < 5; k++) {
		store_count_query q = {
		    .from = from, .to = to, .region_prefix = prefix};
		rows = 0;
		double t = gen_now();
		if (o->count_reports(db, &q, gen_count, &rows) != HD_OK) {
			fprintf(stderr, "genstore: query failed\n");
			exit(1);
		}
		t = gen_now() - t;
		best = t < best ? t : best;
		worst = t > worst ? t : worst;
	}
	printf("query %-34s rows=%-6ld best=%.1f ms worst=%.1f ms\n", what,
	    rows, best * 1e3, worst * 1e3);
}

static void gen_conclude(
    const uint8_t *report, size_t len, char *out, size_t cap)
{
	(void)report;
	(void)len;
	snprintf(out, cap, "meets");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: hedui-genstore STORE N [REPORT_BYTES] "
		                "[PURGE_N]\n");
		return 2;
	}
	const char *path = argv[1];
	long n = atol(argv[2]);
	size_t len = argc > 3 ? (size_t)atol(argv[3]) : 200;
	long purge_n = argc > 4 ? atol(argv[4]) : 0;
	bool batch = argc > 5 && strcmp(argv[5], "batch") == 0;
	char err[256];
	const store_backend_ops *o = &store_sqlite_ops;
	void *db = o->open(path, err, sizeof err);
	if (db == NULL) {
		fprintf(stderr, "genstore: %s\n", err);
		return 1;
	}
	uint8_t *bodies = malloc(GROUP * (len > 0 ? len : 1));
	store_report *reps = malloc(GROUP * sizeof *reps);
	const store_report **ptrs = malloc(GROUP * sizeof *ptrs);
	if (bodies == NULL || reps == NULL || ptrs == NULL)
		return 1;
	/* 2026-01-01T00:00+08:00 to the year's end. */
	int64_t t0 = 1767196800000LL, span = 365LL * 86400000LL;
	double t = gen_now(), counts = 0;
	for (long i = 0; i < n; i += GROUP) {
		int m = n - i < GROUP ? (int)(n - i) : GROUP;
		char county[8];
		snprintf(county, sizeof county, "33%02u%02u",
		    1 + gen_rand() % 11, 1 + gen_rand() % 9);
		if (o->begin(db) != HD_OK)
			return 1;
		for (int k = 0; k < m; k++) {
			gen_report(&reps[k], i + k, t0, span, n,
			    bodies + (size_t)k * len, len,
			    batch ? county : NULL);
			if (o->insert_report(db, &reps[k]) != HD_OK)
				return 1;
			ptrs[k] = &reps[k];
		}
		double c = gen_now();
		if (o->insert_summaries(db, ptrs, (size_t)m) != HD_OK)
			return 1;
		counts += gen_now() - c;
		if (o->commit(db) != HD_OK)
			return 1;
	}
	t = gen_now() - t;
	printf("wrote %ld reports of %zu bytes in %.1f s (%.0f/s); "
	       "counts: %.1f s of it (%.1f us a report)\n",
	    n, len, t, (double)n / t, counts, counts * 1e6 / (double)n);

	gen_query(o, db, "year 2026, province 33", 20260101, 20261231, "33");
	gen_query(o, db, "2026-01-15..2026-12-14, prefix 33", 20260115,
	    20261214, "33");
	gen_query(o, db, "year 2026, city 3301", 20260101, 20261231, "3301");
	gen_query(o, db, "year 2026, one county 330101", 20260101, 20261231,
	    "330101");
	gen_query(o, db, "March 2026, province 33", 20260301, 20260331, "33");
	gen_query(o, db, "2026-03-03..2026-03-17, province", 20260303,
	    20260317, "33");

	if (purge_n > 0) {
		int64_t before = t0 + span * purge_n / n;
		long total = 0;
		int got = 0;
		double p = gen_now(), worst = 0;
		do {
			double b = gen_now();
			if (o->begin(db) != HD_OK ||
			    o->purge_reports(db, before, t0 + span,
			        RETENTION_BATCH, gen_conclude,
			        &got) != HD_OK ||
			    o->commit(db) != HD_OK)
				return 1;
			b = gen_now() - b;
			worst = b > worst ? b : worst;
			total += got;
		} while (got == RETENTION_BATCH);
		p = gen_now() - p;
		double s = gen_now();
		hd_err e = o->scrub(db);
		s = gen_now() - s;
		printf("purged %ld reports in %.1f s (%.0f/s), batches of %d: "
		       "worst batch %.1f ms; scrub %.0f ms (%s)\n",
		    total, p, (double)total / p, RETENTION_BATCH, worst * 1e3,
		    s * 1e3, hd_strerror(e));
	}
	o->close(db);
	free(bodies);
	free(reps);
	free(ptrs);
	return 0;
}
