/* SPDX-License-Identifier: MIT */
/*
 * audit_verify: walks a store's audit trail (read-only; SQLite file or
 * PostgreSQL, lib/hedui/store_url.h) and checks its hash chain
 * (lib/hedui/audit_chain.h). Used by `hedui audit verify` and tests.
 */
#ifndef HEDUI_AUDIT_VERIFY_H
#define HEDUI_AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"

/* HD_OK with the number of records; HD_ECRYPTO when the chain is broken
 * (why names the record); HD_EDB / HD_EIO when the store cannot be read. */
hd_err audit_verify_store(const char *store_path, const uint8_t *key,
    size_t keylen, int64_t *records, char *why, size_t whylen);
/* The same for a PostgreSQL store (store_path a postgresql:// URI, which
 * audit_verify_store hands to it). */
hd_err audit_verify_pg(const char *url, const uint8_t *key, size_t keylen,
    int64_t *records, char *why, size_t whylen);

#endif
