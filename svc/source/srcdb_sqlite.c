/* SPDX-License-Identifier: MIT */
/*
 * The SQLite store behind srcdb_ops: one database per source kind, keyed by
 * ID number (WITHOUT ROWID primary keys), so a lookup costs a few B-tree
 * probes whatever the population.
 *
 * Lookups may come from many threads; each takes one connection of a small
 * pool (each connection with its own prepared statements, reused), so
 * readers never share a statement. A created store has one connection,
 * which also answers lookups (that is how an in-memory fixtures store
 * serves).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "srcdb.h"

#define SQ_SCHEMA_VERSION "1"
#define SQ_READ_CONNS 4

enum sq_stmt_id {
	SQ_PERSON_GET,
	SQ_PERSON_PUT,
	SQ_A_GET, /* tax income / bank accounts / real estate */
	SQ_A_PUT,
	SQ_B_GET, /* tax businesses / - / vehicles */
	SQ_B_PUT,
	SQ_STMT_COUNT
};

typedef struct sq_conn {
	sqlite3 *db;
	sqlite3_stmt *st[SQ_STMT_COUNT];
	/* Readers: one read transaction per lookup, so that a household's
	 * statements share one snapshot and one set of file locks instead
	 * of taking and dropping them per statement (which showed as fcntl
	 * at the top of a source's profile). */
	sqlite3_stmt *begin, *commit;
	struct sq_conn *next_free;
} sq_conn;

typedef struct sq_store {
	srcdb_kind kind;
	bool created;
	bool in_txn;
	char *target;
	int nconn;
	sq_conn *conns;
	sq_conn *free_list;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} sq_store;

