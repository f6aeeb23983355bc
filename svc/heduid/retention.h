/* SPDX-License-Identifier: MIT */
/*
 * retention: heduid's own purge of old reports' content ([store]
 * retention_days, docs/CONFIG.md). A thread of its own looks once a
 * minute (and a second after start) for reports older than the
 * retention, purges them in small batches through the store's writer
 * (store_purge: each batch a short write among the commits, never a
 * pause of the service), then scrubs the files (store_scrub).
 */
#ifndef HEDUI_RETENTION_H
#define HEDUI_RETENTION_H

#include <stdint.h>

#include "store.h"

/* Reports purged per write: small enough that a commit waiting behind
 * one waits milliseconds. */
#define RETENTION_BATCH 200
#define RETENTION_MAX_DAYS 36500

typedef struct retention retention;

/* days 0: off (NULL, nothing started, err ""). interval_ms 0: 60000.
 * NULL with days > 0 and the reason in err when the store's backend
 * cannot purge, or the thread cannot start: a retention configured is
 * honoured or heduid does not start, never ignored. */
retention *retention_start(
    store *s, int days, uint32_t interval_ms, char *err, size_t errlen);
/* Stops the thread (a batch under way finishes first). Accepts NULL. */
void retention_stop(retention *r);

#endif
