/* SPDX-License-Identifier: MIT */
/*
 * fixtures: the mock sources' fixtures JSON (docs/RULES.md) into stores.
 *
 *   {"persons": [{"id_number": "...", "tax": {...}, "bank": {...},
 *                 "property": {...}, "faults": {"bank": "timeout"}}]}
 *
 * Strict: a wrong type, an unknown field, kind, usage, status or fault, a
 * negative amount, a share outside 0..10000, an invalid or repeated ID
 * number is an error that names the person's index and the field (never
 * the value). A person in the file is found at every source (with no facts
 * where the file gives none for it) unless that source's part says
 * "found": false. Amounts left out of "tax" are 0; "share_bps" defaults to
 * 10000 and a business "status" to "active"; other list fields are needed.
 * "name" and "comment" fields, and any field whose name starts with "_",
 * are ignored.
 */
#ifndef HEDUI_FIXTURES_H
#define HEDUI_FIXTURES_H

#include <stddef.h>

#include "hd_err.h"
#include "srcdb.h"

/*
 * Checks the whole document and puts each person's part for kind k into
 * stores[k] when stores[k] is not NULL, each store in one transaction
 * (nothing is kept when anything fails). stores may be NULL to only check.
 * *count (optional) is the number of persons. On failure err (optional)
 * says where and why.
 */
hd_err fixtures_load_file(const char *path,
    srcdb *const stores[SRCDB_KIND_COUNT], size_t *count, char *err,
    size_t errlen);
hd_err fixtures_load_text(const char *text,
    srcdb *const stores[SRCDB_KIND_COUNT], size_t *count, char *err,
    size_t errlen);

/* Loads the part of one kind into a new in-memory store, for a source
 * that serves its fixtures directly. */
hd_err fixtures_open_memory(const char *path, srcdb_kind kind, srcdb **out,
    size_t *count, char *err, size_t errlen);

#endif