static const char sq_common_schema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE TABLE person(id TEXT PRIMARY KEY NOT NULL CHECK(length(id)=18),"
    " found INTEGER NOT NULL CHECK(found IN (0,1)),"
    " fault INTEGER NOT NULL CHECK(fault BETWEEN 0 AND 3)) WITHOUT ROWID;";

static const char *const sq_kind_schema[SRCDB_KIND_COUNT] = {
    [SRCDB_BANK] =
        "CREATE TABLE bank_account(id TEXT NOT NULL, seq INTEGER NOT NULL,"
        " kind TEXT NOT NULL CHECK(kind IN"
        "  ('deposit','securities','wealth','insurance')),"
        " balance_fen INTEGER NOT NULL CHECK(balance_fen >= 0),"
        " PRIMARY KEY(id, seq)) WITHOUT ROWID;",
    [SRCDB_TAX] =
        "CREATE TABLE tax_income(id TEXT PRIMARY KEY NOT NULL,"
        " wage_fen INTEGER NOT NULL CHECK(wage_fen >= 0),"
        " business_fen INTEGER NOT NULL CHECK(business_fen >= 0),"
        " property_fen INTEGER NOT NULL CHECK(property_fen >= 0),"
        " transfer_fen INTEGER NOT NULL CHECK(transfer_fen >= 0),"
        " excluded_fen INTEGER NOT NULL CHECK(excluded_fen >= 0))"
        " WITHOUT ROWID;"
        "CREATE TABLE tax_business(id TEXT NOT NULL, seq INTEGER NOT NULL,"
        " registered_capital_fen INTEGER NOT NULL"
        "  CHECK(registered_capital_fen >= 0),"
        " status TEXT NOT NULL CHECK(status IN ('active','closed')),"
        " PRIMARY KEY(id, seq)) WITHOUT ROWID;",
    [SRCDB_PROPERTY] =
        "CREATE TABLE property_real_estate(id TEXT NOT NULL,"
        " seq INTEGER NOT NULL,"
        " usage TEXT NOT NULL CHECK(usage IN ('residential','commercial',"
        "  'office','industrial','parking','other')),"
        " area_centi_m2 INTEGER NOT NULL CHECK(area_centi_m2 >= 0),"
        " share_bps INTEGER NOT NULL CHECK(share_bps BETWEEN 0 AND 10000),"
        " PRIMARY KEY(id, seq)) WITHOUT ROWID;"
        "CREATE TABLE property_vehicle(id TEXT NOT NULL, seq INTEGER NOT NULL,"
        " kind TEXT NOT NULL CHECK(kind IN ('car','truck','motorcycle',"
        "  'electric_bike','disability_mobility','farm_machinery')),"
        " value_fen INTEGER NOT NULL CHECK(value_fen >= 0),"
        " PRIMARY KEY(id, seq)) WITHOUT ROWID;",
};

static const char *const sq_sql[SRCDB_KIND_COUNT][SQ_STMT_COUNT] = {
    [SRCDB_BANK] =
        {
            "SELECT found, fault FROM person WHERE id = ?1",
            "INSERT INTO person(id, found, fault) VALUES (?1, ?2, ?3)",
            "SELECT kind, balance_fen FROM bank_account WHERE id = ?1"
            " ORDER BY seq",
            "INSERT INTO bank_account(id, seq, kind, balance_fen)"
            " VALUES (?1, ?2, ?3, ?4)",
            NULL,
            NULL,
        },
    [SRCDB_TAX] =
        {
            "SELECT found, fault FROM person WHERE id = ?1",
            "INSERT INTO person(id, found, fault) VALUES (?1, ?2, ?3)",
            "SELECT wage_fen, business_fen, property_fen, transfer_fen,"
            " excluded_fen FROM tax_income WHERE id = ?1",
            "INSERT INTO tax_income(id, wage_fen, business_fen, property_fen,"
            " transfer_fen, excluded_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            "SELECT registered_capital_fen, status FROM tax_business"
            " WHERE id = ?1 ORDER BY seq",
            "INSERT INTO tax_business(id, seq, registered_capital_fen, status)"
            " VALUES (?1, ?2, ?3, ?4)",
        },
    [SRCDB_PROPERTY] =
        {
            "SELECT found, fault FROM person WHERE id = ?1",
            "INSERT INTO person(id, found, fault) VALUES (?1, ?2, ?3)",
            "SELECT usage, area_centi_m2, share_bps FROM property_real_estate"
            " WHERE id = ?1 ORDER BY seq",
            "INSERT INTO property_real_estate(id, seq, usage, area_centi_m2,"
            " share_bps) VALUES (?1, ?2, ?3, ?4, ?5)",
            "SELECT kind, value_fen FROM property_vehicle WHERE id = ?1"
            " ORDER BY seq",
            "INSERT INTO property_vehicle(id, seq, kind, value_fen)"
            " VALUES (?1, ?2, ?3, ?4)",
        },
};

static hd_err sq_fail(sqlite3 *db, const char *op, int rc)
{
	log_error("srcdb.sqlite", "op=%s rc=%d msg=\"%s\"", op, rc,
	    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	if (rc == SQLITE_NOMEM)
		return HD_ENOMEM;
	if (rc == SQLITE_CANTOPEN)
		return HD_EIO;
	return HD_EDB;
}

static hd_err sq_exec(sqlite3 *db, const char *op, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? HD_OK : sq_fail(db, op, rc);
}

static void sq_conn_close(sq_conn *c)
{
	for (int i = 0; i < SQ_STMT_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_finalize(c->begin);
	sqlite3_finalize(c->commit);
	sqlite3_close(c->db);
	memset(c, 0, sizeof *c);
}

/* The stored kind must be the one asked for: a tax database must never
 * answer as the bank. */
static hd_err sq_check_meta(sq_store *s, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db,
	    "SELECT (SELECT value FROM meta WHERE key = 'kind'),"
	    " (SELECT value FROM meta WHERE key = 'schema')",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(db, "meta", rc);
	hd_err err = HD_EINVAL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *ver = (const char *)sqlite3_column_text(st, 1);
		if (kind == NULL || ver == NULL ||
		    strcmp(kind, srcdb_kind_name(s->kind)) != 0 ||
		    strcmp(ver, SQ_SCHEMA_VERSION) != 0)
			log_error("srcdb.open",
			    "reason=\"store holds kind %s "
			    "schema %s, wanted %s schema %s\"",
			    kind ? kind : "?", ver ? ver : "?",
			    srcdb_kind_name(s->kind), SQ_SCHEMA_VERSION);
		else
			err = HD_OK;
	}
	sqlite3_finalize(st);
	return err;
}

static hd_err sq_create_schema(sq_store *s, sqlite3 *db)
{
	char meta[160];
	snprintf(meta, sizeof meta,
	    "INSERT INTO meta VALUES ('kind', '%s'), ('schema', '%s');",
	    srcdb_kind_name(s->kind), SQ_SCHEMA_VERSION);
	hd_err err = sq_exec(db, "schema", "BEGIN");
	if (err == HD_OK)
		err = sq_exec(db, "schema", sq_common_schema);
	if (err == HD_OK)
		err = sq_exec(db, "schema", sq_kind_schema[s->kind]);
	if (err == HD_OK)
		err = sq_exec(db, "schema", meta);
	if (err == HD_OK)
		return sq_exec(db, "schema", "COMMIT");
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static hd_err sq_conn_open(sq_store *s, sq_conn *c)
{
	int flags = SQLITE_OPEN_NOMUTEX |
	            (s->created ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
	                        : SQLITE_OPEN_READONLY);
	int rc = sqlite3_open_v2(s->target, &c->db, flags, NULL);
	hd_err err;
	if (rc != SQLITE_OK) {
		err = sq_fail(c->db, "open", rc);
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 0);
	sqlite3_busy_timeout(c->db, 5000);
	if (s->created) {
		/* A bulk load into a fresh file: nothing to protect until it
		 * is complete, so no syncs and an in-memory journal (which
		 * still allows a rollback); WAL is switched on at close. */
		err = sq_exec(c->db, "pragma",
		    "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;"
		    " PRAGMA cache_size=-65536;");
		if (err == HD_OK)
			err = sq_create_schema(s, c->db);
	} else {
		/* Read-only: pages are read through a shared mapping rather
		 * than a read() each. */
		err = sq_exec(c->db, "pragma",
		    "PRAGMA query_only=1; PRAGMA mmap_size=1073741824;");
		if (err == HD_OK)
			err = sq_check_meta(s, c->db);
		if (err == HD_OK &&
		    ((rc = sqlite3_prepare_v3(c->db, "BEGIN", -1,
		          SQLITE_PREPARE_PERSISTENT, &c->begin, NULL)) !=
		            SQLITE_OK ||
		        (rc = sqlite3_prepare_v3(c->db, "COMMIT", -1,
		             SQLITE_PREPARE_PERSISTENT, &c->commit, NULL)) !=
		            SQLITE_OK))
			err = sq_fail(c->db, "prepare", rc);
	}
	if (err != HD_OK)
		goto fail;
	for (int i = 0; i < SQ_STMT_COUNT; i++) {
		const char *sql = sq_sql[s->kind][i];
		bool is_put =
		    i == SQ_PERSON_PUT || i == SQ_A_PUT || i == SQ_B_PUT;
		if (sql == NULL || (is_put && !s->created))
			continue;
		rc = sqlite3_prepare_v3(c->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL);
		if (rc != SQLITE_OK) {
			err = sq_fail(c->db, "prepare", rc);
			goto fail;
		}
	}
	return HD_OK;
fail:
	sq_conn_close(c);
	return err;
}

static void sq_store_free(sq_store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; s->conns != NULL && i < s->nconn; i++)
		sq_conn_close(&s->conns[i]);
	free(s->conns);
	free(s->target);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

static bool sq_is_memory(const char *target)
{
	return strcmp(target, ":memory:") == 0;
}

static hd_err sq_open(
    const char *target, srcdb_kind kind, int flags, void **state)
{
	*state = NULL;
	sq_store *s = calloc(1, sizeof *s);
	if (s == NULL)
		return HD_ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->kind = kind;
	s->created = (flags & SRCDB_OPEN_CREATE) != 0;
	s->target = strdup(target);
	s->nconn = s->created || sq_is_memory(target) ? 1 : SQ_READ_CONNS;
	s->conns = calloc((size_t)s->nconn, sizeof *s->conns);
	hd_err err = HD_ENOMEM;
	if (s->target == NULL || s->conns == NULL)
		goto fail;
	if (!s->created && sq_is_memory(target)) {
		err = HD_EINVAL; /* an empty memory store has no schema */
		goto fail;
	}
	if (s->created && !sq_is_memory(target)) {
		/* A created store replaces an old one entirely. */
		char side[4096];
		const char *const ext[] = {"", "-wal", "-shm", "-journal"};
		for (int i = 0; i < 4; i++) {
			snprintf(side, sizeof side, "%s%s", target, ext[i]);
			unlink(side);
		}
	}
	for (int i = 0; i < s->nconn; i++) {
		err = sq_conn_open(s, &s->conns[i]);
		if (err != HD_OK)
			goto fail;
		s->conns[i].next_free = s->free_list;
		s->free_list = &s->conns[i];
	}
	*state = s;
	return HD_OK;
fail:
	log_error("srcdb.open", "path=\"%s\" kind=%s err=%s", target,
	    srcdb_kind_name(kind), hd_strerror(err));
	sq_store_free(s);
	return err;
}

static void sq_close(void *state)
{
	sq_store *s = state;
	if (s == NULL)
		return;
	if (s->created && !sq_is_memory(s->target) && s->conns[0].db) {
		if (s->in_txn)
			sqlite3_exec(
			    s->conns[0].db, "ROLLBACK", NULL, NULL, NULL);
		/* Readers get WAL so that they never block one another. */
		sq_exec(s->conns[0].db, "close",
		    "PRAGMA journal_mode=WAL; PRAGMA optimize;");
	}
	sq_store_free(s);
}

static sq_conn *sq_acquire(sq_store *s)
{
	pthread_mutex_lock(&s->mu);
	while (s->free_list == NULL)
		pthread_cond_wait(&s->cv, &s->mu);
	sq_conn *c = s->free_list;
	s->free_list = c->next_free;
	pthread_mutex_unlock(&s->mu);
	return c;
}

static void sq_release(sq_store *s, sq_conn *c)
{
	pthread_mutex_lock(&s->mu);
	c->next_free = s->free_list;
	s->free_list = c;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void sq_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* --- lookups --------------------------------------------------------------
 */

/* Grows an arena array of pointers; the old copy stays in the arena. */
static void **sq_grow(srcdb_result *res, void **arr, size_t n, size_t *cap)
{
	if (n < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : 4;
	void **na = srcdb_result_alloc(res, ncap * sizeof *na);
	if (na != NULL && n > 0)
		memcpy(na, arr, n * sizeof *na);
	*cap = ncap;
	return na;
}

static const char *sq_text(srcdb_result *res, sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	return srcdb_result_strdup(res, t != NULL ? t : "");
}

/* Reads the rows of a child table into fresh messages; make builds one
 * message from the current row. */
typedef void *(*sq_row_fn)(srcdb_result *res, sqlite3_stmt *st);

static hd_err sq_rows(sq_conn *c, int which, const char *id, srcdb_result *res,
    sq_row_fn make, size_t *n_out, void ***arr_out)
{
	sqlite3_stmt *st = c->st[which];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	size_t n = 0, cap = 0;
	void **arr = NULL;
	hd_err err = HD_OK;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = sq_grow(res, arr, n, &cap);
		void *m = arr != NULL ? make(res, st) : NULL;
		if (m == NULL) {
			err = HD_ENOMEM;
			break;
		}
		arr[n++] = m;
	}
	if (err == HD_OK && rc != SQLITE_DONE)
		err = sq_fail(c->db, "lookup", rc);
	sq_done(st);
	*n_out = n;
	*arr_out = arr;
	return err;
}

static void *sq_make_account(srcdb_result *res, sqlite3_stmt *st)
{
	Hedui__V1__Account *a = srcdb_result_alloc(res, sizeof *a);
	if (a == NULL)
		return NULL;
	hedui__v1__account__init(a);
	a->kind = (char *)sq_text(res, st, 0);
	a->balance_fen = sqlite3_column_int64(st, 1);
	return a->kind != NULL ? a : NULL;
}

static void *sq_make_business(srcdb_result *res, sqlite3_stmt *st)
{
	Hedui__V1__Business *b = srcdb_result_alloc(res, sizeof *b);
	if (b == NULL)
		return NULL;
	hedui__v1__business__init(b);
	b->registered_capital_fen = sqlite3_column_int64(st, 0);
	b->status = (char *)sq_text(res, st, 1);
	return b->status != NULL ? b : NULL;
}

static void *sq_make_real_estate(srcdb_result *res, sqlite3_stmt *st)
{
	Hedui__V1__RealEstate *r = srcdb_result_alloc(res, sizeof *r);
	if (r == NULL)
		return NULL;
	hedui__v1__real_estate__init(r);
	r->usage = (char *)sq_text(res, st, 0);
	r->area_centi_m2 = sqlite3_column_int64(st, 1);
	r->share_bps = sqlite3_column_int64(st, 2);
	return r->usage != NULL ? r : NULL;
}

static void *sq_make_vehicle(srcdb_result *res, sqlite3_stmt *st)
{
	Hedui__V1__Vehicle *v = srcdb_result_alloc(res, sizeof *v);
	if (v == NULL)
		return NULL;
	hedui__v1__vehicle__init(v);
	v->kind = (char *)sq_text(res, st, 0);
	v->value_fen = sqlite3_column_int64(st, 1);
	return v->kind != NULL ? v : NULL;
}

static hd_err sq_tax_income(sq_conn *c, const char *id, Hedui__V1__TaxFacts *t)
{
	sqlite3_stmt *st = c->st[SQ_A_GET];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	hd_err err = HD_OK;
	if (rc == SQLITE_ROW) {
		t->wage_income_fen = sqlite3_column_int64(st, 0);
		t->business_income_fen = sqlite3_column_int64(st, 1);
		t->property_income_fen = sqlite3_column_int64(st, 2);
		t->transfer_income_fen = sqlite3_column_int64(st, 3);
		t->excluded_income_fen = sqlite3_column_int64(st, 4);
	} else if (rc != SQLITE_DONE) {
		err = sq_fail(c->db, "lookup", rc);
	}
	sq_done(st);
	return err;
}

/* Moves the untyped rows of sq_rows into the message's own typed array
 * (the pointers are copied, not the messages). */
#define SQ_ADOPT(res, n, arr, field, nfield, err)                             \
	do {                                                                  \
		if ((err) == HD_OK && (n) > 0) {                              \
			(field) =                                             \
			    srcdb_result_alloc((res), (n) * sizeof *(field)); \
			if ((field) == NULL) {                                \
				(err) = HD_ENOMEM;                            \
				break;                                        \
			}                                                     \
			for (size_t k_ = 0; k_ < (n); k_++)                   \
				(field)[k_] = (arr)[k_];                      \
			(nfield) = (n);                                       \
		}                                                             \
	} while (0)

static hd_err sq_facts(sq_conn *c, srcdb_kind kind, const char *id,
    srcdb_result *res, srcdb_person *p)
{
	hd_err err = HD_OK;
	size_t n = 0;
	void **arr = NULL;
	switch (kind) {
	case SRCDB_TAX: {
		Hedui__V1__TaxFacts *t = p->facts.tax;
		err = sq_tax_income(c, id, t);
		if (err == HD_OK)
			err = sq_rows(
			    c, SQ_B_GET, id, res, sq_make_business, &n, &arr);
		SQ_ADOPT(res, n, arr, t->businesses, t->n_businesses, err);
		return err;
	}
	case SRCDB_BANK: {
		Hedui__V1__BankFacts *b = p->facts.bank;
		err = sq_rows(c, SQ_A_GET, id, res, sq_make_account, &n, &arr);
		SQ_ADOPT(res, n, arr, b->accounts, b->n_accounts, err);
		return err;
	}
	default: {
		Hedui__V1__PropertyFacts *pf = p->facts.property;
		err = sq_rows(
		    c, SQ_A_GET, id, res, sq_make_real_estate, &n, &arr);
		SQ_ADOPT(res, n, arr, pf->real_estate, pf->n_real_estate, err);
		if (err == HD_OK)
			err = sq_rows(
			    c, SQ_B_GET, id, res, sq_make_vehicle, &n, &arr);
		SQ_ADOPT(res, n, arr, pf->vehicles, pf->n_vehicles, err);
		return err;
	}
	}
}

static hd_err sq_lookup_one(
    sq_store *s, sq_conn *c, const char *id, srcdb_result *res)
{
	hd_err err = srcdb_result_add_person(res, id);
	if (err != HD_OK)
		return err;
	srcdb_person *p = &res->persons[res->n - 1];
	sqlite3_stmt *st = c->st[SQ_PERSON_GET];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		p->found = sqlite3_column_int(st, 0) != 0;
		p->fault = (srcdb_fault)sqlite3_column_int(st, 1);
	} else if (rc != SQLITE_DONE) {
		err = sq_fail(c->db, "lookup", rc);
	}
	sq_done(st);
	if (err != HD_OK || !p->found)
		return err;
	srcdb_result_header(res, res->n - 1)->found = 1;
	return sq_facts(c, s->kind, id, res, p);
}

/* Every group's persons in one read transaction of one connection: one
 * snapshot for the whole request, its locks taken once. */
static hd_err sq_lookup_groups(void *state, const srcdb_group *groups,
    size_t ngroups, srcdb_result *results)
{
	sq_store *s = state;
	sq_conn *c = sq_acquire(s);
	hd_err err = HD_OK;
	int rc;
	if (c->begin != NULL) {
		rc = sqlite3_step(c->begin);
		sq_done(c->begin);
		if (rc != SQLITE_DONE)
			err = sq_fail(c->db, "begin", rc);
	}
	for (size_t g = 0; g < ngroups && err == HD_OK; g++)
		for (size_t i = 0; i < groups[g].n && err == HD_OK; i++)
			err =
			    sq_lookup_one(s, c, groups[g].ids[i], &results[g]);
	if (c->commit != NULL && !sqlite3_get_autocommit(c->db)) {
		rc = sqlite3_step(c->commit);
		sq_done(c->commit);
		if (rc != SQLITE_DONE && err == HD_OK)
			err = sq_fail(c->db, "commit", rc);
	}
	sq_release(s, c);
	return err;
}

static hd_err sq_lookup(
    void *state, const char *const *ids, size_t n, srcdb_result *res)
{
	srcdb_group one = {.ids = ids, .n = n};
	return sq_lookup_groups(state, &one, 1, res);
}

/* --- filling ---------------------------------------------------------------
 * Only created stores have the insert statements; they have one connection,
 * which the caller uses from one thread while filling. */

static hd_err sq_step_put(sq_conn *c, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sq_done(st);
	if (rc == SQLITE_DONE)
		return HD_OK;
	if (rc == SQLITE_CONSTRAINT)
		return HD_EEXIST;
	return sq_fail(c->db, "put", rc);
}

static hd_err sq_put_tax(
    sq_conn *c, const char *id, const Hedui__V1__TaxFacts *t)
{
	sqlite3_stmt *st = c->st[SQ_A_PUT];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t->wage_income_fen);
	sqlite3_bind_int64(st, 3, t->business_income_fen);
	sqlite3_bind_int64(st, 4, t->property_income_fen);
	sqlite3_bind_int64(st, 5, t->transfer_income_fen);
	sqlite3_bind_int64(st, 6, t->excluded_income_fen);
	hd_err err = sq_step_put(c, st);
	for (size_t i = 0; err == HD_OK && i < t->n_businesses; i++) {
		st = c->st[SQ_B_PUT];
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite3_bind_int64(
		    st, 3, t->businesses[i]->registered_capital_fen);
		sqlite3_bind_text(
		    st, 4, t->businesses[i]->status, -1, SQLITE_STATIC);
		err = sq_step_put(c, st);
	}
	return err;
}

static hd_err sq_put_bank(
    sq_conn *c, const char *id, const Hedui__V1__BankFacts *b)
{
	hd_err err = HD_OK;
	for (size_t i = 0; err == HD_OK && i < b->n_accounts; i++) {
		sqlite3_stmt *st = c->st[SQ_A_PUT];
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite3_bind_text(
		    st, 3, b->accounts[i]->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, b->accounts[i]->balance_fen);
		err = sq_step_put(c, st);
	}
	return err;
}

static hd_err sq_put_property(
    sq_conn *c, const char *id, const Hedui__V1__PropertyFacts *p)
{
	hd_err err = HD_OK;
	for (size_t i = 0; err == HD_OK && i < p->n_real_estate; i++) {
		const Hedui__V1__RealEstate *r = p->real_estate[i];
		sqlite3_stmt *st = c->st[SQ_A_PUT];
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite3_bind_text(st, 3, r->usage, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, r->area_centi_m2);
		sqlite3_bind_int64(st, 5, r->share_bps);
		err = sq_step_put(c, st);
	}
	for (size_t i = 0; err == HD_OK && i < p->n_vehicles; i++) {
		const Hedui__V1__Vehicle *v = p->vehicles[i];
		sqlite3_stmt *st = c->st[SQ_B_PUT];
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite3_bind_text(st, 3, v->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, v->value_fen);
		err = sq_step_put(c, st);
	}
	return err;
}

static hd_err sq_begin(void *state)
{
	sq_store *s = state;
	if (!s->created || s->in_txn)
		return HD_EINVAL;
	hd_err err = sq_exec(s->conns[0].db, "begin", "BEGIN");
	s->in_txn = err == HD_OK;
	return err;
}

static hd_err sq_put(void *state, const srcdb_record *rec)
{
	sq_store *s = state;
	if (!s->created)
		return HD_ENOTSUP;
	sq_conn *c = &s->conns[0];
	sqlite3_stmt *st = c->st[SQ_PERSON_PUT];
	sqlite3_bind_text(st, 1, rec->id_number, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, rec->found ? 1 : 0);
	sqlite3_bind_int(st, 3, (int)rec->fault);
	hd_err err = sq_step_put(c, st);
	if (err != HD_OK || !rec->found || rec->facts == NULL)
		return err;
	switch (s->kind) {
	case SRCDB_TAX:
		return sq_put_tax(c, rec->id_number,
		    (const Hedui__V1__TaxFacts *)rec->facts);
	case SRCDB_BANK:
		return sq_put_bank(c, rec->id_number,
		    (const Hedui__V1__BankFacts *)rec->facts);
	default:
		return sq_put_property(c, rec->id_number,
		    (const Hedui__V1__PropertyFacts *)rec->facts);
	}
}

static hd_err sq_commit(void *state)
{
	sq_store *s = state;
	if (!s->in_txn)
		return HD_EINVAL;
	hd_err err = sq_exec(s->conns[0].db, "commit", "COMMIT");
	if (err != HD_OK)
		sqlite3_exec(s->conns[0].db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = false;
	return err;
}

static void sq_rollback(void *state)
{
	sq_store *s = state;
	if (s->in_txn)
		sqlite3_exec(s->conns[0].db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = false;
}

static hd_err sq_count(void *state, long long *n)
{
	sq_store *s = state;
	sq_conn *c = sq_acquire(s);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
	    c->db, "SELECT count(*) FROM person", -1, &st, NULL);
	hd_err err = HD_OK;
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		err = sq_fail(c->db, "count", rc);
	sqlite3_finalize(st);
	sq_release(s, c);
	return err;
}

const srcdb_ops srcdb_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .lookup = sq_lookup,
    .lookup_groups = sq_lookup_groups,
    .close = sq_close,
    .begin = sq_begin,
    .put = sq_put,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .count = sq_count,
};
