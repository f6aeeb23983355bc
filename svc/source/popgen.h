/* SPDX-License-Identifier: MIT */
/*
 * popgen: a synthetic population for the mock sources, reproducible from a
 * seed.
 *
 * Households of 1 to 6 (an applicant, maybe a spouse, children, a parent)
 * with valid 18-digit ID numbers: real county codes, birth dates 1930-2024,
 * sequence parity by sex, GB 11643-1999 check characters, no number twice.
 * Their facts follow plain distributions: most adults earn modest wages,
 * pensioners draw pensions, a minority holds deposits over the assistance
 * limits, some own several homes, a car or a business. Everything comes
 * from one xoshiro256** stream seeded through splitmix64, with integer
 * arithmetic only, so the same seed and size give the same people, facts
 * and database bytes on any machine.
 */
#ifndef HEDUI_POPGEN_H
#define HEDUI_POPGEN_H

#include <stdbool.h>
#include <stdint.h>

#include "hd_err.h"
#include "idnum.h"
#include "srcdb.h"

#define POPGEN_MAX_MEMBERS 6
#define POPGEN_MAX_ACCOUNTS 4
#define POPGEN_MAX_BUSINESSES 2
#define POPGEN_MAX_ESTATES 5
#define POPGEN_MAX_VEHICLES 3

/* The date ages are measured at; fixed so that output never depends on
 * the day it is made. */
#define POPGEN_REFERENCE_DATE 20261101

typedef struct popgen_person {
	char id_number[IDNUM_LEN + 1];
	char name[16];        /* UTF-8, two or three characters */
	const char *relation; /* applicant | spouse | child | parent */
	bool severe_disability;
	bool severe_illness;
	bool no_consent; /* roster only: no consent_ref on file */
	bool tax_found, bank_found, property_found;
	srcdb_fault bank_fault; /* roster only: a gap at the bank */
	/* Facts as the sources hold them; the arrays back the pointers. */
	Hedui__V1__TaxFacts tax;
	Hedui__V1__Business business[POPGEN_MAX_BUSINESSES];
	Hedui__V1__Business *business_p[POPGEN_MAX_BUSINESSES];
	Hedui__V1__BankFacts bank;
	Hedui__V1__Account account[POPGEN_MAX_ACCOUNTS];
	Hedui__V1__Account *account_p[POPGEN_MAX_ACCOUNTS];
	Hedui__V1__PropertyFacts property;
	Hedui__V1__RealEstate estate[POPGEN_MAX_ESTATES];
	Hedui__V1__RealEstate *estate_p[POPGEN_MAX_ESTATES];
	Hedui__V1__Vehicle vehicle[POPGEN_MAX_VEHICLES];
	Hedui__V1__Vehicle *vehicle_p[POPGEN_MAX_VEHICLES];
} popgen_person;

typedef struct popgen_household {
	long long index;     /* 0-based */
	char region_code[7]; /* the county where the household lives */
	bool rural;
	int n;
	popgen_person members[POPGEN_MAX_MEMBERS];
} popgen_household;

typedef struct popgen popgen;

/* A generator of exactly size persons (1 .. 100 million). */
popgen *popgen_alloc(uint64_t seed, long long size);
/* Households only in the known counties whose code starts with prefix
 * (and persons registered there); false when no county matches. */
bool popgen_set_region(popgen *g, const char *prefix);
void popgen_free(popgen *g); /* accepts NULL */

/* The next household; false when all persons have been made. The
 * household's messages point into *h: copy what must outlive the next
 * call. */
bool popgen_next(popgen *g, popgen_household *h);

typedef struct popgen_stats {
	long long persons, households;
	long long found[SRCDB_KIND_COUNT];
	long long deposits_over_100k_yuan; /* persons */
	long long several_homes;           /* persons with 2+ residences */
	long long cars;                    /* persons with a car */
	long long active_businesses;       /* persons with one */
	long long wage_earners;
	long long modest_wages; /* earners under 8000 yuan a month */
	/* Rosters: households by program and by the change drawn since
	 * enrollment (popgen_roster.h). */
	long long enrolled[4];
	long long changes[8];
} popgen_stats;

/*
 * Generates the population into stores[k] for each kind whose store is not
 * NULL (each store only gets its own kind), one transaction per store.
 * Writes the first sample_households households as household request files
 * (docs/RULES.md) into sample_dir when it is not NULL. stats is optional.
 */
typedef struct popgen_opts {
	uint64_t seed;
	long long size;
	const char *sample_dir;
	int sample_households;
	/* The sample households' consents (popgen_consent.h), when not
	 * NULL. */
	const char *consent_dir;
	/* Only households of these counties (NULL: all of them). */
	const char *region_prefix;
	/* Enrolled population: every household is enrolled, its roster
	 * line goes here (NULL: an ordinary population; see
	 * popgen_roster.h). */
	const char *roster_path;
	/* The roster households' consents, as files of hedui consent add
	 * (NULL: none; popgen_consent.h). */
	const char *roster_consent_dir;
	const char *policy_file; /* the rules of the roster (NULL: built in) */
} popgen_opts;

hd_err popgen_run(const popgen_opts *o, srcdb *const stores[SRCDB_KIND_COUNT],
    popgen_stats *stats);

/* Writes one household as a docs/RULES.md household request (program dibao,
 * as_of the reference date) to path. */
hd_err popgen_write_household(const popgen_household *h, const char *path);

/* The household as household-file JSON (case_id, region, program, as_of
 * the reference date, currently_enrolled false, members). */
struct json_t;
struct json_t *popgen_household_json(
    const popgen_household *h, const char *program);
/* Whether another member is an adult of working age (18 to 59). */
bool popgen_able_supporter(const popgen_household *h, int me);

#endif
