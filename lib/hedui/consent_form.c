/* SPDX-License-Identifier: MIT */
#include "consent_form.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

static const char *const consent_programs[CONSENT_PROGRAM_COUNT] = {
    "dibao", "marginal", "tekun", "hardship"};
static const char *const consent_sources[CONSENT_SOURCE_COUNT] = {
    "bank", "tax", "property"};
static const char *const consent_relations[] = {
    "parent", "grandparent", "sibling", "spouse", "child", "other"};

static bool consent_fail(consent_problem *p, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool consent_fail(
    consent_problem *p, const char *field, const char *fmt, ...)
{
	snprintf(p->field, sizeof p->field, "%s", field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof p->reason, fmt, ap);
	va_end(ap);
	return false;
}

const char *consent_program_name(int i)
{
	return i >= 0 && i < CONSENT_PROGRAM_COUNT ? consent_programs[i]
	                                           : NULL;
}

const char *consent_source_name(int i)
{
	return i >= 0 && i < CONSENT_SOURCE_COUNT ? consent_sources[i] : NULL;
}

static int consent_index(const char *v, const char *const *set, int n)
{
	for (int i = 0; v != NULL && i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return i;
	return -1;
}

int consent_program_bit(const char *name)
{
	return consent_index(name, consent_programs, CONSENT_PROGRAM_COUNT);
}

int consent_source_bit(const char *name)
{
	return consent_index(name, consent_sources, CONSENT_SOURCE_COUNT);
}

void consent_scope_format(
    unsigned mask, const char *(*name)(int), char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; name(i) != NULL; i++) {
		if (!(mask & (1u << i)))
			continue;
		int w = snprintf(out + used, cap - used, "%s%s",
		    used > 0 ? ", " : "", name(i));
		if (w < 0 || (size_t)w >= cap - used)
			break;
		used += (size_t)w;
	}
}

bool consent_number_ok(const char *s)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > CONSENT_NUMBER_MAX)
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c <= 0x20 || *c == 0x7f || *c == '"' || *c == '\\' ||
		    *c == ',')
			return false;
	return utf8_valid(s, strlen(s));
}

