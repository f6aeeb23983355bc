/* SPDX-License-Identifier: MIT */
/*
 * stats_query: a StatsQuery as the service takes it, checked against
 * the asking agency: real dates, a period that runs forwards and is at
 * most STATS_MAX_DAYS long, a prefix of 2 to 6 digits within the
 * agency's own (empty: the agency's). Pure: no store, no clock.
 */
#ifndef HEDUI_STATS_QUERY_H
#define HEDUI_STATS_QUERY_H

#include <stddef.h>

#include "agency_auth.h"
#include "hedui/v1/stats.pb-c.h"
#include "store_counts.h"

/* The longest period one query counts (a cost bound, docs/ATTACKS.md). */
#define STATS_MAX_DAYS 366

typedef struct stats_query {
	store_count_query q; /* its region_prefix points at prefix */
	char from[11], to[11];
	char prefix[7];
} stats_query;

/* RPC_OK with out filled; else INVALID_ARGUMENT or PERMISSION_DENIED
 * with the message for the caller in msg (no personal data in it: dates
 * and digits it checked). */
rpc_code stats_query_check(const Hedui__V1__StatsQuery *q,
    const agency_identity *who, stats_query *out, char *msg, size_t cap);

#endif
