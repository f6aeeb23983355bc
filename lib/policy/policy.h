/* SPDX-License-Identifier: MIT */
/*
 * policy: the rules engine. docs/RULES.md says in words what it applies,
 * docs/POLICY-FILE.md how the regional parameters are given.
 *
 * Pure: facts in, verdict out. policy_evaluate() does no I/O, reads no
 * clock and allocates nothing; every list has a fixed bound. Money is int64
 * fen, ratios bps, areas centi-m2; no floating point.
 *
 * Overflow fails safe: aggregated facts (incomes, balances, areas) saturate
 * at INT64_MAX, so a household whose figures overflow fails the income and
 * asset rules; thresholds computed from parameters saturate too, which only
 * matters for absurd parameters.
 *
 * The regional policy file (docs/POLICY-FILE.md) is a policy_book: it turns
 * a region_code and a date (the household's as_of) into effective
 * policy_params plus a policy_version naming what was applied.
 */
#ifndef HEDUI_POLICY_H
#define HEDUI_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"
#include "idnum.h"

#define POLICY_MAX_MEMBERS 20
/* Per member and per list (accounts, businesses, real estate, vehicles).
 * Longer lists must be rejected by the caller; the evaluator treats a count
 * above the bound as a malformed answer, i.e. a failed lookup. */
#define POLICY_MAX_ITEMS 64
#define POLICY_DETAIL_SIZE 192
/* A report's policy_version: "pv1-" and 16 hex digits, ",file:" and 12
 * (or "none"), then one ",[builtin:]KEY[@YYYY-MM-DD]" per level that
 * applied (at most 4, 22 characters each): 134 with the NUL; room to
 * spare. */
#define POLICY_VERSION_SIZE 160
/* "pv1-" + 16 hex characters + NUL: the parameters' own digest. */
#define POLICY_DIGEST_SIZE 21

typedef enum policy_program {
	POLICY_PROGRAM_DIBAO,
	POLICY_PROGRAM_MARGINAL,
	POLICY_PROGRAM_TEKUN,
	POLICY_PROGRAM_HARDSHIP,
	POLICY_PROGRAM_COUNT
} policy_program;

typedef enum policy_area {
	POLICY_AREA_URBAN,
	POLICY_AREA_RURAL,
	POLICY_AREA_COUNT
} policy_area;

typedef enum policy_relation {
	POLICY_RELATION_APPLICANT,
	POLICY_RELATION_SPOUSE,
	POLICY_RELATION_CHILD,
	POLICY_RELATION_PARENT,
	POLICY_RELATION_SIBLING,
	POLICY_RELATION_GRANDPARENT,
	POLICY_RELATION_GRANDCHILD,
	POLICY_RELATION_OTHER,
	POLICY_RELATION_COUNT
} policy_relation;

typedef enum policy_conclusion {
	POLICY_MEETS,
	POLICY_DOES_NOT_MEET,
	POLICY_NEEDS_REVIEW,
	POLICY_CONCLUSION_COUNT
} policy_conclusion;

typedef enum policy_category {
	POLICY_CATEGORY_DIBAO,
	POLICY_CATEGORY_MARGINAL,
	POLICY_CATEGORY_GRADUAL_EXIT,
	POLICY_CATEGORY_SINGLE_PERSON,
	POLICY_CATEGORY_TEKUN,
	POLICY_CATEGORY_HARDSHIP,
	POLICY_CATEGORY_NONE,
	POLICY_CATEGORY_COUNT
} policy_category;

typedef enum policy_account_kind {
	POLICY_ACCOUNT_DEPOSIT,
	POLICY_ACCOUNT_SECURITIES,
	POLICY_ACCOUNT_WEALTH,
	POLICY_ACCOUNT_INSURANCE,
	POLICY_ACCOUNT_KIND_COUNT
} policy_account_kind;

