/* SPDX-License-Identifier: MIT */
/*
 * The consent registry's part of the PostgreSQL backend: its schema steps
 * (component "consent" of hedui_schema, apart from the store's own, as
 * in SQLite) and statements. The same queries as store_consent_sqlite.c;
 * regions and numbers compare byte by byte (COLLATE "C") so that pages
 * come in the order SQLite gives, whatever the database's locale.
 *
 * A registration whose number is taken is an INSERT ... ON CONFLICT DO
 * NOTHING, not a caught error: an error would abort the writer's whole
 * transaction in PostgreSQL, where SQLite undoes one statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_consent.h"
#include "store_pg.h"

const char *const pg_consent_steps[] = {
    "CREATE TABLE consent("
    " region text COLLATE \"C\" NOT NULL,"
    " number text COLLATE \"C\" NOT NULL,"
    " signed_on integer NOT NULL, valid_from integer NOT NULL,"
    " valid_until integer NOT NULL, programs integer NOT NULL,"
    " sources integer NOT NULL, form_sha256 bytea NOT NULL,"
    " content_mac bytea NOT NULL, agency text NOT NULL,"
    " agency_prefix text NOT NULL, registered_ms bigint NOT NULL,"
    " revoked_ms bigint NOT NULL DEFAULT 0,"
    " revoked_by text NOT NULL DEFAULT '',"
    " revoke_reason text NOT NULL DEFAULT '',"
    " PRIMARY KEY(region, number));"
    "CREATE INDEX consent_by_number ON consent(number);"
    "CREATE INDEX consent_by_until ON consent(valid_until);"
    "CREATE TABLE consent_member("
    " region text COLLATE \"C\" NOT NULL,"
    " number text COLLATE \"C\" NOT NULL, seq integer NOT NULL,"
    " person text NOT NULL, id_masked text NOT NULL,"
    " guardian text NOT NULL, guardian_masked text NOT NULL,"
    " relation text NOT NULL, basis text NOT NULL,"
    " adult_on integer NOT NULL,"
    " PRIMARY KEY(region, number, seq));"
    "CREATE INDEX consent_member_by_person ON consent_member(person);",
};
const int pg_consent_nsteps =
    (int)(sizeof pg_consent_steps / sizeof pg_consent_steps[0]);

#define SC_COLS                                                               \
	"c.region, c.number, c.signed_on, c.valid_from, c.valid_until,"       \
	" c.programs, c.sources, c.form_sha256, c.content_mac, c.agency,"     \
	" c.agency_prefix, c.registered_ms, c.revoked_ms, c.revoked_by,"      \
	" c.revoke_reason"
/* $2 region prefix, ($3, $4) the page's last (region, number), $5
 * limit. */
#define SC_PAGE                                                               \
	" AND left(c.region, length($2::text)) = $2::text"                    \
	" AND (c.region > $3::text OR (c.region = $3::text"                   \
	" AND c.number > $4::text))"                                          \
	" ORDER BY c.region, c.number LIMIT $5"

static const struct {
	const char *name, *sql;
} sc_stmts[] = {
    {"sc_insert",
        "INSERT INTO consent(region, number, signed_on, valid_from,"
        " valid_until, programs, sources, form_sha256, content_mac, agency,"
        " agency_prefix, registered_ms)"
        " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT(region, number) DO NOTHING"},
    {"sc_insert_member",
        "INSERT INTO consent_member(region, number, seq, person, id_masked,"
        " guardian, guardian_masked, relation, basis, adult_on)"
        " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"},
    {"sc_revoke", "UPDATE consent SET revoked_ms = $3, revoked_by = $4,"
                  " revoke_reason = $5"
                  " WHERE region = $1 AND number = $2 AND revoked_ms = 0"},
    {"sc_get", "SELECT " SC_COLS " FROM consent c"
               " WHERE c.region = $1 AND c.number = $2"},
    {"sc_members", "SELECT person, id_masked, guardian, guardian_masked,"
                   " relation, basis, adult_on FROM consent_member"
                   " WHERE region = $1 AND number = $2 ORDER BY seq"},
    {"sc_by_person", "SELECT " SC_COLS " FROM consent_member m JOIN consent c"
                     " ON c.region = m.region AND c.number = m.number"
                     " WHERE m.person = $1::text" SC_PAGE},
    {"sc_by_number",
        "SELECT " SC_COLS " FROM consent c WHERE c.number = $1::text" SC_PAGE},
    {"sc_expiring", "SELECT " SC_COLS " FROM consent c"
                    " WHERE c.revoked_ms = 0 AND c.valid_until < $1::integer"
                    " AND c.valid_until >= $6::integer" SC_PAGE},
};

