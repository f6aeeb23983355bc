/* SPDX-License-Identifier: MIT */
/*
 * store_backend: what the store needs from a database. store.c does the
 * queueing, grouping, chaining and health; a backend only reads and writes
 * rows. Each handle is used by one thread at a time.
 */
#ifndef HEDUI_STORE_BACKEND_H
#define HEDUI_STORE_BACKEND_H

#include "store.h"

struct store_consent;
struct store_consent_query;
struct store_count_query;
struct store_count_row;

typedef struct store_backend_ops {
	const char *name;
	/* Opens (creating tables when absent); NULL with the reason in err. */
	void *(*open)(const char *path, char *err, size_t errlen);
	void (*close)(void *db);
	hd_err (*begin)(void *db);
	hd_err (*commit)(void *db);
	void (*rollback)(void *db);
	/* HD_EEXIST (nothing written) when the idempotency key (agency,
	 * region, request_id) is taken. */
	hd_err (*insert_report)(void *db, const store_report *r);
	hd_err (*insert_audit)(void *db, const audit_record *a);
	/* HD_OK, HD_ENOTFOUND or HD_EDB. */
	hd_err (*get_report)(
	    void *db, const char *report_id, store_report *out);
	hd_err (*find_by_request)(void *db, const char *agency,
	    const char *region, const char *request_id, store_report *out);
	/* The last audit record's seq and hash; seq 0 and zeros when empty. */
	hd_err (*audit_head)(void *db, int64_t *seq, uint8_t hash[32]);
	/* A small durable write, to tell whether the store works again. */
	hd_err (*probe)(void *db);

	/* The consent registry (store_consent.h). insert: HD_EEXIST when
	 * (region, number) is taken; revoke: HD_ENOTFOUND when there is no
	 * such consent not yet revoked; get: HD_OK, HD_ENOTFOUND or HD_EDB;
	 * list: store_consent_query's results in order. */
	hd_err (*consent_insert)(void *db, const struct store_consent *c);
	hd_err (*consent_revoke)(void *db, const char *region,
	    const char *number, int64_t at_ms, const char *by,
	    const char *reason);
	hd_err (*consent_get)(void *db, const char *region, const char *number,
	    struct store_consent *out);
	hd_err (*consent_list)(void *db, const struct store_consent_query *q,
	    hd_err (*each)(const struct store_consent *c, void *arg),
	    void *arg);

	/* Several heduid processes on one database (both NULL for SQLite,
	 * whose one process is the only writer and keeps the chain's head
	 * in memory). audit_head_locked: called just after begin, makes
	 * this transaction the chain's only writer until it ends and gives
	 * the head as of now. replay_record: the agencies' signatures seen
	 * by any replica; HD_OK when key is new (now recorded until
	 * expires_ms), HD_EEXIST when seen and not expired, or HD_EDB. */
	hd_err (*audit_head_locked)(void *db, int64_t *seq, uint8_t hash[32]);
	hd_err (*replay_record)(void *db, const uint8_t key[32],
	    int64_t now_ms, int64_t expires_ms);
	/* Statistics and retention (store_counts.h, store_purge); NULL in a
	 * backend without them. insert_summaries: the counts of n reports
	 * just inserted in this transaction (those with a summary). */
	hd_err (*insert_summaries)(
	    void *db, const store_report *const *reports, size_t n);
	hd_err (*count_reports)(void *db, const struct store_count_query *q,
	    hd_err (*each)(const struct store_count_row *row, void *arg),
	    void *arg);
	/* In the writer's transaction; *purged as store_purge's. */
	hd_err (*purge_reports)(void *db, int64_t before_ms, int64_t now_ms,
	    int limit, store_conclude_fn conclude, int *purged);
	/* HD_OK when a report created before before_ms is whole, else
	 * HD_ENOTFOUND (or HD_EDB). */
	hd_err (*purge_due)(void *db, int64_t before_ms);
	/* Outside any transaction: store_scrub. */
	hd_err (*scrub)(void *db);
	/* The counts of reports committed before the store kept counts
	 * (store_backfill_counts): whether any is left (HD_OK) or none
	 * (HD_ENOTFOUND); and, in the writer's transaction, the next limit
	 * of them counted (*done 0: none was left). */
	hd_err (*backfill_due)(void *db);
	hd_err (*backfill_counts)(
	    void *db, int limit, store_summarize_fn summarize, int *done);
} store_backend_ops;

extern const store_backend_ops store_sqlite_ops;
extern const store_backend_ops store_pg_ops;

#endif
