/* SPDX-License-Identifier: MIT */
/*
 * The registration rules of a consent (lib/hedui/consent_form.c), the consent
 * file of `hedui consent add` (client/consent_json.c) and the date
 * arithmetic behind validity: every rule refused, naming its field, and
 * never echoing an ID number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent_form.h"
#include "consent_json.h"

#define TODAY 20261202

static char id_adult[IDNUM_LEN + 1], id_adult2[IDNUM_LEN + 1];
static char id_minor[IDNUM_LEN + 1], id_minor2[IDNUM_LEN + 1];
static char id_unborn[IDNUM_LEN + 1];

static void make_id(char out[IDNUM_LEN + 1], const char *birth, int seq)
{
	snprintf(out, IDNUM_LEN + 1, "330106%s%03d", birth, seq);
	out[17] = idnum_check_char(out);
	out[18] = '\0';
}

typedef struct tc {
	Hedui__V1__Consent c;
	Hedui__V1__ConsentMember m[22], *mp[22];
	char *programs[5], *sources[4];
} tc;

/* A consent that passes: an adult and a child through the adult. */
static void tc_init(tc *t)
{
	make_id(id_adult, "19800101", 11);
	make_id(id_adult2, "19820202", 22);
	make_id(id_minor, "20150505", 33);
	make_id(id_minor2, "20100606", 44);
	make_id(id_unborn, "20261101", 55);
	memset(t, 0, sizeof *t);
	hedui__v1__consent__init(&t->c);
	t->c.number = "SQ-330106-2026-0001";
	t->c.region_code = "330106";
	t->c.signed_on = "2026-10-20";
	t->c.valid_from = "2026-10-20";
	t->c.valid_until = "2027-10-19";
	t->c.form_sha256 = "9F86D081884C7D659A2FEAA0C55AD015"
	                   "A3BF4F1B2B0B822CD15D6C15B0F00A08";
	t->programs[0] = "dibao";
	t->programs[1] = "tekun";
	t->c.programs = t->programs;
	t->c.n_programs = 2;
	t->sources[0] = "bank";
	t->sources[1] = "tax";
	t->sources[2] = "property";
	t->c.sources = t->sources;
	t->c.n_sources = 3;
	for (int i = 0; i < 22; i++) {
		hedui__v1__consent_member__init(&t->m[i]);
		t->mp[i] = &t->m[i];
	}
	t->m[0].id_number = id_adult;
	t->m[0].signed_by = "self";
	t->m[1].id_number = id_minor;
	t->m[1].signed_by = "guardian";
	t->m[1].guardian_id_number = id_adult;
	t->m[1].guardian_relation = "parent";
	t->c.members = t->mp;
	t->c.n_members = 2;
}

static consent_problem P;

static bool check(tc *t, consent_form *f)
{
	bool ok = consent_form_check(&t->c, TODAY, f, &P);
	if (!ok) {
		const char *ids[] = {
		    id_adult, id_adult2, id_minor, id_minor2, id_unborn};
		for (size_t i = 0; i < 5; i++) {
			assert_null(strstr(P.reason, ids[i]));
			assert_null(strstr(P.field, ids[i]));
		}
		assert_null(strstr(P.reason, "9F86D08"));
	}
	return ok;
}

/* Refused, naming field (and the reason holding want). */
static void refused(tc *t, const char *field, const char *want)
{
	consent_form f;
	if (check(t, &f))
		fail_msg("accepted, expected a refusal of %s", field);
	assert_string_equal(P.field, field);
	if (want != NULL && strstr(P.reason, want) == NULL)
		fail_msg(
		    "%s: \"%s\" does not say \"%s\"", field, P.reason, want);
}

static void a_good_consent(void **state)
{
	(void)state;
	tc t;
	consent_form f;
	tc_init(&t);
	assert_true(check(&t, &f));
	assert_int_equal(f.n_members, 2);
	assert_string_equal(f.members[1].basis, "minor");
	assert_string_equal(f.members[1].guardian, id_adult);
	assert_true(f.members[1].by_guardian);
	assert_int_equal(f.members[1].age, 11);
	assert_int_equal(f.programs, 1u | 4u);
	assert_int_equal(f.sources, 7u);
	assert_int_equal(f.form_sha256[0], 0x9f);
	assert_int_equal(f.valid_until, 20271019);
	/* Lower-case x normalised. */
	char lower[IDNUM_LEN + 1];
	make_id(lower, "19491231", 2);
	if (lower[17] == 'X') {
		lower[17] = 'x';
		t.m[0].id_number = lower;
		assert_true(check(&t, &f));
		assert_int_equal(f.members[0].id[17], 'X');
	}
}

