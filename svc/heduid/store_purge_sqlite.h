/* SPDX-License-Identifier: MIT */
/*
 * Retention in the SQLite backend: emptying old reports (store_purge)
 * and making what they held unreadable in the files (store_scrub).
 */
#ifndef HEDUI_STORE_PURGE_SQLITE_H
#define HEDUI_STORE_PURGE_SQLITE_H

#include <sqlite3.h>

#include "store_backend.h"

typedef struct sq_purge sq_purge;

/* After schema 4 (store_counts_sqlite.c): prepares the statements. */
sq_purge *sq_purge_open(
    sqlite3 *db, const char *path, char *err, size_t errlen);
void sq_purge_close(sq_purge *p); /* accepts NULL */
sq_purge *sq_purge_of(void *h);

#endif
