/* SPDX-License-Identifier: MIT */
/*
 * store: heduid's durable record of signed reports and of the audit trail.
 *
 * One writer thread owns the write connection and commits by groups:
 * requests enqueue their report and audit record, the writer takes
 * everything queued, writes it in one transaction, syncs once and then
 * answers each waiter. Durability then costs one fsync per batch, not per
 * request. Before inserting a group's new reports the writer hands them
 * to the seal (store_opts.seal), which may sign them together. A failed commit
 * marks the store unhealthy; queued work is then refused until a probe (once a
 * second) manages to write again.
 *
 * The backend (SQLite by default, PostgreSQL when the path is a
 * postgresql:// URI: store_url.h) sits behind store_backend_ops.
 */
#ifndef HEDUI_STORE_H
#define HEDUI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit_chain.h"
#include "hd_err.h"

#define STORE_HASH_LEN 32
#define STORE_SIG_MAX 80
/* Up to 20 person hashes, comma-separated. */
#define STORE_PERSONS_MAX (20 * AUDIT_PERSON_HEX)
/* An agency's whole certificate subject (RPC_PEER_SUBJECT_MAX). */
#define STORE_AGENCY_MAX 512

typedef struct store store;

/* What the statistics count of a report (store_counts.h), given by the
 * caller at put: the store keeps counts, not these strings per report.
 * program[0] == '\0': the report is not counted. */
typedef struct store_summary {
	char program[16];
	char conclusion[16];
	char category[16];
	char reasons[256]; /* reason codes, comma-separated, each once */
	char source_failures[96]; /* "bank:failed,tax:partial" */
} store_summary;

/* A stored report. In results, report and proof are malloc'd: release
 * with store_report_clear. */
typedef struct store_report {
	char report_id[48];
	/* The requesting agency: its certificate's whole subject (RFC 2253,
	 * agency_identity.subject). Reports of before (the CN alone) match
	 * no agency's subject: only region prefixes reach them. */
	char agency[STORE_AGENCY_MAX];
	char region[8]; /* the household's region code */
	char request_id[72];
	uint8_t household_hash[STORE_HASH_LEN]; /* SHA-256 of the request */
	uint8_t *report;                        /* the exact signed bytes */
	size_t report_len;
	uint8_t sig[STORE_SIG_MAX];
	size_t sig_len;
	/* What the seal (store_opts.seal) gave the report besides sig: for
	 * heduid a serialized hedui.v1.ReportProof. NULL/0 for reports
	 * signed alone (before report groups were sealed). */
	uint8_t *proof;
	size_t proof_len;
	int64_t created_ms;
	char persons[STORE_PERSONS_MAX]; /* the household's person hashes */
	/* At put: what the statistics count (ignored by get). */
	store_summary summary;
	/* In results: when retention purged the report's content (Unix ms;
	 * report_len is then 0), 0 when it is whole. */
	int64_t purged_ms;
} store_report;

void store_report_clear(store_report *r);

/* One audit record as the caller knows it; the store adds the sequence
 * number and the chain hashes. Strings are copied at enqueue. */
typedef struct store_audit {
	int64_t time_ms;
	const char *agency;
	const char *operator_id;
	const char *case_id;
	const char *method;
	const char *report_id;
	const char *persons;
	int outcome;
	/* Summaries of unsigned refusals (audit_chain.h): count > 1, the
	 * TLS identity and the kind of refusal; 0, NULL, NULL otherwise. */
	int64_t count;
	const char *peer;
	const char *reason;
	/* The consents concerned, "REGION/NUMBER,..." (audit_chain.h);
	 * NULL or "" when none. */
	const char *consents;
} store_audit;

typedef struct store_opts {
	const char *path;
	const uint8_t *audit_key;
	size_t audit_key_len;
	uint32_t probe_ms; /* health probe interval when unhealthy; 1000 */
	int max_batch;     /* most items per transaction; 512 */
	/* Called from the writer thread when health changes. */
	void (*health_cb)(bool healthy, void *arg);
	void *health_arg;
	/* The seal of a group (NULL: none; reports keep the sig they were
	 * given): called by the writer thread, inside the group's
	 * transaction, with the n >= 1 reports of the group that are about
	 * to be inserted (none of them already stored, no two with one
	 * idempotency key), in order, their proof NULL. It sets each
	 * report's sig and proof (proof malloc'd; the store frees it). A
	 * group written again (a key found taken at its insert) is sealed
	 * again, without that report. An error fails the group
	 * like a failed commit, without making the store unhealthy. The
	 * store knows nothing of what a seal is: heduid signs the group's
	 * hash tree (report_sig.h). */
	hd_err (*seal)(store_report *const *reports, size_t n, void *arg);
	void *seal_arg;
	/* Commit latency, group size, failed commits and health
	 * (metrics.h; borrowed, outlives the store). NULL: none. */
	struct metrics *metrics;
} store_opts;

store *store_open(const store_opts *o, char *err, size_t errlen);
/* Commits everything queued, then closes. Accepts NULL. */
void store_close(store *s);

bool store_healthy(store *s);

/*
 * The outcome of a put, given to the callback from the writer thread:
 *   HD_OK      committed; stored is the report as committed (sealed: its
 *              sig and proof are the seal's, store_opts.seal)
 *   HD_EEXIST  the idempotency key (agency, region, request_id) was
 *              already taken; stored is the report stored under it. The
 *              audit record is committed.
 *   HD_EDB     not committed (store failure); nothing was kept
 *   HD_EUNAVAIL refused because the store is unhealthy or closing
 * The callback may take stored's buffers (report, proof: set them to
 * NULL); they are freed after it returns otherwise. stored is NULL for
 * other outcomes and for audit records alone.
 */
