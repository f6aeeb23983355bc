/* SPDX-License-Identifier: MIT */
/*
 * The consent registry's part of the SQLite backend: its tables, their
 * migration (meta key consent_schema, kept apart from the store's own
 * schema number) and its prepared statements, on a connection that
 * store_sqlite.c opened. See store_consent.h.
 */
#ifndef HEDUI_STORE_CONSENT_SQLITE_H
#define HEDUI_STORE_CONSENT_SQLITE_H

#include <sqlite3.h>

#include "store_backend.h"
#include "store_consent.h"

typedef struct sq_consent sq_consent;

/* Creates the tables (and the audit trail's consents column) when
 * absent, then prepares the statements; NULL with the reason in err.
 * Before the store's own statements are prepared: they name the
 * column. */
sq_consent *sq_consent_open(
    sqlite3 *db, const char *path, char *err, size_t errlen);
void sq_consent_close(sq_consent *c); /* accepts NULL */

/* The registry's part of a backend handle (store_sqlite.c). */
sq_consent *sq_consent_of(void *h);

hd_err sq_consent_insert(void *h, const store_consent *c);
hd_err sq_consent_revoke(void *h, const char *region, const char *number,
    int64_t at_ms, const char *by, const char *reason);
hd_err sq_consent_get(
    void *h, const char *region, const char *number, store_consent *out);
hd_err sq_consent_list(void *h, const store_consent_query *q,
    hd_err (*each)(const store_consent *c, void *arg), void *arg);

#endif
