/* SPDX-License-Identifier: MIT */
/*
 * srcdb: the store a data source answers from.
 *
 * A store holds one kind of facts (bank, tax or property) keyed by ID
 * number. Backends plug in through srcdb_ops, so that a real agency's
 * system could stand where the SQLite mock stands; the service only calls
 * srcdb_lookup. Stores that can be filled (the SQLite one) also implement
 * begin/put/commit, which the generator and the fixtures loader use.
 *
 * A lookup answers, per ID number in request order, found (with the facts
 * as the generated protobuf-c structs) or not found, plus the fault the
 * store has recorded for that person. All memory of a result belongs to the
 * result and goes with srcdb_result_free.
 */
#ifndef HEDUI_SRCDB_H
#define HEDUI_SRCDB_H

#include <stdbool.h>
#include <stddef.h>

#include "hd_err.h"
#include "hedui/v1/source.pb-c.h"

/* At most this many ID numbers per lookup: one household. */
#define SRCDB_MAX_IDS 20

typedef enum srcdb_kind {
	SRCDB_BANK = 0,
	SRCDB_TAX,
	SRCDB_PROPERTY,
	SRCDB_KIND_COUNT
} srcdb_kind;

/* "bank" | "tax" | "property" */
const char *srcdb_kind_name(srcdb_kind kind);
bool srcdb_kind_parse(const char *text, srcdb_kind *out);

/* How the source misbehaves for one person (the fixtures' `faults`). */
typedef enum srcdb_fault {
	SRCDB_FAULT_NONE = 0,
	SRCDB_FAULT_UNAVAILABLE, /* that person answers UNAVAILABLE */
	SRCDB_FAULT_TIMEOUT,     /* the whole request is never answered */
	SRCDB_FAULT_MALFORMED, /* that person's facts hold a negative amount */
	SRCDB_FAULT_COUNT
} srcdb_fault;

/* "none" | "unavailable" | "timeout" | "malformed" */
const char *srcdb_fault_name(srcdb_fault fault);
bool srcdb_fault_parse(const char *text, srcdb_fault *out);

/* Closed vocabularies of the contract; the stores refuse anything else. */
bool srcdb_account_kind_valid(const char *kind);
bool srcdb_usage_valid(const char *usage);
bool srcdb_vehicle_kind_valid(const char *kind);
bool srcdb_business_status_valid(const char *status);

typedef struct srcdb_arena srcdb_arena;

/* One person's answer. facts points to the kind's message (TaxFacts,
 * BankFacts or PropertyFacts) with its PersonHeader filled in: id_number
 * normalised, found set, status absent. Never NULL in a result. */
typedef struct srcdb_person {
	bool found;
	srcdb_fault fault;
	union {
		ProtobufCMessage *msg;
		Hedui__V1__TaxFacts *tax;
		Hedui__V1__BankFacts *bank;
		Hedui__V1__PropertyFacts *property;
	} facts;
} srcdb_person;

typedef struct srcdb_result {
	srcdb_kind kind;
	size_t n;
	srcdb_person persons[SRCDB_MAX_IDS];
	srcdb_arena *arena; /* owns every fact, string and array above */
} srcdb_result;

/* The PersonHeader of persons[i]'s facts. */
Hedui__V1__PersonHeader *srcdb_result_header(
    const srcdb_result *res, size_t i);

/* Memory that lives as long as the result; NULL when out of memory.
 * Zero-filled. */
void *srcdb_result_alloc(srcdb_result *res, size_t size);
char *srcdb_result_strdup(srcdb_result *res, const char *s);
/* Makes persons[i] an empty answer of the result's kind for id. */
hd_err srcdb_result_add_person(srcdb_result *res, const char *id);
/* Makes persons[i] not found with no facts (a fresh header, the same ID
 * number); its fault stays. */
hd_err srcdb_result_clear_person(srcdb_result *res, size_t i);
/* Releases everything the result holds; accepts NULL and empty results. */
void srcdb_result_free(srcdb_result *res);

/* What goes into a fillable store for one person. facts is the kind's
 * message (its person header is ignored), or NULL for no facts. */
typedef struct srcdb_record {
	const char *id_number; /* normalised, valid */
	bool found;            /* false: the source does not know the person */
	srcdb_fault fault;
	const ProtobufCMessage *facts;
} srcdb_record;

enum {
	SRCDB_OPEN_READ = 0,   /* an existing store, for lookups */
	SRCDB_OPEN_CREATE = 1, /* a new, empty store; an old one is replaced */
};

/* One household's ID numbers, of several looked up together. */
typedef struct srcdb_group {
	const char *const *ids;
	size_t n;
} srcdb_group;

typedef struct srcdb_ops {
	const char *name;
	hd_err (*open)(
	    const char *target, srcdb_kind kind, int flags, void **state);
	/* Fills res->persons[0..n) in order; res->kind and arena are set. */
	hd_err (*lookup)(
	    void *state, const char *const *ids, size_t n, srcdb_result *res);
	/* Optional: several households at once, in one read snapshot
	 * (results[g] as lookup's). NULL: lookup is called per group. */
	hd_err (*lookup_groups)(void *state, const srcdb_group *groups,
	    size_t ngroups, srcdb_result *results);
	void (*close)(void *state);
	/* Optional (NULL: the store is read-only). */
	hd_err (*begin)(void *state);
	hd_err (*put)(void *state, const srcdb_record *rec);
	hd_err (*commit)(void *state);
	void (*rollback)(void *state);
	/* Optional: number of persons held. */
	hd_err (*count)(void *state, long long *n);
} srcdb_ops;

/* The SQLite store; target is a file name or ":memory:". */
extern const srcdb_ops srcdb_sqlite_ops;

typedef struct srcdb srcdb;

/* ops NULL means srcdb_sqlite_ops. */
hd_err srcdb_open(const srcdb_ops *ops, const char *target, srcdb_kind kind,
    int flags, srcdb **out);
void srcdb_close(srcdb *db); /* accepts NULL */
srcdb_kind srcdb_get_kind(const srcdb *db);

/*
 * Looks up n (1..SRCDB_MAX_IDS) normalised ID numbers. On HD_OK res holds n
 * persons and must be released with srcdb_result_free; on error res is
 * empty. Safe to call from several threads at once.
 */
hd_err srcdb_lookup(
    srcdb *db, const char *const *ids, size_t n, srcdb_result *res);

/*
 * The households of a batched request, looked up in one go: results[g]
 * as srcdb_lookup's for groups[g] (1..SRCDB_MAX_IDS ID numbers each). On
 * HD_OK every result must be released with srcdb_result_free; on error
 * all are empty. The SQLite store reads them all in one read transaction,
 * not one per household: one snapshot for the whole answer, and its locks
 * taken once.
 */
hd_err srcdb_lookup_groups(srcdb *db, const srcdb_group *groups,
    size_t ngroups, srcdb_result *results);

/* Filling a store. put validates the record (kinds, non-negative amounts,
 * shares 0..10000) and fails with HD_EINVAL when it is wrong, HD_EEXIST
 * when the person is already there. */
hd_err srcdb_begin(srcdb *db);
hd_err srcdb_put(srcdb *db, const srcdb_record *rec);
hd_err srcdb_commit(srcdb *db);
void srcdb_rollback(srcdb *db);
hd_err srcdb_count(srcdb *db, long long *n);

/* Checks a record against the contract (what put refuses); detail names
 * the field, never a value. */
hd_err srcdb_record_check(
    srcdb_kind kind, const srcdb_record *rec, char *detail, size_t detail_len);

#endif
