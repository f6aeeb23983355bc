/* SPDX-License-Identifier: MIT */
/*
 * store_consent: the consent registry's records in heduid's store, with
 * the durability of reports: a registration or revocation is written in
 * the writer's group commit together with its audit record, and answered
 * only once both are on disk (store.h, store_write_async).
 *
 * Persons are kept as the audit trail keeps them: HMAC-SHA256 of the ID
 * number under the audit key (audit_person_hash), with the masked number
 * for display. No ID number, name or form image is stored; the form's
 * SHA-256 is.
 */
#ifndef HEDUI_STORE_CONSENT_H
#define HEDUI_STORE_CONSENT_H

#include <stdbool.h>
#include <stdint.h>

#include "consent_form.h"
#include "store.h"

typedef struct store_consent_member {
	char person[AUDIT_PERSON_HEX]; /* the member's keyed hash */
	char id_masked[IDNUM_MASKED_LEN + 1];
	char guardian[AUDIT_PERSON_HEX]; /* "" when the member signed */
	char guardian_masked[IDNUM_MASKED_LEN + 1];
	char relation[16];
	char basis[16];
	/* For a minor signed for by a guardian: the 18th birthday, from
	 * which that signature no longer covers them. 0 otherwise. */
	idnum_date adult_on;
} store_consent_member;

typedef struct store_consent {
	char region[7];
	char number[CONSENT_NUMBER_MAX + 1];
	idnum_date signed_on, valid_from, valid_until;
	unsigned programs, sources; /* consent_form.h's bits */
	uint8_t form_sha256[32];
	/* HMAC under the audit key of everything registered: a retry of the
	 * same registration is told from another consent under the same
	 * number without keeping the ID numbers themselves. */
	uint8_t content_mac[32];
	char agency[STORE_AGENCY_MAX]; /* whole subject of the registrant */
	char agency_prefix[7];         /* its region prefix then */
	int64_t registered_ms;
	int64_t revoked_ms; /* 0 while not revoked */
	char revoked_by[STORE_AGENCY_MAX];
	char revoke_reason[CONSENT_REASON_MAX + 1];
	size_t n_members;
	store_consent_member members[CONSENT_MAX_MEMBERS];
} store_consent;

/* Exactly one of person, number, expiring_before. Results in (region,
 * number) order, strictly after (after_region, after_number) when given,
 * of regions starting with region_prefix, at most limit. */
typedef struct store_consent_query {
	const char *person; /* consents covering this member's hash */
	const char *number; /* consents of this number */
	/* Unrevoked consents with today <= valid_until < expiring_before. */
	idnum_date expiring_before, today;
	const char *region_prefix;
	const char *after_region, *after_number; /* "" or NULL: from the
	                                            start */
	int limit;
} store_consent_query;

/* Called for each consent found; anything but HD_OK stops the walk and is
 * returned. c is valid during the call only. */
typedef hd_err (*store_consent_fn)(const store_consent *c, void *arg);

/*
 * The outcome of a registration or revocation, from the writer thread:
 *   HD_OK       committed; rec is the consent as stored now; unchanged
 *               when it was already so (the same registration, a
 *               consent already revoked: nothing was written)
 *   HD_EEXIST   registration: another consent has the number in the
 *               region; rec is that one (its outcome audited
 *               ALREADY_EXISTS)
 *   HD_ENOTFOUND revocation: no such consent (audited NOT_FOUND)
 *   HD_EDB, HD_EUNAVAIL, HD_ENOMEM  not committed (store.h)
 * rec is NULL unless HD_OK or HD_EEXIST, and valid during the call only.
 */
typedef void (*store_consent_done_fn)(
    hd_err err, const store_consent *rec, bool unchanged, void *arg);

/* Registers c (copied) with its audit record a. */
void store_consent_put_async(store *s, const store_consent *c,
    const store_audit *a, store_consent_done_fn done, void *arg);
/* Revokes (region, number) as of at_ms, by an agency, for a reason. */
void store_consent_revoke_async(store *s, const char *region,
    const char *number, int64_t at_ms, const char *by, const char *reason,
    const store_audit *a, store_consent_done_fn done, void *arg);

/* Committed consents: HD_OK with *out filled, HD_ENOTFOUND or HD_EDB. */
hd_err store_consent_get(
    store *s, const char *region, const char *number, store_consent *out);
/* Walks a query (HD_OK, HD_EDB, or what each returned). */
hd_err store_consent_list(
    store *s, const store_consent_query *q, store_consent_fn each, void *arg);

#endif