hd_err pg_consent_prepare(PGconn *conn, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof sc_stmts / sizeof sc_stmts[0]; i++) {
		PGresult *r = PQprepare(
		    conn, sc_stmts[i].name, sc_stmts[i].sql, 0, NULL);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok) {
			const char *m =
			    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
			snprintf(err, errlen, "cannot prepare %s: %s",
			    sc_stmts[i].name, m != NULL ? m : "no answer");
		}
		PQclear(r);
		if (!ok)
			return HD_EDB;
	}
	return HD_OK;
}

hd_err pg_consent_insert(void *h, const store_consent *c)
{
	pg_params p = {0};
	pg_p_text(&p, c->region);
	pg_p_text(&p, c->number);
	pg_p_int(&p, c->signed_on);
	pg_p_int(&p, c->valid_from);
	pg_p_int(&p, c->valid_until);
	pg_p_int(&p, c->programs);
	pg_p_int(&p, c->sources);
	pg_p_bytes(&p, c->form_sha256, 32);
	pg_p_bytes(&p, c->content_mac, 32);
	pg_p_text(&p, c->agency);
	pg_p_text(&p, c->agency_prefix);
	pg_p_int(&p, c->registered_ms);
	PGresult *r = pg_run(h, "sc_insert", &p, "consent_insert");
	if (r == NULL)
		return HD_EDB;
	int64_t n = pg_changed(r);
	PQclear(r);
	if (n == 0)
		return HD_EEXIST;
	for (size_t i = 0; i < c->n_members; i++) {
		const store_consent_member *m = &c->members[i];
		pg_params q = {0};
		pg_p_text(&q, c->region);
		pg_p_text(&q, c->number);
		pg_p_int(&q, (int64_t)i);
		pg_p_text(&q, m->person);
		pg_p_text(&q, m->id_masked);
		pg_p_text(&q, m->guardian);
		pg_p_text(&q, m->guardian_masked);
		pg_p_text(&q, m->relation);
		pg_p_text(&q, m->basis);
		pg_p_int(&q, m->adult_on);
		if ((r = pg_run(h, "sc_insert_member", &q,
		         "consent_insert_member")) == NULL)
			return HD_EDB;
		PQclear(r);
	}
	return HD_OK;
}

hd_err pg_consent_revoke(void *h, const char *region, const char *number,
    int64_t at_ms, const char *by, const char *reason)
{
	pg_params p = {0};
	pg_p_text(&p, region);
	pg_p_text(&p, number);
	pg_p_int(&p, at_ms);
	pg_p_text(&p, by);
	pg_p_text(&p, reason);
	PGresult *r = pg_run(h, "sc_revoke", &p, "consent_revoke");
	if (r == NULL)
		return HD_EDB;
	int64_t n = pg_changed(r);
	PQclear(r);
	return n == 1 ? HD_OK : HD_ENOTFOUND;
}

