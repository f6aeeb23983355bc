/*
 * store_backend: what the store needs from a database. store.c does the
 * queueing, grouping, chaining and health; a backend only reads and writes
 * rows. Each handle is used by one thread at a time.
 */
#ifndef HEDUI_STORE_BACKEND_H
#define HEDUI_STORE_BACKEND_H

#include "store.h"

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
} store_backend_ops;

extern const store_backend_ops store_sqlite_ops;

#endif
