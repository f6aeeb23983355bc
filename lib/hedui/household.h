/* SPDX-License-Identifier: MIT */
/*
 * household: the request validation of docs/RULES.md (section 1), shared
 * by the CLI (to tell the officer before anything is sent) and heduid
 * (which trusts no client).
 */
#ifndef HEDUI_HOUSEHOLD_H
#define HEDUI_HOUSEHOLD_H

#include <stdbool.h>

#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "rpc_status.h"

#define HOUSEHOLD_MAX_MEMBERS 20

typedef struct household_problem {
	rpc_code code;    /* INVALID_ARGUMENT or FAILED_PRECONDITION */
	char field[48];   /* "members[2].id_number" */
	char reason[160]; /* never holds the value itself */
} household_problem;

typedef struct household_norm {
	idnum_date as_of;
	int applicant; /* index of the applicant */
	char ids[HOUSEHOLD_MAX_MEMBERS][IDNUM_LEN + 1]; /* upper-case X */
} household_norm;

/*
 * Checks h against the request validation and consent rule of
 * docs/RULES.md. today
 * is the date an empty as_of stands for and the latest as_of allowed.
 * True when valid (norm filled); else false with the first problem.
 */
bool household_check(const Hedui__V1__Household *h, idnum_date today,
    household_norm *norm, household_problem *p);

/* "problem: field reason" for messages. */
void household_problem_format(
    const household_problem *p, char *out, size_t outlen);

#endif
