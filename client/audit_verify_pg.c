/* SPDX-License-Identifier: MIT */
/*
 * audit_verify of a PostgreSQL store (audit_verify.h): the same walk of
 * the chain, row by row (single-row mode: a province's trail does not fit
 * in memory at once), in one read-only transaction so that the rows seen
 * are one snapshot while replicas go on appending.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "audit_chain.h"
#include "audit_verify.h"
#include "store_url.h"

/* A text column of a binary-format result: its bytes, which libpq
 * follows with a zero byte (and text holds no NUL), so no copy and no
 * length limit that could make an intact record look edited. */
static const char *avp_text(PGresult *r, int col)
{
	return PQgetvalue(r, 0, col);
}

static int64_t avp_int(PGresult *r, int col)
{
	const unsigned char *v = (const unsigned char *)PQgetvalue(r, 0, col);
	int n = PQgetlength(r, 0, col);
	uint64_t x = 0;
	for (int i = 0; i < n && i < 8; i++)
		x = x << 8 | v[i];
	return n == 4 ? (int32_t)(uint32_t)x : (int64_t)x;
}

static void avp_hash(PGresult *r, int col, uint8_t out[AUDIT_HASH_LEN])
{
	memset(out, 0, AUDIT_HASH_LEN);
	int n = PQgetlength(r, 0, col);
	memcpy(out, PQgetvalue(r, 0, col),
	    n < AUDIT_HASH_LEN ? (size_t)n : AUDIT_HASH_LEN);
}

hd_err audit_verify_pg(const char *url, const uint8_t *key, size_t keylen,
    int64_t *records, char *why, size_t whylen)
{
	char shown[256];
	store_url_mask(url, shown, sizeof shown);
	hd_err e = HD_OK;
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		char msg[200];
		snprintf(msg, sizeof msg, "%s",
		    c == NULL ? "out of memory" : PQerrorMessage(c));
		msg[strcspn(msg, "\n")] = '\0';
		store_url_redact(url, msg, sizeof msg);
		snprintf(why, whylen, "cannot connect to %s: %s", shown, msg);
		e = HD_EDB;
		goto out;
	}
	PQclear(PQexec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
	if (!PQsendQueryParams(c,
	        "SELECT seq, time_ms, agency, operator_id, case_id, method,"
	        " report_id, persons, outcome, prev_hash, hash, count, peer,"
	        " reason, consents FROM audit ORDER BY seq",
	        0, NULL, NULL, NULL, NULL, 1) ||
	    !PQsetSingleRowMode(c)) {
		snprintf(why, whylen, "cannot read %s", shown);
		e = HD_EDB;
		goto out;
	}
	audit_walk w;
	audit_walk_init(&w, key, keylen);
	PGresult *r;
	while ((r = PQgetResult(c)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && e == HD_OK) {
			audit_record a = {
			    .seq = avp_int(r, 0),
			    .time_ms = avp_int(r, 1),
			    .agency = avp_text(r, 2),
			    .operator_id = avp_text(r, 3),
			    .case_id = avp_text(r, 4),
			    .method = avp_text(r, 5),
			    .report_id = avp_text(r, 6),
			    .persons = avp_text(r, 7),
			    .outcome = (int)avp_int(r, 8),
			    .count = avp_int(r, 11),
			    .peer = avp_text(r, 12),
			    .reason = avp_text(r, 13),
			    .consents = avp_text(r, 14),
			};
			avp_hash(r, 9, a.prev);
			avp_hash(r, 10, a.hash);
			/* Once broken, the rest is read and dropped: the
			 * connection must be drained before it closes. */
			if (!audit_walk_next(&w, &a, why, whylen))
				e = HD_ECRYPTO;
			else
				(*records)++;
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK &&
		           e == HD_OK) {
			const char *m =
			    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
			snprintf(why, whylen,
			    "cannot read %s as a heduid store: %s", shown,
			    m != NULL ? m : "no answer");
			e = HD_EDB;
		}
		PQclear(r);
	}
out:
	PQfinish(c);
	return e;
}