typedef enum policy_usage {
	POLICY_USAGE_RESIDENTIAL,
	POLICY_USAGE_COMMERCIAL,
	POLICY_USAGE_OFFICE,
	POLICY_USAGE_INDUSTRIAL,
	POLICY_USAGE_PARKING,
	POLICY_USAGE_OTHER,
	POLICY_USAGE_COUNT
} policy_usage;

typedef enum policy_vehicle_kind {
	POLICY_VEHICLE_CAR,
	POLICY_VEHICLE_TRUCK,
	POLICY_VEHICLE_MOTORCYCLE,
	POLICY_VEHICLE_ELECTRIC_BIKE,
	POLICY_VEHICLE_DISABILITY_MOBILITY,
	POLICY_VEHICLE_FARM_MACHINERY,
	POLICY_VEHICLE_KIND_COUNT
} policy_vehicle_kind;

#define POLICY_VEHICLE_BIT(kind) (1u << (kind))

typedef enum policy_business_status {
	POLICY_BUSINESS_ACTIVE,
	POLICY_BUSINESS_CLOSED,
	POLICY_BUSINESS_STATUS_COUNT
} policy_business_status;

typedef enum policy_source {
	POLICY_SOURCE_BANK,
	POLICY_SOURCE_TAX,
	POLICY_SOURCE_PROPERTY,
	POLICY_SOURCE_COUNT
} policy_source;

/* The answer of one source about one member. */
typedef enum policy_lookup {
	POLICY_LOOKUP_FOUND,
	POLICY_LOOKUP_NOT_FOUND, /* counts as zero */
	POLICY_LOOKUP_FAILED,    /* timeout, unavailable, error, malformed */
	POLICY_LOOKUP_COUNT
} policy_lookup;

/* Per source in the verdict: no member failed / some / all. */
typedef enum policy_source_status {
	POLICY_SOURCE_OK,
	POLICY_SOURCE_PARTIAL,
	POLICY_SOURCE_FAILED,
	POLICY_SOURCE_STATUS_COUNT
} policy_source_status;

typedef enum policy_reason_code {
	POLICY_INCOME_ABOVE_STANDARD,
	POLICY_INCOME_ABOVE_MARGINAL,
	POLICY_INCOME_ABOVE_DISPOSABLE,
	POLICY_RIGID_EXPENSE_BELOW_SHARE,
	POLICY_FINANCIAL_ASSETS_OVER_LIMIT,
	POLICY_TOO_MANY_RESIDENCES,
	POLICY_NON_RESIDENTIAL_PROPERTY,
	POLICY_RESIDENTIAL_AREA_OVER_LIMIT,
	POLICY_VEHICLE_NOT_EXEMPT,
	POLICY_BUSINESS_CAPITAL_OVER_LIMIT,
	POLICY_HAS_LABOR_CAPACITY,
	POLICY_HAS_ABLE_SUPPORTER,
	POLICY_SOURCE_INCOMPLETE,
	POLICY_SOURCE_UNAVAILABLE,
	POLICY_REASON_COUNT
} policy_reason_code;

/*
 * The exact strings of the spec ("does_not_meet", "electric_bike",
 * "INCOME_ABOVE_STANDARD", ...). _name() gives "unknown" for a value out of
 * range; _parse() is case-sensitive and false for anything else.
 */
#define POLICY_DECLARE_NAMES(type, fn)                                        \
	const char *fn##_name(type value);                                    \
	bool fn##_parse(const char *text, type *out);
POLICY_DECLARE_NAMES(policy_program, policy_program)
POLICY_DECLARE_NAMES(policy_area, policy_area)
POLICY_DECLARE_NAMES(policy_relation, policy_relation)
POLICY_DECLARE_NAMES(policy_conclusion, policy_conclusion)
POLICY_DECLARE_NAMES(policy_category, policy_category)
POLICY_DECLARE_NAMES(policy_account_kind, policy_account_kind)
POLICY_DECLARE_NAMES(policy_usage, policy_usage)
POLICY_DECLARE_NAMES(policy_vehicle_kind, policy_vehicle_kind)
POLICY_DECLARE_NAMES(policy_business_status, policy_business_status)
POLICY_DECLARE_NAMES(policy_source, policy_source)
POLICY_DECLARE_NAMES(policy_lookup, policy_lookup)
POLICY_DECLARE_NAMES(policy_source_status, policy_source_status)
POLICY_DECLARE_NAMES(policy_reason_code, policy_reason_code)

