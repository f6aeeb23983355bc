/* SPDX-License-Identifier: MIT */
/*
 * stats_backfill: the counts of the reports a store held before it kept
 * counts (an older store migrated to schema 4), made by heduid in the
 * background after it starts: a thread of its own reads them in small
 * batches through the store's writer (store_backfill_counts), each a
 * short write among the commits, and ends when none is left. Until then
 * hedui stats counts them in part.
 */
#ifndef HEDUI_STATS_BACKFILL_H
#define HEDUI_STATS_BACKFILL_H

#include "store.h"

#define STATS_BACKFILL_BATCH 500

typedef struct stats_backfill stats_backfill;

/* NULL when nothing is left to count (no thread), or when the thread
 * cannot start (logged; the counts of before stay missing). */
stats_backfill *stats_backfill_start(store *s);
/* Stops the thread (a batch under way finishes first). Accepts NULL. */
void stats_backfill_stop(stats_backfill *b);

#endif
