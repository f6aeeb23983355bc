/* SPDX-License-Identifier: MIT */
/*
 * consent_record: a stored consent as the hedui.v1.ConsentRecord an
 * agency is answered with (ID numbers masked), and the stored form of a
 * consent that passed consent_form_check.
 */
#ifndef HEDUI_CONSENT_RECORD_H
#define HEDUI_CONSENT_RECORD_H

#include "consent_form.h"
#include "consent_registry.h"
#include "hedui/v1/consent.pb-c.h"
#include "store_consent.h"

/* Owns every buffer the message points into. Large: allocate it. */
typedef struct consent_record_doc {
	Hedui__V1__ConsentRecord r;
	Hedui__V1__Consent c;
	Hedui__V1__ConsentMember m[CONSENT_MAX_MEMBERS];
	Hedui__V1__ConsentMember *mp[CONSENT_MAX_MEMBERS];
	char *programs[CONSENT_PROGRAM_COUNT];
	char *sources[CONSENT_SOURCE_COUNT];
	char signed_on[11], valid_from[11], valid_until[11], revoked_on[11];
	char registered_at[32], revoked_at[32];
	char form[65];
	store_consent src; /* the strings' home */
} consent_record_doc;

/* "valid", "not_yet_valid", "expired" or "revoked" on day today. */
const char *consent_record_status(const store_consent *c, idnum_date today);

/* Fills d->r from c (copied into d). */
void consent_record_build(
    consent_record_doc *d, const store_consent *c, idnum_date today);

/* The stored form of a checked consent: persons as keyed hashes and
 * masked numbers, the content's MAC; agency and time are the caller's. */
void consent_record_from_form(
    const consent_registry *r, const consent_form *f, store_consent *out);

/* The persons of a consent (members, then guardians not among them) as
 * comma-separated keyed hashes, for its audit records. */
void consent_record_persons(const store_consent *c, char *out, size_t cap);

#endif
