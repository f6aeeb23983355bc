/* SPDX-License-Identifier: MIT */
/*
 * monitor_sort: the lines of a spool file in the order of their roster
 * line, in bounded memory (an external merge sort), so that the alerts
 * list each county's households in roster order whatever order they were
 * checked in, and come out the same however often a run was interrupted.
 */
#ifndef HEDUI_MONITOR_SORT_H
#define HEDUI_MONITOR_SORT_H

#include <stddef.h>

#include "hd_err.h"

/* Memory for one sorted run (the text of its lines). */
#define MON_SORT_BUDGET (8 * 1024 * 1024)

/* Each line of path with its "\n", given to emit in ascending order of its
 * record's "line" (records start {"line":N). Runs of at most budget bytes
 * are sorted in memory and, when there is more than one, written to
 * tmpdir and merged. HD_EINVAL for a line that is not a record. */
hd_err mon_sort_lines(const char *path, const char *tmpdir, size_t budget,
    hd_err (*emit)(const char *line, size_t len, void *arg), void *arg);

#endif
