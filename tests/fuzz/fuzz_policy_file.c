/* SPDX-License-Identifier: MIT */
/*
 * The policy file (JSON, per region prefix, optionally dated sets): parsed
 * as heduid parses it at start. A book that parses must
 * - list, per entry, sets that follow each other day after day (no
 *   overlap, no gap: what the loader promises),
 * - have at most one set of an entry in force on any date, and exactly
 *   one between an entry's first date and its last,
 * - resolve every region on every probed date (the sets' own boundaries
 *   among them) to valid parameters, each value from the last applied set
 *   that names it (or the default), under a well-formed policy_version,
 * - and evaluate a small household without trouble.
 */
#include "fuzz_util.h"

#include "policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static idnum_date day_after(idnum_date d)
{
	if (idnum_date_valid(d + 1))
		return d + 1;
	int y = d / 10000, m = (d / 100) % 100;
	return m < 12 ? y * 10000 + (m + 1) * 100 + 1 : (y + 1) * 10000 + 101;
}

static idnum_date day_before(idnum_date d)
{
	if (idnum_date_valid(d - 1))
		return d - 1;
	int y = d / 10000, m = (d / 100) % 100;
	if (m == 1)
		return (y - 1) * 10000 + 1231;
	for (int day = 31; day >= 28; day--)
		if (idnum_date_valid(y * 10000 + (m - 1) * 100 + day))
			return y * 10000 + (m - 1) * 100 + day;
	return 0;
}

static bool same_entry(const policy_set_info *a, const policy_set_info *b)
{
	return a->builtin == b->builtin && strcmp(a->key, b->key) == 0;
}

static bool covers(const policy_set_info *s, idnum_date d)
{
	return s->from <= d && (s->ends == 0 || d <= s->ends);
}

/* The sets of one region: ordered, contiguous, one in force at a time. */
static void check_sets(const policy_set_info *s, size_t n,
    const idnum_date *dates, size_t n_dates)
{
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(idnum_date_valid(s[i].from) || s[i].from == 0);
		FUZZ_ASSERT(s[i].ends == 0 || s[i].ends >= s[i].from);
		if (i + 1 < n && same_entry(&s[i], &s[i + 1])) {
			/* the next begins the day after this one ends */
			FUZZ_ASSERT(s[i].ends != 0 && s[i + 1].from != 0);
			FUZZ_ASSERT(day_after(s[i].ends) == s[i + 1].from);
		} else {
			/* an entry's last set ends when it says */
			FUZZ_ASSERT(s[i].ends == s[i].until);
		}
	}
	for (size_t d = 0; d < n_dates; d++) {
		for (size_t i = 0; i < n;) {
			size_t j = i, in = 0;
			while (j < n && same_entry(&s[i], &s[j]))
				in += covers(&s[j++], dates[d]);
			bool inside =
			    dates[d] >= s[i].from &&
			    (s[j - 1].ends == 0 || dates[d] <= s[j - 1].ends);
			FUZZ_ASSERT(in == (inside ? 1u : 0u));
			i = j;
		}
	}
}

