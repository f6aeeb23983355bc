/* SPDX-License-Identifier: MIT */
/*
 * tpg: a real PostgreSQL server for a test program, on a free loopback
 * port in a temporary directory (Debian's postgresql package: initdb and
 * postgres from /usr/lib/postgresql/N/bin, the newest N; HEDUI_PG_BIN
 * names another directory).
 *
 * PostgreSQL refuses to run as root: when the test runs as root, the
 * server runs as nobody (its directory is given to nobody), with
 * PR_SET_PDEATHSIG set after the change of user, so that it dies with
 * the test program even when that crashes. It is stopped at exit
 * (atexit) and by tpg_stop; its log is in $HEDUI_BUILD/test-logs.
 */
#ifndef HEDUI_TPG_H
#define HEDUI_TPG_H

#include <stdbool.h>
#include <stddef.h>

/* Starts the server once per test program (later calls return the same);
 * the URL of its "postgres" database, or NULL when it cannot start. */
const char *tpg_start(void);
/* A new, empty database (an old one of that name is dropped first) and
 * its URL, in a static rotating buffer; NULL on failure. The URL has a
 * password (trust authentication ignores it) so that tests can check it
 * is never logged: TPG_PASSWORD. */
const char *tpg_db(const char *name);
#define TPG_PASSWORD "s3cret-never-logged"
/* Runs SQL (one or more statements) on the database at url. */
bool tpg_exec(const char *url, const char *sql);
/* The first column of the first row of a query, as text, into out
 * (cap bytes); false when there is no row or the query fails. */
bool tpg_query1(const char *url, const char *sql, char *out, size_t cap);
/* Stops the server (fast shutdown: connections are cut); tpg_resume
 * starts it again on the same port and data. */
void tpg_pause(void);
bool tpg_resume(void);
/* Stops it for good and removes its directory (also done at exit). */
void tpg_stop(void);

#endif
