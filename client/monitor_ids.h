/* SPDX-License-Identifier: MIT */
/*
 * monitor_ids: the run id and the request id of each roster line.
 *
 * A household's request id is what makes a re-sent household get its
 * same report back (heduid's idempotency: the same agency, region,
 * request_id and household bytes give the same report). So it must come
 * out the same however often the run is resumed, and differ from every
 * other run's: it is made from the run id (kept in the results file's
 * header) and the line's identity (its number and a hash of its bytes):
 *
 *   "m-" RUN_ID "-" LINE "-" first 12 hex digits of
 *       SHA-256(RUN_ID "\n" LINE "\n" line bytes)
 */
#ifndef HEDUI_MONITOR_IDS_H
#define HEDUI_MONITOR_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"
#include "idnum.h"

#define MON_RUN_ID_MAX 24
/* "m-" + 24 + "-" + 20 digits + "-" + 12 = 60, within heduid's 64. */
#define MON_REQUEST_ID_MAX 60

/* 1 to 24 characters of [A-Za-z0-9._-]. */
bool mon_run_id_ok(const char *id);
/* "YYYYMMDD-" and 6 random hex digits, e.g. "20261101-3fa92c". */
hd_err mon_run_id_new(idnum_date today, char out[MON_RUN_ID_MAX + 1]);
/* HD_ECRYPTO only when OpenSSL cannot hash. */
hd_err mon_request_id(const char *run_id, uint64_t line, const char *text,
    size_t len, char out[MON_REQUEST_ID_MAX + 1]);

#endif
