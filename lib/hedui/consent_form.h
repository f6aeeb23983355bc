/* SPDX-License-Identifier: MIT */
/*
 * consent_form: the rules a consent (核对授权书) must follow to be
 * registered, shared by the CLI (to tell the officer before anything is
 * sent) and heduid (which trusts no client). docs/CONSENT.md says why
 * each rule is there.
 *
 * Problems name the field and never hold a value from the consent: ID
 * numbers and form digests are personal or confidential.
 */
#ifndef HEDUI_CONSENT_FORM_H
#define HEDUI_CONSENT_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hedui/v1/consent.pb-c.h"
#include "idnum.h"

#define CONSENT_NUMBER_MAX 64 /* bytes, as a member's consent_ref */
#define CONSENT_MAX_MEMBERS 20
#define CONSENT_REASON_MAX 200
#define CONSENT_TERM_YEARS 5 /* the longest term a consent may have */
#define CONSENT_ADULT_AGE 18

/* Scope bits: programs in docs/RULES.md's order, sources bank, tax, property
 * (policy_source's order). */
enum {
	CONSENT_PROGRAM_COUNT = 4,
	CONSENT_SOURCE_COUNT = 3,
};

typedef struct consent_form_member {
	char id[IDNUM_LEN + 1]; /* normalised (upper-case X) */
	bool by_guardian;
	char guardian[IDNUM_LEN + 1]; /* "" when the member signed */
	const char *relation;         /* static; "" when the member signed */
	const char *basis;            /* static: "minor", "incapacity" or "" */
	int age;                      /* full years on signed_on */
} consent_form_member;

/* A consent as checked: normalised, with dates as YYYYMMDD. */
typedef struct consent_form {
	char number[CONSENT_NUMBER_MAX + 1];
	char region[7];
	size_t n_members;
	consent_form_member members[CONSENT_MAX_MEMBERS];
	unsigned programs; /* bit i: consent_program_name(i) */
	unsigned sources;  /* bit i: consent_source_name(i) */
	idnum_date signed_on, valid_from, valid_until;
	uint8_t form_sha256[32];
} consent_form;

typedef struct consent_problem {
	char field[64];   /* "members[2].guardian_id_number" */
	char reason[200]; /* never holds a value of the consent */
} consent_problem;

/*
 * Checks c against the registration rules; today bounds signed_on. True
 * with *out filled, else false with the first problem.
 */
bool consent_form_check(const Hedui__V1__Consent *c, idnum_date today,
    consent_form *out, consent_problem *p);

/* A consent number: 1 to CONSENT_NUMBER_MAX bytes of UTF-8 without
 * control characters, spaces, quotes, backslashes or commas (numbers are
 * listed comma-separated in the audit trail). */
bool consent_number_ok(const char *s);

/* 6 digits. */
bool consent_region_ok(const char *s);

/* Names of scope bits; NULL past the end. */
const char *consent_program_name(int i);
const char *consent_source_name(int i);
/* The bit of a name, or -1. */
int consent_program_bit(const char *name);
int consent_source_bit(const char *name);
/* "dibao, tekun" for a mask, into out. */
void consent_scope_format(
    unsigned mask, const char *(*name)(int), char *out, size_t cap);

/* Date arithmetic on YYYYMMDD. */
idnum_date consent_date_add_days(idnum_date d, int days);
/* The same day n years later (28 February for a 29th out of leap). */
idnum_date consent_date_add_years(idnum_date d, int years);
/* "YYYY-MM-DD" into out[11]. */
void consent_date_format(idnum_date d, char out[11]);
/* The date of a Unix time in China (UTC+8), as idnum_date_today. */
idnum_date consent_date_of_ms(int64_t unix_ms);

#endif