/* Row row of an SC_COLS result, then its members. */
static hd_err pg_consent_read(void *h, PGresult *r, int row, store_consent *c)
{
	memset(c, 0, offsetof(store_consent, members));
	pg_get_text(r, row, 0, c->region, sizeof c->region);
	pg_get_text(r, row, 1, c->number, sizeof c->number);
	c->signed_on = (idnum_date)pg_get_int(r, row, 2);
	c->valid_from = (idnum_date)pg_get_int(r, row, 3);
	c->valid_until = (idnum_date)pg_get_int(r, row, 4);
	c->programs = (unsigned)pg_get_int(r, row, 5);
	c->sources = (unsigned)pg_get_int(r, row, 6);
	pg_get_bytes(r, row, 7, c->form_sha256, 32);
	pg_get_bytes(r, row, 8, c->content_mac, 32);
	pg_get_text(r, row, 9, c->agency, sizeof c->agency);
	pg_get_text(r, row, 10, c->agency_prefix, sizeof c->agency_prefix);
	c->registered_ms = pg_get_int(r, row, 11);
	c->revoked_ms = pg_get_int(r, row, 12);
	pg_get_text(r, row, 13, c->revoked_by, sizeof c->revoked_by);
	pg_get_text(r, row, 14, c->revoke_reason, sizeof c->revoke_reason);

	pg_params p = {0};
	pg_p_text(&p, c->region);
	pg_p_text(&p, c->number);
	PGresult *ms = pg_run(h, "sc_members", &p, "consent_members");
	if (ms == NULL)
		return HD_EDB;
	int n = PQntuples(ms);
	for (int i = 0; i < n && c->n_members < CONSENT_MAX_MEMBERS; i++) {
		store_consent_member *m = &c->members[c->n_members++];
		pg_get_text(ms, i, 0, m->person, sizeof m->person);
		pg_get_text(ms, i, 1, m->id_masked, sizeof m->id_masked);
		pg_get_text(ms, i, 2, m->guardian, sizeof m->guardian);
		pg_get_text(
		    ms, i, 3, m->guardian_masked, sizeof m->guardian_masked);
		pg_get_text(ms, i, 4, m->relation, sizeof m->relation);
		pg_get_text(ms, i, 5, m->basis, sizeof m->basis);
		m->adult_on = (idnum_date)pg_get_int(ms, i, 6);
	}
	PQclear(ms);
	return HD_OK;
}

hd_err pg_consent_get(
    void *h, const char *region, const char *number, store_consent *out)
{
	pg_params p = {0};
	pg_p_text(&p, region);
	pg_p_text(&p, number);
	PGresult *r = pg_run(h, "sc_get", &p, "consent_get");
	if (r == NULL)
		return HD_EDB;
	hd_err e =
	    PQntuples(r) > 0 ? pg_consent_read(h, r, 0, out) : HD_ENOTFOUND;
	PQclear(r);
	return e;
}

hd_err pg_consent_list(void *h, const store_consent_query *q,
    hd_err (*each)(const store_consent *c, void *arg), void *arg)
{
	pg_params p = {0};
	const char *name;
	if (q->person != NULL) {
		name = "sc_by_person";
		pg_p_text(&p, q->person);
	} else if (q->number != NULL) {
		name = "sc_by_number";
		pg_p_text(&p, q->number);
	} else {
		name = "sc_expiring";
		pg_p_int(&p, q->expiring_before);
	}
	pg_p_text(&p, q->region_prefix != NULL ? q->region_prefix : "");
	pg_p_text(&p, q->after_region != NULL ? q->after_region : "");
	pg_p_text(&p, q->after_number != NULL ? q->after_number : "");
	pg_p_int(&p, q->limit > 0 ? q->limit : 100);
	if (q->person == NULL && q->number == NULL)
		pg_p_int(&p, q->today);
	PGresult *r = pg_run(h, name, &p, "consent_list");
	if (r == NULL)
		return HD_EDB;
	store_consent *c = malloc(sizeof *c);
	hd_err e = c != NULL ? HD_OK : HD_ENOMEM;
	for (int i = 0; e == HD_OK && i < PQntuples(r); i++) {
		e = pg_consent_read(h, r, i, c);
		if (e == HD_OK)
			e = each(c, arg);
	}
	free(c);
	PQclear(r);
	return e;
}