/* --- parameters ---------------------------------------------------------- */

/* Every parameter of docs/RULES.md's table. None may be negative. */
typedef struct policy_params {
	int64_t dibao_standard_fen[POLICY_AREA_COUNT]; /* S */
	int64_t marginal_bps;
	int64_t financial_assets_months;
	int64_t max_residences;
	bool allow_non_residential;
	int64_t max_residential_area_per_capita_centi_m2; /* 0: off */
	uint32_t vehicle_exempt_kinds; /* POLICY_VEHICLE_BIT(kind) | ... */
	int64_t vehicle_value_cap_fen;
	int64_t business_capital_cap_fen;
	int64_t employment_cost_bps;
	int64_t employment_cost_cap_fen;
	int64_t gradual_exit_months;
	int64_t tekun_bps;
	int64_t disposable_income_monthly_fen[POLICY_AREA_COUNT];
	int64_t rigid_expense_share_bps;
} policy_params;

/* The national defaults of docs/RULES.md's table (not Beijing's S: that
 * is the built-in "11" entry of every policy_book). */
void policy_params_defaults(policy_params *out);
/* Beijing (every 11xxxx code) ships with S = 145000 fen, urban and rural,
 * from 2024-07-01 (docs/POLICY-FILE.md, "Built in"). */
#define POLICY_BEIJING_PREFIX "11"
#define POLICY_BEIJING_STANDARD_FEN 145000
#define POLICY_BEIJING_FROM 20240701

/* No negative value, no unknown vehicle-kind bit. */
bool policy_params_valid(const policy_params *p);

/*
 * Canonical text of the parameters ("name=value\n" lines in a fixed order),
 * what policy_version hashes. Returns the length it needs (like snprintf).
 */
size_t policy_params_canonical(const policy_params *p, char *buf, size_t len);

/* "pv1-" + the first 16 hex characters of SHA-256(canonical text): the
 * first token of every policy_version. */
hd_err policy_params_version(
    const policy_params *p, char version[POLICY_DIGEST_SIZE]);

/*
 * The parameters one value at a time, in canonical order: a slot is a
 * parameter, or one area of an urban/rural parameter. name is the
 * canonical text's ("dibao_standard_fen.urban", "marginal_bps"), value
 * as it writes it ("145000", "false", "motorcycle,electric_bike").
 */
#define POLICY_SLOT_MAX 32
typedef struct policy_param_text {
	unsigned slot; /* what policy_applied.origin is indexed by */
	char name[64];
	char value[128];
} policy_param_text;
size_t policy_params_texts(
    const policy_params *p, policy_param_text out[POLICY_SLOT_MAX]);

/* --- facts --------------------------------------------------------------- */

typedef struct policy_business {
	int64_t registered_capital_fen;
	policy_business_status status;
} policy_business;

typedef struct policy_account {
	policy_account_kind kind;
	int64_t balance_fen;
} policy_account;

typedef struct policy_real_estate {
	policy_usage usage;
	int64_t area_centi_m2;
	int64_t share_bps; /* 0..10000 */
} policy_real_estate;

typedef struct policy_vehicle {
	policy_vehicle_kind kind;
	int64_t value_fen;
} policy_vehicle;

/* 12 months before as_of. */
typedef struct policy_tax_facts {
	int64_t wage_income_fen;
	int64_t business_income_fen;
	int64_t property_income_fen;
	int64_t transfer_income_fen;
	int64_t excluded_income_fen; /* never counted */
	size_t n_businesses;
	policy_business businesses[POLICY_MAX_ITEMS];
} policy_tax_facts;

typedef struct policy_bank_facts {
	size_t n_accounts;
	policy_account accounts[POLICY_MAX_ITEMS];
} policy_bank_facts;