/* Values from the last applied set naming them, else the defaults'. */
static void check_applied(const policy_params *p, const policy_applied *a,
    const policy_set_info *sets, size_t n_sets, idnum_date as_of)
{
	policy_params d;
	policy_param_text tp[POLICY_SLOT_MAX], td[POLICY_SLOT_MAX];
	policy_params_defaults(&d);
	size_t n = policy_params_texts(p, tp);
	FUZZ_ASSERT(policy_params_texts(&d, td) == n);

	FUZZ_ASSERT(a->n <= POLICY_LEVELS_MAX);
	for (size_t k = 0; k < a->n; k++) {
		FUZZ_ASSERT(covers(&a->sets[k], as_of));
		bool listed = false;
		for (size_t i = 0; i < n_sets; i++)
			listed |= same_entry(&sets[i], &a->sets[k]) &&
			          sets[i].from == a->sets[k].from;
		FUZZ_ASSERT(listed);
		for (size_t j = 0; j < k; j++)
			FUZZ_ASSERT(!same_entry(&a->sets[j], &a->sets[k]));
	}
	for (size_t i = 0; i < n; i++) {
		int o = a->origin[tp[i].slot];
		uint32_t bit = 1u << tp[i].slot;
		FUZZ_ASSERT(o >= -1 && o < (int)a->n);
		if (o < 0)
			FUZZ_ASSERT(strcmp(tp[i].value, td[i].value) == 0);
		else
			FUZZ_ASSERT(a->sets[o].named & bit);
		for (size_t k = (size_t)(o + 1); k < a->n; k++)
			FUZZ_ASSERT(!(a->sets[k].named & bit));
	}

	/* pv1-DIGEST,file:HASH|none then a set per level */
	const char *v = a->version;
	size_t len = strnlen(v, POLICY_VERSION_SIZE);
	FUZZ_ASSERT(len < POLICY_VERSION_SIZE);
	FUZZ_ASSERT(strncmp(v, "pv1-", 4) == 0);
	FUZZ_ASSERT(strncmp(v + 20, ",file:", 6) == 0);
	size_t commas = 0;
	for (size_t i = 0; i < len; i++)
		commas += v[i] == ',';
	FUZZ_ASSERT(commas == 1 + a->n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	policy_book *book = NULL;
	char err[512] = "";
	hd_err e = policy_book_parse(
	    (const char *)data, size, &book, err, sizeof err);
	if (e != HD_OK) {
		FUZZ_ASSERT(book == NULL && err[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(strlen(policy_book_file_sha256(book)) == 64);
	static const char *const regions[] = {
	    "110105", "330106", "330100", "440300", "999999", "000000"};
	for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
		policy_set_info sets[64];
		size_t total = policy_book_sets(book, regions[i], sets, 64);
		/* Beyond 64 sets only the resolution itself is checked. */
		bool whole = total <= 64;
		size_t n_sets = whole ? total : 64;
		/* Fixed dates, and each set's boundaries and their
		 * neighbours. */
		idnum_date dates[8 + 4 * 64];
		size_t n_dates = 0;
		static const idnum_date fixed[] = {18000101, 20230630,
		    20230701, 20240630, 20240701, 20270115, 99991231};
		for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
			dates[n_dates++] = fixed[k];
		for (size_t k = 0; k < n_sets; k++) {
			idnum_date f = sets[k].from, t = sets[k].ends;
			if (f > 18000101) {
				dates[n_dates++] = f;
				dates[n_dates++] = day_before(f);
			}
			if (t != 0 && t < 99991231) {
				dates[n_dates++] = t;
				dates[n_dates++] = day_after(t);
			}
		}
		if (whole)
			check_sets(sets, n_sets, dates, n_dates);
		for (size_t d = 0; d < n_dates; d++) {
			policy_params p;
			policy_applied a;
			if (!idnum_date_valid(dates[d]))
				continue;
			FUZZ_ASSERT(policy_book_apply(book, regions[i],
			                dates[d], &p, &a) == HD_OK);
			FUZZ_ASSERT(policy_params_valid(&p));
			if (whole)
				check_applied(&p, &a, sets, n_sets, dates[d]);
			char version[POLICY_VERSION_SIZE];
			policy_params q;
			FUZZ_ASSERT(policy_book_resolve(book, regions[i],
			                dates[d], &q, version) == HD_OK);
			FUZZ_ASSERT(memcmp(&p, &q, sizeof p) == 0);
			FUZZ_ASSERT(strcmp(version, a.version) == 0);
		}
		policy_params p;
		if (policy_book_resolve(
		        book, regions[i], 20270115, &p, NULL) != HD_OK)
			continue;
		policy_household *h = policy_household_alloc(1);
		policy_verdict *v = malloc(sizeof *v);
		if (h == NULL || v == NULL)
			abort();
		memcpy(h->region_code, regions[i], 7);
		h->as_of = 20270115;
		memcpy(h->members[0].id_number, "11010519491231002X", 19);
		for (int s = 0; s < POLICY_SOURCE_COUNT; s++)
			h->members[0].lookup[s] = POLICY_LOOKUP_NOT_FOUND;
		(void)policy_evaluate(&p, h, v);
		free(v);
		policy_household_free(h);
	}
	policy_book_free(book);
	return 0;
}
