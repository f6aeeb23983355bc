/* SPDX-License-Identifier: MIT */
/*
 * Internals of the rules engine shared by its .c files: saturating integer
 * arithmetic, the asset rules and reason building. Not for other modules.
 */
#ifndef HEDUI_POLICY_INTERNAL_H
#define HEDUI_POLICY_INTERNAL_H

#include "policy.h"

#include <stdint.h>

/*
 * Facts are non-negative, so the only overflow is upwards: sums and products
 * saturate at INT64_MAX, and a saturated figure stays saturated through
 * division (pa_div), so "too much to count" compares as more than any limit.
 */
#define PA_SAT INT64_MAX

__extension__ typedef unsigned __int128 pa_u128;

static inline int64_t pa_add(int64_t a, int64_t b)
{
	int64_t r;
	if (a == PA_SAT || b == PA_SAT || __builtin_add_overflow(a, b, &r))
		return PA_SAT;
	return r;
}

static inline int64_t pa_mul(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return PA_SAT;
	return r;
}

static inline int64_t pa_div(int64_t a, int64_t d)
{
	return a == PA_SAT ? PA_SAT : a / d;
}

/* floor(a * b / d) for a, b >= 0 and d > 0, exact through 128 bits. */
static inline int64_t pa_mul_div(int64_t a, int64_t b, int64_t d)
{
	pa_u128 r = (pa_u128)a * (pa_u128)b / (pa_u128)d;
	return r > (pa_u128)INT64_MAX ? PA_SAT : (int64_t)r;
}

/* Up to a whole yuan (a multiple of 100 fen); never below 0. */
static inline int64_t pa_round_up_yuan(int64_t fen)
{
	if (fen <= 0)
		return 0;
	if (fen > INT64_MAX - 99)
		return INT64_MAX / 100 * 100;
	return (fen + 99) / 100 * 100;
}

/* What the four asset rules saw; *_ok says whether each rule passed. */
typedef struct policy_assets {
	int64_t financial_fen; /* F */
	int64_t financial_per_capita_fen;
	int64_t financial_limit_fen; /* financial_assets_months * S */
	int residences;              /* R */
	int non_residential;         /* N */
	int64_t residential_area_centi_m2;
	int64_t area_per_capita_centi_m2;
	int vehicles;                  /* non-exempt */
	int64_t vehicle_max_value_fen; /* the largest non-exempt */
	int business_member; /* holder of the largest over the cap, or -1 */
	int64_t business_max_capital_fen;
	bool financial_ok, residences_ok, non_residential_ok, area_ok;
	bool vehicles_ok, business_ok;
} policy_assets;

/*
 * Applies the asset rules to the facts of the lookups that are FOUND in
 * look[m][source]; S is the standard in force.
 */
void policy_assets_check(const policy_params *p, const policy_household *h,
    const policy_lookup look[][POLICY_SOURCE_COUNT], int64_t S,
    policy_assets *out);

static inline bool policy_assets_ok(const policy_assets *a)
{
	return a->financial_ok && a->residences_ok && a->non_residential_ok &&
	       a->area_ok && a->vehicles_ok && a->business_ok;
}

/* Adds one reason per failed asset rule, in the order of docs/RULES.md. */
void policy_assets_explain(const policy_params *p, const policy_assets *a,
    size_t n, int64_t S, policy_verdict *v);

/* Appends a reason with a printf-formatted detail (dropped when full);
 * policy_reason.c. */
void policy_reason_add(policy_verdict *v, policy_reason_code code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* What request validation guarantees: 1..20 members, valid ID numbers and
 * as_of, enums in range, no negative rigid expense, tekun with one member. */
bool policy_household_valid(const policy_household *h);

/*
 * The lookups as the rules see them (a malformed FOUND answer becomes
 * FAILED) into look[m][source], and the per-source summary into v->sources.
 * Returns the number of failed (member, source) lookups.
 */
size_t policy_lookups_classify(const policy_household *h,
    policy_lookup look[][POLICY_SOURCE_COUNT], policy_verdict *v);

/*
 * The parameters by name, in canonical order: what the policy file names and
 * what policy_version hashes. An AREA field is an int64_t[POLICY_AREA_COUNT].
 */
typedef enum policy_field_type {
	POLICY_FIELD_INT,   /* int64_t, >= 0 */
	POLICY_FIELD_BOOL,  /* bool */
	POLICY_FIELD_AREA,  /* int64_t[POLICY_AREA_COUNT], each >= 0 */
	POLICY_FIELD_KINDS, /* uint32_t bitmask over policy_vehicle_kind */
} policy_field_type;

typedef struct policy_field {
	const char *name;
	policy_field_type type;
	size_t offset;
} policy_field;

extern const policy_field policy_fields[];
extern const size_t policy_field_count;

/* The slot of field i (policy_fields[i]) and area (0 unless AREA). */
#define POLICY_SLOT(field, area) (2 * (unsigned)(field) + (unsigned)(area))
#define POLICY_SLOT_BIT(field, area) (1u << POLICY_SLOT(field, area))

#endif
