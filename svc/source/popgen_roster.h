/* SPDX-License-Identifier: MIT */
/*
 * popgen_roster: an enrolled population and its roster (`hedui-source gen
 * --roster FILE`), for `hedui monitor` (docs/MONITORING.md).
 *
 * Each household is drawn poor enough to be enrolled: its facts at
 * enrollment are put through the rules engine (the same policy_evaluate
 * heduid runs, with the same policy file), and the roster line records
 * what it said then: the program, the category paid and the benefit. Then
 * something may have changed since (drawn from the same seeded stream):
 *
 *   none (about 72%), income moved a little, income rose to between the
 *   standard and the marginal line (渐退 for dibao), income or assets now
 *   over the limits, income fell (a lost job), a gap at the bank (that
 *   source fails for one member), a member's consent not on file.
 *
 * The sources hold the facts of today; so about a quarter of the roster
 * changes on re-check, like the 22% one Anhui city flagged.
 */
#ifndef HEDUI_POPGEN_ROSTER_H
#define HEDUI_POPGEN_ROSTER_H

#include <stdio.h>

#include "policy.h"
#include "popgen.h"

typedef enum popgen_change {
	POPGEN_CHANGE_NONE,
	POPGEN_CHANGE_INCOME_SHIFT, /* a few hundred yuan up or down */
	POPGEN_CHANGE_TO_MARGINAL,  /* per-capita income now in [S, M) */
	POPGEN_CHANGE_OVER_LIMITS,  /* income over M, a car, or savings */
	POPGEN_CHANGE_INCOME_FELL,  /* the main earner's wage gone */
	POPGEN_CHANGE_SOURCE_GAP,   /* the bank fails for one member */
	POPGEN_CHANGE_NO_CONSENT,   /* one member's consent not on file */
	POPGEN_CHANGE_COUNT
} popgen_change;

const char *popgen_change_name(popgen_change c);

typedef struct popgen_enrollment {
	policy_program program;
	policy_category category;
	int64_t monthly_benefit_fen;
	int since; /* YYYYMMDD */
	popgen_change change;
} popgen_enrollment;

typedef struct popgen_roster popgen_roster;

/* The rules of policy_file (NULL: built in). NULL with the reason in err. */
popgen_roster *popgen_roster_alloc(
    const char *policy_file, char *err, size_t errlen);
void popgen_roster_free(popgen_roster *r);

/* Makes h (just generated) an enrolled household: its facts at
 * enrollment, the enrollment they gave, then today's facts in h. */
hd_err popgen_roster_enroll(
    popgen_roster *r, popgen *g, popgen_household *h, popgen_enrollment *e);

/* Writes h's roster line (JSON, one line) to f. */
hd_err popgen_roster_write(
    FILE *f, const popgen_household *h, const popgen_enrollment *e);

#endif
