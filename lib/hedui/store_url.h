/* SPDX-License-Identifier: MIT */
/*
 * store_url: which database a store path names, and how to show it.
 *
 * A store path is a SQLite file unless it is a PostgreSQL connection URI
 * (postgresql://... or postgres://...). Any other "scheme://" is refused
 * rather than taken for a file name: a typo must not quietly make a new
 * SQLite file next to the binary.
 *
 * A URI may carry a password (postgresql://user:secret@host/db, or
 * ?password=secret): store_url_mask gives the text safe to log.
 */
#ifndef HEDUI_STORE_URL_H
#define HEDUI_STORE_URL_H

#include <stdbool.h>
#include <stddef.h>

typedef enum store_url_kind {
	STORE_URL_SQLITE,     /* a file path */
	STORE_URL_POSTGRESQL, /* a libpq connection URI */
	STORE_URL_UNKNOWN,    /* "scheme://" of nothing we know */
} store_url_kind;

store_url_kind store_url_kind_of(const char *path);

/* path with any password replaced by "***", truncated to cap. */
void store_url_mask(const char *path, char *out, size_t cap);

/* Replaces, in text (a NUL-terminated buffer of cap bytes), each
 * occurrence of a password the URL carries by "***": libpq's own messages
 * may quote part of a URL (a bad percent-encoding: the whole token). */
void store_url_redact(const char *url, char *text, size_t cap);

#endif
