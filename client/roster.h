/* SPDX-License-Identifier: MIT */
/*
 * roster: the monitoring roster (docs/MONITORING.md), JSON Lines, one
 * enrolled household per line: the household file of `hedui verify` plus
 * its current enrollment.
 *
 * Read as strictly as the household file, for the same reason: a typo
 * must not change a classification silently. Error texts name the field
 * and the reason, never a value (ID numbers and names are personal data);
 * the caller adds the line number.
 *
 * A roster may be a million lines: it is only ever streamed, a line at a
 * time (roster_reader), never loaded whole.
 */
#ifndef HEDUI_ROSTER_H
#define HEDUI_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"

/* A line longer than this is refused (a household file's own limit). */
#define ROSTER_LINE_MAX (1024 * 1024)

/* The enrollment a household has today, as the office's records say. */
typedef struct roster_enrollment {
	char program[12];  /* dibao | marginal | tekun | hardship */
	char category[16]; /* dibao | marginal | gradual_exit | single_person
	                      | tekun | hardship: what it is paid as */
	int64_t monthly_benefit_fen; /* paid a month, >= 0 */
	idnum_date since;            /* enrolled since (YYYYMMDD) */
} roster_enrollment;

typedef struct roster_entry {
	/* As it will be sent: program the enrollment's, currently_enrolled
	 * roster_dibao_paid, as_of the line's or the run's, request_id still
	 * empty. */
	Hedui__V1__Household *household;
	roster_enrollment enrollment;
} roster_entry;

/*
 * Parses one line (without its line break). as_of stands for an absent
 * "as_of" and bounds "since". HD_OK with *out filled (free with
 * roster_entry_clear), HD_EINVAL with the reason in err, HD_ENOMEM.
 */
hd_err roster_parse_line(const char *text, size_t len, idnum_date as_of,
    roster_entry *out, char *err, size_t errlen);
void roster_entry_clear(roster_entry *e);

/*
 * Whether the household is paid dibao as a whole (program dibao, category
 * dibao or gradual_exit): what "currently_enrolled" means to the rules,
 * whose 渐退 (gradual exit) is for such households only. A single_person
 * household (paid for some members, its per-capita income already at or
 * over the standard) would otherwise always re-check as gradual_exit.
 */
bool roster_dibao_paid(const roster_enrollment *e);

/* Whether category is one the program can pay (docs/RULES.md's programs). */
bool roster_category_fits(const char *program, const char *category);

/* --- reading a roster a line at a time ---------------------------------- */

typedef struct roster_reader roster_reader;

typedef struct roster_text {
	uint64_t number;  /* 1-based physical line number, as editors count */
	const char *text; /* valid until the next call; no line break, no
	                     byte-order mark */
	size_t len;
} roster_text;

/* Opens path ("-" is refused: a roster is read twice). NULL with the
 * reason in err. */
roster_reader *roster_reader_open(const char *path, char *err, size_t errlen);
/*
 * The next line that is not blank. HD_OK; HD_ENOTFOUND at the end;
 * HD_ETOOBIG for a line over ROSTER_LINE_MAX (its number in out, the line
 * skipped); HD_EIO when reading fails.
 */
hd_err roster_reader_next(roster_reader *r, roster_text *out);
/* After the end: SHA-256 of every byte of the file. */
void roster_reader_digest(roster_reader *r, uint8_t out[32]);
void roster_reader_close(roster_reader *r); /* accepts NULL */

#endif
