/* SPDX-License-Identifier: MIT */
/*
 * monitor_results: the results file of a monitoring run (JSON Lines: the
 * header, then one record per roster household as its outcome arrives).
 *
 * It is what makes a run resumable. Records are appended with one write()
 * per group of outcomes and the file is fdatasync'd at least every second
 * and before the program ends; on opening an existing file, a torn last
 * line (a crash in the middle of a write) is cut off, and the roster lines
 * already done are remembered in a bitmap of one bit per roster line
 * (125 KB for a million), never the records themselves. The file is
 * locked (flock) while a run writes it.
 */
#ifndef HEDUI_MONITOR_RESULTS_H
#define HEDUI_MONITOR_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "hd_err.h"
#include "monitor_record.h"

typedef struct mon_results mon_results;

/*
 * Opens path. A new (or empty) file gets *want as its header. An existing
 * one must describe the same roster (digest, households) and agency
 * (certificate digest), and the same run id when want->run_id is not
 * empty; *want then becomes the file's header (its run id and as_of rule).
 * *resumed says which. HD_EINVAL with the reason in err for a file of
 * another run, a damaged line or a record of a line the roster does not
 * have; HD_EBUSY when another process holds the lock; HD_EIO.
 */
hd_err mon_results_open(const char *path, mon_header *want, bool *resumed,
    mon_results **out, char *err, size_t errlen);

/* Whether the roster line's outcome is already in the file. */
bool mon_results_done(const mon_results *r, uint64_t line);
/* Records done so far, in all, and per class. */
uint64_t mon_results_count(const mon_results *r);
void mon_results_classes(const mon_results *r, uint64_t out[MON_CLASS_COUNT]);

/* Queues a record (written at the next flush). HD_EEXIST when the line is
 * already done: a record is never written twice. */
hd_err mon_results_add(mon_results *r, const mon_record *rec);
/* Writes what is queued; with sync, fdatasync's the file as well. */
hd_err mon_results_flush(mon_results *r, bool sync);
/* Flushes, syncs, unlocks and closes; accepts NULL. */
hd_err mon_results_close(mon_results *r);

#endif
