/* SPDX-License-Identifier: MIT */
/*
 * stats_build: a StatsResponse made of the store's count rows (ordered
 * by region, program, dimension, key), in memory it owns.
 */
#ifndef HEDUI_STATS_BUILD_H
#define HEDUI_STATS_BUILD_H

#include <stddef.h>

#include "hedui/v1/stats.pb-c.h"
#include "store_counts.h"

typedef struct stats_build stats_build;

/* At most max_counties (county, program) entries. */
stats_build *stats_build_alloc(size_t max_counties);
void stats_build_free(stats_build *b);

/* store_count_fn: HD_OK, HD_ENOMEM, or HD_ETOOBIG past max_counties. */
hd_err stats_build_row(const store_count_row *row, void *arg);

/* The response (owned by b), its from/to/prefix pointing at the
 * arguments; NULL when out of memory. */
Hedui__V1__StatsResponse *stats_build_finish(
    stats_build *b, const char *from, const char *to, const char *prefix);

#endif