typedef struct policy_property_facts {
	size_t n_real_estate;
	policy_real_estate real_estate[POLICY_MAX_ITEMS];
	size_t n_vehicles;
	policy_vehicle vehicles[POLICY_MAX_ITEMS];
} policy_property_facts;

typedef struct policy_member {
	char id_number[IDNUM_LEN + 1]; /* normalised (upper-case X) */
	policy_relation relation;
	bool severe_disability;
	bool severe_illness;
	bool has_able_supporter;
	/* Facts of a source are read only when its lookup is FOUND. A FOUND
	 * answer with a negative amount, a share over 10000 bps, an enum out
	 * of range or a count over POLICY_MAX_ITEMS is malformed and counts
	 * as FAILED. */
	policy_lookup lookup[POLICY_SOURCE_COUNT];
	policy_tax_facts tax;
	policy_bank_facts bank;
	policy_property_facts property;
} policy_member;

/*
 * Sized to its members (a member is ~4.7 KiB, 20 of them ~92 KiB): members
 * holds room for the number it was allocated with, of which the engine
 * reads members[0..n_members). sizeof is the header alone: allocate with
 * policy_household_alloc, or policy_household_size(n) bytes.
 */
typedef struct policy_household {
	char region_code[7];
	policy_area area;
	policy_program program;
	idnum_date as_of; /* YYYYMMDD */
	bool currently_enrolled;
	int64_t monthly_rigid_expense_fen;
	size_t n_members; /* 1..POLICY_MAX_MEMBERS, at most its room */
	policy_member members[];
} policy_household;

/* The bytes of a household with room for n members. */
static inline size_t policy_household_size(size_t n)
{
	return offsetof(policy_household, members) + n * sizeof(policy_member);
}

/* A zeroed household with room for n (0..POLICY_MAX_MEMBERS) members and
 * n_members = n; NULL when out of memory or n is too large. The caller
 * frees it with policy_household_free. */
policy_household *policy_household_alloc(size_t n);
void policy_household_free(policy_household *h); /* accepts NULL */

/* --- verdict ------------------------------------------------------------- */

/* Every rule reason once, plus one SOURCE_UNAVAILABLE per (source, member). */
#define POLICY_MAX_REASONS                                                    \
	(POLICY_REASON_COUNT + POLICY_SOURCE_COUNT * POLICY_MAX_MEMBERS)

typedef struct policy_reason {
	policy_reason_code code;
	/* The figures that made the rule fail; never an ID number or name
	 * (members appear by index and masked ID). */
	char detail[POLICY_DETAIL_SIZE];
} policy_reason;

typedef struct policy_source_summary {
	policy_source source;
	policy_source_status status;
	size_t n_failed;
	uint8_t failed_members[POLICY_MAX_MEMBERS]; /* member indices */
} policy_source_summary;

typedef struct policy_verdict {
	policy_program program;
	policy_conclusion conclusion;
	policy_category category;
	size_t household_size;                 /* n */
	int64_t monthly_income_fen;            /* H */
	int64_t per_capita_monthly_income_fen; /* P */
	int64_t financial_assets_fen;          /* F */
	int64_t estimated_monthly_benefit_fen;
	int64_t gradual_exit_months; /* category gradual_exit only, else 0 */
	int64_t standard_fen;        /* S used */
	int64_t marginal_fen;        /* M used */
	int64_t member_income_fen[POLICY_MAX_MEMBERS]; /* I_m */
	size_t n_single_person;
	uint8_t single_person[POLICY_MAX_MEMBERS]; /* member indices */
	/* single_person: each named member's S - I_m rounded up; they add up
	 * to estimated_monthly_benefit_fen. Indexed like single_person[]. */
	int64_t single_person_benefit_fen[POLICY_MAX_MEMBERS];
	size_t n_reasons; /* 0 when the conclusion is meets */
	policy_reason reasons[POLICY_MAX_REASONS];
	policy_source_summary sources[POLICY_SOURCE_COUNT]; /* by source */
} policy_verdict;

