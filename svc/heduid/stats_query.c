/* SPDX-License-Identifier: MIT */
#include "stats_query.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "consent_form.h"

static bool stats_digits(const char *s, size_t lo, size_t hi)
{
	size_t n = strlen(s);
	if (n < lo || n > hi)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

rpc_code stats_query_check(const Hedui__V1__StatsQuery *q,
    const agency_identity *who, stats_query *out, char *msg, size_t cap)
{
	store_count_query *cq = &out->q;
	memset(out, 0, sizeof *out);
	/* Checked before it is printed: the dates the caller gave may be
	 * anything. */
	if (!idnum_date_parse(q->from, &cq->from) ||
	    !idnum_date_parse(q->to, &cq->to)) {
		snprintf(
		    msg, cap, "from and to must be real dates YYYY-MM-DD");
		return RPC_INVALID_ARGUMENT;
	}
	consent_date_format(cq->from, out->from);
	consent_date_format(cq->to, out->to);
	if (cq->to < cq->from ||
	    cq->to > consent_date_add_days(cq->from, STATS_MAX_DAYS - 1)) {
		snprintf(msg, cap,
		    "the period must run forwards and be at most %d days "
		    "(from %s to %s)",
		    STATS_MAX_DAYS, out->from, out->to);
		return RPC_INVALID_ARGUMENT;
	}
	const char *prefix = q->region_prefix;
	if (prefix[0] == '\0') {
		prefix = who->region_prefix;
	} else if (!stats_digits(prefix, 2, 6)) {
		snprintf(msg, cap, "region_prefix must be 2 to 6 digits");
		return RPC_INVALID_ARGUMENT;
	} else if (strncmp(prefix, who->region_prefix,
	               strlen(who->region_prefix)) != 0) {
		snprintf(msg, cap,
		    "agency with region prefix %s may not read statistics "
		    "of region prefix %s",
		    who->region_prefix, prefix);
		return RPC_PERMISSION_DENIED;
	}
	snprintf(out->prefix, sizeof out->prefix, "%s", prefix);
	cq->region_prefix = out->prefix;
	return RPC_OK;
}