typedef void (*store_done_fn)(hd_err err, store_report *stored, void *arg);

/* Enqueues a report and its audit record. The report's buffers are copied.
 * done runs exactly once, possibly before this returns. */
void store_put_report_async(store *s, const store_report *r,
    const store_audit *a, store_done_fn done, void *arg);
/* The same, waiting; stored (may be NULL) as the callback's. */
hd_err store_put_report(store *s, const store_report *r, const store_audit *a,
    store_report *stored);

/* An audit record alone (a read, a refusal). done may be NULL. */
void store_append_audit_async(
    store *s, const store_audit *a, store_done_fn done, void *arg);
hd_err store_append_audit(store *s, const store_audit *a);

/*
 * Writes of other modules (the consent registry, store_consent.h), in the
 * writer's transaction just before their audit record, so that both
 * commit together and are answered only once durable. fn runs on the
 * writer thread with the backend's write handle; it returns HD_OK, or
 * another result for the caller (HD_EEXIST, HD_ENOTFOUND...) with which
 * the transaction goes on and the audit record, whose outcome it may set,
 * is committed, or HD_EDB, which fails the whole batch. done gets that
 * result (existing NULL); runs exactly once.
 */
struct store_backend_ops;
typedef hd_err (*store_write_fn)(
    void *db, const struct store_backend_ops *ops, void *arg, int *outcome);
void store_write_async(store *s, store_write_fn fn, void *fn_arg,
    const store_audit *a, store_done_fn done, void *arg);

/* Reads of other modules: fn runs with the readers' handle, under their
 * lock; its result is returned. HD_ECLOSED when s is NULL. */
typedef hd_err (*store_read_fn)(
    void *db, const struct store_backend_ops *ops, void *arg);
hd_err store_read(store *s, store_read_fn fn, void *arg);
/* A long read (statistics): on a connection of its own, so that it never
 * holds up the reads verifications need; one at a time: HD_EBUSY at once
 * while another runs. */
hd_err store_read_long(store *s, store_read_fn fn, void *arg);

/* Committed reports: HD_OK with *out filled, HD_ENOTFOUND, or HD_EDB. */
hd_err store_get_report(store *s, const char *report_id, store_report *out);
hd_err store_find_by_request(store *s, const char *agency, const char *region,
    const char *request_id, store_report *out);

/* Whether other processes may write the same store (PostgreSQL: heduid
 * replicas on one database). */
bool store_shared(store *s);
/* The replay cache of a shared store: HD_OK when key (an agency
 * signature's, agency_auth.c) was not seen by any process before, and is
 * now recorded until expires_ms; HD_EEXIST when it was; HD_EDB. HD_OK
 * always when the store is not shared. */
hd_err store_replay_record(
    store *s, const uint8_t key[32], int64_t now_ms, int64_t expires_ms);

typedef struct store_stats {
	uint64_t batches; /* committed transactions */
	uint64_t items;   /* items in them */
	uint64_t max_batch;
	uint64_t failures; /* failed commits */
	uint64_t busy_us;  /* wall time the writer spent writing groups */
} store_stats;
void store_get_stats(store *s, store_stats *st);

/*
 * Retention (docs/CONFIG.md [store] retention_days): the content of
 * reports created before before_ms is purged, at most limit of them, in
 * the writer's queue like any write, with one audit record (method
 * STORE_PURGE_METHOD, count the reports purged). What remains of a
 * report: its id, agency, region, request id, household hash, signature
 * and proof, time, persons, the SHA-256 of its bytes, the conclusion
 * conclude gives (NULL: none kept) and the time of the purge. *purged:
 * how many (fewer than limit: none is left before before_ms; 0 without
 * any write or record when none was due). HD_OK,
 * HD_EDB or HD_EUNAVAIL; HD_ENOTSUP in a backend without retention.
 */
#define STORE_PURGE_METHOD "heduid/RetentionPurge"
typedef void (*store_conclude_fn)(
    const uint8_t *report, size_t len, char *conclusion, size_t cap);
hd_err store_purge(store *s, int64_t before_ms, int limit,
    store_conclude_fn conclude, int *purged);
/* Whether a report created before before_ms is still whole (HD_OK) or
 * none is (HD_ENOTFOUND); HD_EDB. A read: costs the writer nothing. */
hd_err store_purge_due(store *s, int64_t before_ms);
/* Makes what purges freed unreadable in the database's files too (for
 * SQLite: a checkpoint that truncates the write-ahead log, whose old
 * frames would keep the content). HD_EBUSY when a reader held it back:
 * try again later. */
hd_err store_scrub(store *s);

/*
 * Reports committed before the store kept counts (an older store
 * migrated to schema 4) are counted afterwards, limit at a time, in the
 * writer's queue with one audit record each (method
 * STORE_BACKFILL_METHOD, count the reports read); summarize gives a
 * report's summary from its bytes (false: not counted). *done 0: none
 * was left (nothing written, no record). store_backfill_due: HD_OK while some are left, HD_ENOTFOUND
 * when none is, HD_ENOTSUP in a backend without counts.
 */
#define STORE_BACKFILL_METHOD "heduid/CountsBackfill"
typedef bool (*store_summarize_fn)(
    const uint8_t *report, size_t len, store_summary *out);
hd_err store_backfill_due(store *s);
hd_err store_backfill_counts(
    store *s, int limit, store_summarize_fn summarize, int *done);

/* For tests: while held, the writer takes nothing from the queue. */
void store_hold(store *s, bool held);
/* For tests: the next n commits fail as if the disk were full. */
void store_inject_failures(store *s, int n);

/* The audit key at path, made (32 random bytes, mode 0600) when absent. */
hd_err store_audit_key_load(const char *path, uint8_t *key, size_t cap,
    size_t *len, char *err, size_t errlen);

#endif