/*
 * Applies the rules. Always fills *out. HD_EINVAL when the inputs break what
 * request validation guarantees (no members or more than 20, a bad ID number
 * or date, an enum out of range, a negative rigid expense, a tekun household
 * of more than one, invalid params): the verdict is then needs_review,
 * category none, with no reasons and no figures, never meets.
 */
hd_err policy_evaluate(const policy_params *params,
    const policy_household *household, policy_verdict *out);

/* --- regional policy file ------------------------------------------------ */

typedef struct policy_book policy_book;

/*
 * One parameter set: an entry of the file (a region prefix), or one dated
 * set of an entry's list, or a built-in one. Dates are YYYYMMDD, 0 none.
 */
typedef struct policy_set_info {
	bool builtin;     /* shipped in the code (Beijing), not in the file */
	char key[7];      /* the region prefix: 2, 4 or 6 digits */
	int index;        /* its place in the entry's list; -1: not a list */
	idnum_date from;  /* first day it applies; 0: since always */
	idnum_date until; /* last day, as the file says; 0: not said */
	/* Last day it applies: until, or the day before the next set of the
	 * list begins; 0: no end. */
	idnum_date ends;
	uint32_t named; /* bit per slot it names (policy_params_texts) */
} policy_set_info;

/* The sets in force at most: built-in "11", then the file's 2, 4 and
 * 6-digit entries. */
#define POLICY_LEVELS_MAX 4

/* What a resolution applied, and where each value came from. */
typedef struct policy_applied {
	size_t n; /* sets in force, broadest first (a built-in set before
	             the file's entry of the same prefix) */
	policy_set_info sets[POLICY_LEVELS_MAX];
	/* Per slot: the index in sets[] of the set its value comes from,
	 * or -1 for the national default. */
	int8_t origin[POLICY_SLOT_MAX];
	char version[POLICY_VERSION_SIZE];
} policy_applied;

/*
 * Loads the policy file at path (NULL: the built-in entries only). On error
 * returns HD_EINVAL (bad content) or HD_EIO (unreadable) and writes a message
 * naming the entry and the field (for dated sets, the region and the dates)
 * into err. Overlapping dated sets of an entry, and gaps between them, are
 * errors (docs/POLICY-FILE.md, "Effective dates").
 */
hd_err policy_book_load(
    const char *path, policy_book **out, char *err, size_t errlen);
/* The same from the file's bytes in memory. */
hd_err policy_book_parse(
    const char *json, size_t len, policy_book **out, char *err, size_t errlen);
void policy_book_free(policy_book *book);

/* SHA-256 of the file's bytes as 64 hex digits; "" without a file. */
const char *policy_book_file_sha256(const policy_book *book);

/*
 * Effective parameters for a 6-digit region_code on the date as_of: the
 * defaults, then the built-in and file entries whose prefix the region has
 * (2, 4, then 6 digits), each by the set of it in force on as_of, each
 * overriding only what it names. HD_EINVAL when region_code is not 6
 * digits or as_of not a date. version (may be NULL) is the report's
 * policy_version. book NULL: the built-in entries only.
 */
hd_err policy_book_resolve(const policy_book *book, const char *region_code,
    idnum_date as_of, policy_params *out, char version[POLICY_VERSION_SIZE]);
/* The same, saying which set each value came from. */
hd_err policy_book_apply(const policy_book *book, const char *region_code,
    idnum_date as_of, policy_params *out, policy_applied *applied);

/*
 * Every set, at any date, of the entries whose prefix region_code has, in
 * the order of resolution (by prefix length, built-in first, then by
 * date). Writes up to cap into out; returns how many there are.
 */
size_t policy_book_sets(const policy_book *book, const char *region_code,
    policy_set_info *out, size_t cap);

/* "11@2024-07-01", "builtin:11@2024-07-01", "3301" (undated): how
 * policy_version and `hedui policy show` name a set. */
void policy_set_name(const policy_set_info *s, char *out, size_t len);

#endif
