/* SPDX-License-Identifier: MIT */
#include "audit_verify.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "audit_chain.h"
#include "store_url.h"

static const char *av_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t != NULL ? (const char *)t : "";
}

static void av_blob(sqlite3_stmt *st, int col, uint8_t out[AUDIT_HASH_LEN])
{
	memset(out, 0, AUDIT_HASH_LEN);
	int n = sqlite3_column_bytes(st, col);
	if (n > AUDIT_HASH_LEN)
		n = AUDIT_HASH_LEN;
	if (n > 0)
		memcpy(out, sqlite3_column_blob(st, col), (size_t)n);
}

hd_err audit_verify_store(const char *store_path, const uint8_t *key,
    size_t keylen, int64_t *records, char *why, size_t whylen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	hd_err e = HD_OK;
	*records = 0;
	why[0] = '\0';
	switch (store_url_kind_of(store_path)) {
	case STORE_URL_POSTGRESQL:
		return audit_verify_pg(
		    store_path, key, keylen, records, why, whylen);
	case STORE_URL_UNKNOWN:
		snprintf(why, whylen,
		    "not a store: a file path or "
		    "postgresql://...");
		return HD_EINVAL;
	default:
		break;
	}
	/* Read-only: verifying must not change what it verifies. */
	int rc = sqlite3_open_v2(store_path, &db, SQLITE_OPEN_READONLY, NULL);
	/* A store not yet opened by a heduid with refusal summaries
	 * (schema 1) has no count, peer and reason: they read as a plain
	 * record's. */
	/* Nor, before the consent registry, its consents column. */
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
		    "SELECT seq, time_ms, agency, operator_id, case_id, "
		    "method, report_id, persons, outcome, prev_hash, hash,"
		    " count, peer, reason, consents FROM audit ORDER BY seq",
		    -1, &st, NULL);
	if (rc != SQLITE_OK && db != NULL)
		rc = sqlite3_prepare_v2(db,
		    "SELECT seq, time_ms, agency, operator_id, case_id, "
		    "method, report_id, persons, outcome, prev_hash, hash,"
		    " count, peer, reason, '' FROM audit ORDER BY seq",
		    -1, &st, NULL);
	if (rc != SQLITE_OK && db != NULL)
		rc = sqlite3_prepare_v2(db,
		    "SELECT seq, time_ms, agency, operator_id, case_id, "
		    "method, report_id, persons, outcome, prev_hash, hash,"
		    " 1, '', '', '' FROM audit ORDER BY seq",
		    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, whylen, "cannot read %s as a heduid store: %s",
		    store_path, db != NULL ? sqlite3_errmsg(db) : "no memory");
		e = HD_EDB;
		goto out;
	}
	audit_walk w;
	audit_walk_init(&w, key, keylen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		audit_record r = {
		    .seq = sqlite3_column_int64(st, 0),
		    .time_ms = sqlite3_column_int64(st, 1),
		    .agency = av_text(st, 2),
		    .operator_id = av_text(st, 3),
		    .case_id = av_text(st, 4),
		    .method = av_text(st, 5),
		    .report_id = av_text(st, 6),
		    .persons = av_text(st, 7),
		    .outcome = sqlite3_column_int(st, 8),
		    .count = sqlite3_column_int64(st, 11),
		    .peer = av_text(st, 12),
		    .reason = av_text(st, 13),
		    .consents = av_text(st, 14),
		};
		av_blob(st, 9, r.prev);
		av_blob(st, 10, r.hash);
		if (!audit_walk_next(&w, &r, why, whylen)) {
			e = HD_ECRYPTO;
			goto out;
		}
		(*records)++;
	}
	if (rc != SQLITE_DONE) {
		snprintf(why, whylen, "cannot read %s: %s", store_path,
		    sqlite3_errmsg(db));
		e = HD_EDB;
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return e;
}