static void field_rules(void **state)
{
	(void)state;
	tc t;
	static const char *const bad_numbers[] = {"", "SQ 1", "SQ,1", "SQ\"1",
	    "SQ\\1", "SQ\x01", "SQ-\xff",
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4"};
	for (size_t i = 0; i < sizeof bad_numbers / sizeof bad_numbers[0];
	     i++) {
		tc_init(&t);
		t.c.number = (char *)bad_numbers[i];
		refused(&t, "number", NULL);
	}
	tc_init(&t);
	t.c.number = "杭西核授〔2026〕1号";
	consent_form f;
	assert_true(check(&t, &f));
	tc_init(&t);
	t.c.region_code = "33010";
	refused(&t, "region_code", "6 digits");
	tc_init(&t);
	t.c.signed_on = "2026-02-30";
	refused(&t, "signed_on", "real date");
	tc_init(&t);
	t.c.signed_on = "2026-12-03";
	refused(&t, "signed_on", "after today");
	tc_init(&t);
	t.c.valid_until = "2026-10-19";
	refused(&t, "valid_until", "before valid_from");
	tc_init(&t);
	t.c.valid_from = "2026-01-01";
	t.c.valid_until = "2026-03-01";
	refused(&t, "valid_until", "before signed_on");
	/* The term: at most five years. */
	tc_init(&t);
	t.c.valid_until = "2031-10-19";
	assert_true(check(&t, &f));
	t.c.valid_until = "2031-10-20";
	refused(&t, "valid_until", "at the latest 2031-10-19");
	tc_init(&t);
	t.c.form_sha256 = "abc";
	refused(&t, "form_sha256", "64 hex");
	tc_init(&t);
	t.c.form_sha256 = "zz86d081884c7d659a2feaa0c55ad015"
	                  "a3bf4f1b2b0b822cd15d6c15b0f00a08";
	refused(&t, "form_sha256", NULL);
	tc_init(&t);
	t.c.n_programs = 0;
	refused(&t, "programs", "at least one");
	tc_init(&t);
	t.programs[1] = "dibao";
	refused(&t, "programs[1]", "twice");
	tc_init(&t);
	t.programs[0] = "pension";
	refused(&t, "programs[0]", "one of");
	tc_init(&t);
	t.c.n_sources = 0;
	refused(&t, "sources", NULL);
	tc_init(&t);
	t.sources[2] = "police";
	refused(&t, "sources[2]", NULL);
	tc_init(&t);
	t.c.n_members = 0;
	refused(&t, "members", "1 to 20");
	tc_init(&t);
	for (int i = 2; i < 21; i++) {
		t.m[i].signed_by = "self";
		t.m[i].id_number = id_adult2;
	}
	t.c.n_members = 21;
	refused(&t, "members", "1 to 20");
	tc_init(&t);
	t.m[1].id_number = id_adult;
	t.m[1].signed_by = "self";
	t.m[1].guardian_id_number = "";
	t.m[1].guardian_relation = "";
	refused(&t, "members[1].id_number", "repeats members[0]");
	tc_init(&t);
	t.m[0].id_number = "330106198001010110";
	refused(&t, "members[0].id_number", "check character");
}

static void who_signs(void **state)
{
	(void)state;
	tc t;
	consent_form f;
	/* A minor signs through a guardian. */
	tc_init(&t);
	t.m[1].signed_by = "self";
	t.m[1].guardian_id_number = "";
	t.m[1].guardian_relation = "";
	refused(
	    &t, "members[1].signed_by", "under 18 on signed_on 2026-10-20");
	/* 18 on the day of signing: an adult. */
	tc_init(&t);
	char eighteen[IDNUM_LEN + 1];
	make_id(eighteen, "20081020", 66);
	t.m[0].id_number = eighteen;
	t.m[1].guardian_id_number = eighteen;
	assert_true(check(&t, &f));
	/* ... a day short of it: a minor. */
	make_id(eighteen, "20081021", 66);
	t.m[0].id_number = eighteen;
	t.m[1].guardian_id_number = id_adult;
	refused(&t, "members[0].signed_by", "under 18");
	/* Born after signing. */
	tc_init(&t);
	t.m[1].id_number = id_unborn;
	refused(&t, "members[1].id_number", "after signed_on");
	/* The guardian: given, valid, not the member, an adult. */
	tc_init(&t);
	t.m[1].guardian_id_number = "";
	refused(&t, "members[1].guardian_id_number", "required");
	tc_init(&t);
	t.m[1].guardian_id_number = id_minor;
	refused(&t, "members[1].guardian_id_number", "member's own");
	tc_init(&t);
	t.m[1].guardian_id_number = id_minor2;
	refused(&t, "members[1].guardian_id_number", "a guardian is an adult");
	tc_init(&t);
	t.m[1].guardian_relation = "neighbour";
	refused(&t, "members[1].guardian_relation", "parent, grandparent");
	tc_init(&t);
	t.m[1].guardian_basis = "incapacity";
	refused(&t, "members[1].guardian_basis", "must be minor");
	/* An adult through a guardian only when the office attests
	 * incapacity. */
	tc_init(&t);
	t.m[0].signed_by = "guardian";
	t.m[0].guardian_id_number = id_adult2;
	t.m[0].guardian_relation = "spouse";
	refused(&t, "members[0].guardian_basis", "incapacity");
	t.m[0].guardian_basis = "incapacity";
	assert_true(check(&t, &f));
	assert_string_equal(f.members[0].basis, "incapacity");
	/* Guardian fields with a member who signed. */
	tc_init(&t);
	t.m[0].guardian_relation = "parent";
	refused(&t, "members[0].signed_by", "guardian is given");
	tc_init(&t);
	t.m[0].signed_by = "";
	refused(&t, "members[0].signed_by", "self or guardian");
}

static void dates(void **state)
{
	(void)state;
	assert_int_equal(consent_date_add_days(20261231, 1), 20270101);
	assert_int_equal(consent_date_add_days(20240228, 1), 20240229);
	assert_int_equal(consent_date_add_days(20230228, 1), 20230301);
	assert_int_equal(consent_date_add_days(20270101, -1), 20261231);
	assert_int_equal(consent_date_add_days(20261202, 30), 20270101);
	assert_int_equal(consent_date_add_years(20240229, 1), 20250228);
	assert_int_equal(consent_date_add_years(20240229, 4), 20280229);
	assert_int_equal(consent_date_add_years(20080601, 18), 20260601);
	char d[11];
	consent_date_format(20270105, d);
	assert_string_equal(d, "2027-01-05");
	/* 2026-12-01T16:00:00Z is 2026-12-02 00:00 in China. */
	assert_int_equal(consent_date_of_ms(1796140800000LL), 20261202);
	assert_int_equal(consent_date_of_ms(1796140799999LL), 20261201);
}

static int parse(const char *text, Hedui__V1__Consent ***list, size_t *n,
    consent_json_result *r)
{
	int rc = consent_json_parse(text, strlen(text), list, n, r);
	if (rc != 0)
		assert_null(strstr(r->error, "330106"));
	return rc;
}

static void json_file(void **state)
{
	(void)state;
	Hedui__V1__Consent **list;
	size_t n;
	consent_json_result r;
	const char *one =
	    "\xef\xbb\xbf{\"number\": \"SQ-1\", \"region_code\": \"330106\","
	    " \"signed_on\": \"2026-10-20\", \"valid_from\": \"2026-10-20\","
	    " \"valid_until\": \"2027-10-19\", \"programs\": [\"dibao\"],"
	    " \"sources\": [\"bank\", \"tax\"], \"form_sha256\": \"ab\","
	    " \"members\": [{\"id_number\": \"330106197803150013\","
	    " \"signed_by\": \"self\"}, {\"id_number\": \"x\", \"signed_by\":"
	    " \"guardian\", \"guardian_id_number\": \"y\","
	    " \"guardian_relation\": \"parent\", \"guardian_basis\":"
	    " \"minor\"}]}";
	assert_int_equal(parse(one, &list, &n, &r), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0]->number, "SQ-1");
	assert_int_equal(list[0]->n_members, 2);
	assert_string_equal(list[0]->members[1]->guardian_basis, "minor");
	assert_int_equal(list[0]->n_sources, 2);
	consent_json_free(list, n);
	char many[4096];
	snprintf(many, sizeof many, "[%s, %s]", one + 3, one + 3);
	assert_int_equal(parse(many, &list, &n, &r), 0);
	assert_int_equal(n, 2);
	consent_json_free(list, n);

	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"{\"numbr\": \"x\", \"members\": []}", "consent.numbr is not"},
	    {"{\"330106197803150013\": 1, \"members\": []}",
	        "consent has a field that is not part"},
	    {"{\"number\": 7, \"members\": []}",
	        "consent.number must be text"},
	    {"{\"programs\": \"dibao\", \"members\": []}",
	        "consent.programs must be a list"},
	    {"{\"programs\": [1], \"members\": []}", "consent.programs[0]"},
	    {"{\"number\": \"x\"}", "consent.members is required"},
	    {"{\"members\": [{\"id_number\": 330106197803150013}]}",
	        "consent.members[0].id_number must be text"},
	    {"{\"members\": [{\"name\": \"张三\"}]}",
	        "consent.members[0].name is not a known field"},
	    {"[{\"members\": []}, {\"members\": [], \"x\": 1}]",
	        "consents[1].x is not"},
	    {"[]", "1 to"},
	    {"\"SQ\"", "invalid JSON"},
	    {"{\"number\": \"330106197803150013\"", "invalid JSON"},
	    {"{\"members\": [], \"members\": []}", "invalid JSON"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse(bad[i].text, &list, &n, &r) == 0)
			fail_msg("accepted: %s", bad[i].text);
		if (strstr(r.error, bad[i].want) == NULL)
			fail_msg("\"%s\" does not say \"%s\"", r.error,
			    bad[i].want);
		assert_null(list);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_good_consent),
	    cmocka_unit_test(field_rules),
	    cmocka_unit_test(who_signs),
	    cmocka_unit_test(dates),
	    cmocka_unit_test(json_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