bool consent_region_ok(const char *s)
{
	if (s == NULL || strlen(s) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), and back. */
static long consent_days(idnum_date d)
{
	long y = d / 10000, m = d / 100 % 100, day = d % 100;
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static idnum_date consent_civil(long z)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long day = doy - (153 * mp + 2) / 5 + 1;
	long m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	return (idnum_date)(y * 10000 + m * 100 + day);
}

idnum_date consent_date_add_days(idnum_date d, int days)
{
	return consent_civil(consent_days(d) + days);
}

idnum_date consent_date_add_years(idnum_date d, int years)
{
	idnum_date r = d + years * 10000;
	if (!idnum_date_valid(r)) /* 29 February into a common year */
		r = r / 100 * 100 + 28;
	return r;
}

void consent_date_format(idnum_date d, char out[11])
{
	char buf[32];
	snprintf(buf, sizeof buf, "%04d-%02d-%02d", (d / 10000) % 10000,
	    (d / 100) % 100, d % 100);
	memcpy(out, buf, 10);
	out[10] = '\0';
}

idnum_date consent_date_of_ms(int64_t unix_ms)
{
	long days = (long)((unix_ms / 1000 + 8 * 3600) / 86400);
	return consent_civil(days);
}

static bool consent_date(
    const char *text, const char *field, idnum_date *out, consent_problem *p)
{
	if (!idnum_date_parse(text, out))
		return consent_fail(
		    p, field, "must be a real date YYYY-MM-DD");
	return true;
}

static bool consent_hex(const char *s, uint8_t out[32])
{
	if (s == NULL || strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (v < 0)
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return true;
}

/* A scope: at least one name, each known, none twice. */
static bool consent_scope(char **names, size_t n, int (*bit)(const char *),
    const char *field, const char *known, unsigned *mask, consent_problem *p)
{
	char f[64];
	*mask = 0;
	if (n == 0)
		return consent_fail(
		    p, field, "must name at least one of %s", known);
	for (size_t i = 0; i < n; i++) {
		snprintf(f, sizeof f, "%s[%zu]", field, i);
		int b = bit(names[i]);
		if (b < 0)
			return consent_fail(p, f, "must be one of %s", known);
		if (*mask & (1u << b))
			return consent_fail(p, f, "is named twice");
		*mask |= 1u << b;
	}
	return true;
}

static bool consent_member(const Hedui__V1__ConsentMember *m, size_t i,
    const consent_form *f, consent_form_member *out, consent_problem *p)
{
	char field[64], date[11];
	consent_date_format(f->signed_on, date);
	snprintf(field, sizeof field, "members[%zu].id_number", i);
	/* Born after the form was signed: not a member who signed it. */
	idnum_defect d = idnum_check(m->id_number, f->signed_on, out->id);
	if (d == IDNUM_FUTURE_DATE)
		return consent_fail(
		    p, field, "has a birth date after signed_on %s", date);
	if (d != IDNUM_OK)
		return consent_fail(p, field, "%s", idnum_defect_str(d));
	out->age = idnum_age(out->id, f->signed_on);
	snprintf(field, sizeof field, "members[%zu].signed_by", i);
	const char *by = m->signed_by != NULL ? m->signed_by : "";
	if (strcmp(by, "self") == 0) {
		out->by_guardian = false;
	} else if (strcmp(by, "guardian") == 0) {
		out->by_guardian = true;
	} else {
		return consent_fail(p, field, "must be self or guardian");
	}
	bool has_guardian =
	    (m->guardian_id_number != NULL && m->guardian_id_number[0]) ||
	    (m->guardian_relation != NULL && m->guardian_relation[0]) ||
	    (m->guardian_basis != NULL && m->guardian_basis[0]);
	out->guardian[0] = '\0';
	out->relation = "";
	out->basis = "";
	if (!out->by_guardian) {
		/* 民法典 arts. 19-20: a minor's legal acts go through the
		 * guardian. The 16-17-year-old who lives on his own labour
		 * (art. 18) is not told apart here: the guardian signs. */
		if (out->age < CONSENT_ADULT_AGE)
			return consent_fail(p, field,
			    "must be guardian: the member was under %d on "
			    "signed_on %s",
			    CONSENT_ADULT_AGE, date);
		if (has_guardian)
			return consent_fail(p, field,
			    "is self, but a guardian is given: say guardian, "
			    "or drop the guardian's fields");
		return true;
	}
	snprintf(field, sizeof field, "members[%zu].guardian_id_number", i);
	d = idnum_check(m->guardian_id_number, f->signed_on, out->guardian);
	if (d == IDNUM_EMPTY)
		return consent_fail(
		    p, field, "is required when a guardian signed");
	if (d != IDNUM_OK)
		return consent_fail(p, field, "%s", idnum_defect_str(d));
	if (strcmp(out->guardian, out->id) == 0)
		return consent_fail(
		    p, field, "is the member's own: a guardian is another");
	if (idnum_age(out->guardian, f->signed_on) < CONSENT_ADULT_AGE)
		return consent_fail(p, field,
		    "is of a minor on signed_on %s: a guardian is an adult",
		    date);
	snprintf(field, sizeof field, "members[%zu].guardian_relation", i);
	int r = consent_index(m->guardian_relation, consent_relations,
	    (int)(sizeof consent_relations / sizeof consent_relations[0]));
	if (r < 0)
		return consent_fail(p, field,
		    "must be parent, grandparent, sibling, spouse, child or "
		    "other");
	out->relation = consent_relations[r];
	snprintf(field, sizeof field, "members[%zu].guardian_basis", i);
	const char *basis = m->guardian_basis != NULL ? m->guardian_basis : "";
	if (out->age < CONSENT_ADULT_AGE) {
		if (basis[0] != '\0' && strcmp(basis, "minor") != 0)
			return consent_fail(p, field,
			    "must be minor (or empty): the member was under "
			    "%d on signed_on %s",
			    CONSENT_ADULT_AGE, date);
		out->basis = "minor";
	} else {
		/* An adult signs for himself unless he lacks full civil
		 * capacity (民法典 arts. 21-24, 28), which the office
		 * attests: hedui cannot tell it from the ID number. */
		if (strcmp(basis, "incapacity") != 0)
			return consent_fail(p, field,
			    "must be incapacity: the member was an adult on "
			    "signed_on %s, who signs for himself unless the "
			    "office attests that he lacks full civil "
			    "capacity",
			    date);
		out->basis = "incapacity";
	}
	return true;
}

bool consent_form_check(const Hedui__V1__Consent *c, idnum_date today,
    consent_form *f, consent_problem *p)
{
	char d1[11], d2[11];
	memset(f, 0, sizeof *f);
	if (!consent_number_ok(c->number))
		return consent_fail(p, "number",
		    "must be 1 to %d bytes of UTF-8 without spaces, control "
		    "characters, quotes, backslashes or commas",
		    CONSENT_NUMBER_MAX);
	snprintf(f->number, sizeof f->number, "%s", c->number);
	if (!consent_region_ok(c->region_code))
		return consent_fail(p, "region_code", "must be 6 digits");
	snprintf(f->region, sizeof f->region, "%s", c->region_code);
	if (!consent_date(c->signed_on, "signed_on", &f->signed_on, p) ||
	    !consent_date(c->valid_from, "valid_from", &f->valid_from, p) ||
	    !consent_date(c->valid_until, "valid_until", &f->valid_until, p))
		return false;
	if (f->signed_on > today)
		return consent_fail(p, "signed_on", "must not be after today");
	if (f->valid_until < f->valid_from)
		return consent_fail(
		    p, "valid_until", "must not be before valid_from");
	if (f->valid_until < f->signed_on)
		return consent_fail(
		    p, "valid_until", "must not be before signed_on");
	if (f->valid_until >=
	    consent_date_add_years(f->valid_from, CONSENT_TERM_YEARS)) {
		consent_date_format(f->valid_from, d1);
		consent_date_format(
		    consent_date_add_days(consent_date_add_years(f->valid_from,
		                              CONSENT_TERM_YEARS),
		        -1),
		    d2);
		return consent_fail(p, "valid_until",
		    "must be within %d years of valid_from %s (at the latest "
		    "%s)",
		    CONSENT_TERM_YEARS, d1, d2);
	}
	if (!consent_hex(c->form_sha256, f->form_sha256))
		return consent_fail(p, "form_sha256",
		    "must be the SHA-256 of the scanned signed form, 64 hex "
		    "digits");
	if (!consent_scope(c->programs, c->n_programs, consent_program_bit,
	        "programs", "dibao, marginal, tekun, hardship", &f->programs,
	        p) ||
	    !consent_scope(c->sources, c->n_sources, consent_source_bit,
	        "sources", "bank, tax, property", &f->sources, p))
		return false;
	if (c->n_members < 1 || c->n_members > CONSENT_MAX_MEMBERS)
		return consent_fail(p, "members", "must have 1 to %d members",
		    CONSENT_MAX_MEMBERS);
	for (size_t i = 0; i < c->n_members; i++) {
		if (!consent_member(c->members[i], i, f, &f->members[i], p))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(f->members[i].id, f->members[j].id) == 0) {
				char field[64];
				snprintf(field, sizeof field,
				    "members[%zu].id_number", i);
				return consent_fail(p, field,
				    "repeats members[%zu].id_number", j);
			}
		f->n_members = i + 1;
	}
	return true;
}
