/* SPDX-License-Identifier: MIT */
#include "stats_build.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One county and program, and its lists of counts. */
typedef struct stats_county {
	Hedui__V1__CountyStats cs;
	char region[8];
	char program[16];
	/* conclusions, categories, reasons, source_failures */
	Hedui__V1__StatsCount **lists[4];
	size_t n[4], cap[4];
} stats_county;

struct stats_build {
	stats_county **counties;
	size_t n, cap, max;
	uint64_t checks;
	Hedui__V1__CountyStats **ptrs;
	Hedui__V1__StatsResponse resp;
};

stats_build *stats_build_alloc(size_t max_counties)
{
	stats_build *b = calloc(1, sizeof *b);
	if (b != NULL)
		b->max = max_counties;
	return b;
}

static void stats_county_free(stats_county *c)
{
	for (int l = 0; l < 4; l++) {
		for (size_t i = 0; i < c->n[l]; i++) {
			free(c->lists[l][i]->key);
			free(c->lists[l][i]);
		}
		free(c->lists[l]);
	}
	free(c);
}

void stats_build_free(stats_build *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		stats_county_free(b->counties[i]);
	free(b->counties);
	free(b->ptrs);
	free(b);
}

/* The county the row belongs to: the last one, or a new one. */
static stats_county *stats_county_for(
    stats_build *b, const store_count_row *row)
{
	if (b->n > 0) {
		stats_county *c = b->counties[b->n - 1];
		if (strcmp(c->region, row->region) == 0 &&
		    strcmp(c->program, row->program) == 0)
			return c;
	}
	if (b->n == b->max)
		return NULL;
	if (b->n == b->cap) {
		size_t cap = b->cap > 0 ? b->cap * 2 : 16;
		stats_county **n = realloc(b->counties, cap * sizeof *n);
		if (n == NULL)
			return NULL;
		b->counties = n;
		b->cap = cap;
	}
	stats_county *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	hedui__v1__county_stats__init(&c->cs);
	/* Codes and program names are short; longer ones are cut, never
	 * overrun. */
	strncpy(c->region, row->region, sizeof c->region - 1);
	strncpy(c->program, row->program, sizeof c->program - 1);
	c->cs.region_code = c->region;
	c->cs.program = c->program;
	b->counties[b->n++] = c;
	return c;
}

static hd_err stats_list_add(
    stats_county *c, int l, const char *key, int64_t n)
{
	if (c->n[l] == c->cap[l]) {
		size_t cap = c->cap[l] > 0 ? c->cap[l] * 2 : 4;
		Hedui__V1__StatsCount **p =
		    realloc(c->lists[l], cap * sizeof *p);
		if (p == NULL)
			return HD_ENOMEM;
		c->lists[l] = p;
		c->cap[l] = cap;
	}
	Hedui__V1__StatsCount *sc = malloc(sizeof *sc);
	char *k = strdup(key);
	if (sc == NULL || k == NULL) {
		free(sc);
		free(k);
		return HD_ENOMEM;
	}
	hedui__v1__stats_count__init(sc);
	sc->key = k;
	sc->count = n > 0 ? (uint64_t)n : 0;
	c->lists[l][c->n[l]++] = sc;
	return HD_OK;
}

hd_err stats_build_row(const store_count_row *row, void *arg)
{
	stats_build *b = arg;
	bool full = b->n == b->max;
	stats_county *c = stats_county_for(b, row);
	if (c == NULL)
		return full ? HD_ETOOBIG : HD_ENOMEM;
	switch (row->dim) {
	case STORE_COUNT_CHECKS:
		c->cs.checks += row->n > 0 ? (uint64_t)row->n : 0;
		b->checks += row->n > 0 ? (uint64_t)row->n : 0;
		return HD_OK;
	case STORE_COUNT_CONCLUSION:
		return stats_list_add(c, 0, row->key, row->n);
	case STORE_COUNT_CATEGORY:
		return stats_list_add(c, 1, row->key, row->n);
	case STORE_COUNT_REASON:
		return stats_list_add(c, 2, row->key, row->n);
	case STORE_COUNT_SOURCE:
		return stats_list_add(c, 3, row->key, row->n);
	default:
		return HD_OK; /* a dimension of a later version */
	}
}

Hedui__V1__StatsResponse *stats_build_finish(
    stats_build *b, const char *from, const char *to, const char *prefix)
{
	hedui__v1__stats_response__init(&b->resp);
	b->resp.from = (char *)from;
	b->resp.to = (char *)to;
	b->resp.region_prefix = (char *)prefix;
	b->resp.checks = b->checks;
	for (size_t i = 0; i < b->n; i++) {
		stats_county *c = b->counties[i];
		c->cs.conclusions = c->lists[0];
		c->cs.n_conclusions = c->n[0];
		c->cs.categories = c->lists[1];
		c->cs.n_categories = c->n[1];
		c->cs.reasons = c->lists[2];
		c->cs.n_reasons = c->n[2];
		c->cs.source_failures = c->lists[3];
		c->cs.n_source_failures = c->n[3];
	}
	free(b->ptrs);
	if ((b->ptrs = calloc(b->n > 0 ? b->n : 1, sizeof *b->ptrs)) == NULL)
		return NULL;
	for (size_t i = 0; i < b->n; i++)
		b->ptrs[i] = &b->counties[i]->cs;
	b->resp.counties = b->ptrs;
	b->resp.n_counties = b->n;
	return &b->resp;
}
