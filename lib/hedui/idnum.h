/* SPDX-License-Identifier: MIT */
/*
 * idnum: resident identity numbers (居民身份证号码, GB 11643-1999).
 *
 * 18 characters: 6-digit region code, 8-digit birth date YYYYMMDD, 3-digit
 * sequence (odd for men, even for women), check character (digit or X).
 */
#ifndef HEDUI_IDNUM_H
#define HEDUI_IDNUM_H

#include <stdbool.h>
#include <stddef.h>

#define IDNUM_LEN 18
#define IDNUM_MASKED_LEN 18 /* "110105********002X" */

typedef enum idnum_defect {
	IDNUM_OK = 0,
	IDNUM_EMPTY,
	IDNUM_LEGACY_15,   /* a 15-digit first-generation number */
	IDNUM_BAD_LENGTH,  /* not 18 characters */
	IDNUM_BAD_CHAR,    /* not 17 ASCII digits then a digit or X */
	IDNUM_BAD_DATE,    /* birth date is not a calendar date */
	IDNUM_FUTURE_DATE, /* birth date after the reference date */
	IDNUM_BAD_CHECK,   /* check character is wrong */
} idnum_defect;

/* A calendar date as an integer YYYYMMDD, e.g. 20261101. */
typedef int idnum_date;

/*
 * Checks text as an ID number and writes its normalised form (upper-case X)
 * into out[IDNUM_LEN + 1]. as_of bounds the birth date (0: no bound).
 */
idnum_defect idnum_check(const char *text, idnum_date as_of, char *out);

/* A short English message for a defect, safe to show (holds no digits). */
const char *idnum_defect_str(idnum_defect d);

/* The check character for the first 17 digits. */
char idnum_check_char(const char *first17);

/* Birth date of a normalised ID number as YYYYMMDD. */
idnum_date idnum_birth_date(const char *id);

/* Full years between birth and as_of (birthday on the day counts). */
int idnum_age(const char *id, idnum_date as_of);

/* First 6 and last 4 characters, the rest '*': out[IDNUM_MASKED_LEN + 1].
 * Anything that is not 18 characters is masked entirely. */
void idnum_mask(const char *id, char *out);

/* Parses "YYYY-MM-DD" into YYYYMMDD; false when it is not a real date. */
bool idnum_date_parse(const char *text, idnum_date *out);
bool idnum_date_valid(idnum_date d);
/* Today's date (UTC+8, China Standard Time). */
idnum_date idnum_date_today(void);

#endif
