/* SPDX-License-Identifier: MIT */
/*
 * stats_summary: what of a verdict the statistics count (store_summary,
 * filled when its report is stored) and what retention keeps of it (its
 * conclusion). Nothing personal: codes and fixed words only.
 */
#ifndef HEDUI_STATS_SUMMARY_H
#define HEDUI_STATS_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hedui/v1/verifier.pb-c.h"
#include "store.h"

/* Program, conclusion, category, each reason code once and each source
 * that did not answer whole as "source:status". */
void stats_summary_of(const Hedui__V1__Verdict *v, store_summary *s);

/* stats_summary_of a serialized Verdict: store_summarize_fn for
 * store_backfill_counts. false when it does not decode. */
bool stats_summarize(const uint8_t *report, size_t len, store_summary *out);

/* The conclusion of a serialized Verdict into out ("" when it does not
 * decode): store_conclude_fn for store_purge. */
void stats_conclude(const uint8_t *report, size_t len, char *out, size_t cap);

#endif
