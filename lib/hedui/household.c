/* SPDX-License-Identifier: MIT */
#include "household.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

static const char *const household_relations[] = {"applicant", "spouse",
    "child", "parent", "sibling", "grandparent", "grandchild", "other"};

static bool household_fail(household_problem *p, rpc_code code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool household_fail(household_problem *p, rpc_code code,
    const char *field, const char *fmt, ...)
{
	p->code = code;
	snprintf(p->field, sizeof p->field, "%s", field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof p->reason, fmt, ap);
	va_end(ap);
	return false;
}

/* The same for member i's field name: the field's path is formatted only
 * when something is wrong (formatting it for every member checked was a
 * tenth of a household's validation). */
static bool household_fail_member(household_problem *p, rpc_code code,
    size_t i, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static bool household_fail_member(household_problem *p, rpc_code code,
    size_t i, const char *name, const char *fmt, ...)
{
	p->code = code;
	snprintf(p->field, sizeof p->field, "members[%zu].%s", i, name);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof p->reason, fmt, ap);
	va_end(ap);
	return false;
}

static bool household_is_one_of(
    const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v != NULL && strcmp(v, set[i]) == 0)
			return true;
	return false;
}

static bool household_text_ok(const char *s, size_t max)
{
	if (s == NULL || strlen(s) > max)
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	/* Echoed into the verdict: a strict decoder refuses non-UTF-8. */
	return utf8_valid(s, strlen(s));
}

bool household_check(const Hedui__V1__Household *h, idnum_date today,
    household_norm *norm, household_problem *p)
{
	static const char *const areas[] = {"urban", "rural"};
	static const char *const programs[] = {
	    "dibao", "marginal", "tekun", "hardship"};

	memset(norm, 0, sizeof *norm);
	if (h->case_id == NULL || h->case_id[0] == '\0')
		return household_fail(
		    p, RPC_INVALID_ARGUMENT, "case_id", "is required");
	if (!household_text_ok(h->case_id, 64))
		return household_fail(p, RPC_INVALID_ARGUMENT, "case_id",
		    "must be at most 64 printable characters");
	if (!household_text_ok(h->request_id, 64))
		return household_fail(p, RPC_INVALID_ARGUMENT, "request_id",
		    "must be at most 64 printable characters");
	/* Logged as request_id="...". */
	if (strpbrk(h->request_id, "\"\\") != NULL)
		return household_fail(p, RPC_INVALID_ARGUMENT, "request_id",
		    "must not hold quotes or backslashes");
	const char *rc = h->region_code != NULL ? h->region_code : "";
	bool rc_ok = strlen(rc) == 6;
	for (int i = 0; rc_ok && i < 6; i++)
		rc_ok = rc[i] >= '0' && rc[i] <= '9';
	if (!rc_ok)
		return household_fail(p, RPC_INVALID_ARGUMENT, "region_code",
		    "must be 6 digits");
	if (!household_is_one_of(h->area, areas, 2))
		return household_fail(
		    p, RPC_INVALID_ARGUMENT, "area", "must be urban or rural");
	if (!household_is_one_of(h->program, programs, 4))
		return household_fail(p, RPC_INVALID_ARGUMENT, "program",
		    "must be dibao, marginal, tekun or hardship");
	if (h->as_of == NULL || h->as_of[0] == '\0') {
		norm->as_of = today;
	} else if (!idnum_date_parse(h->as_of, &norm->as_of)) {
		return household_fail(p, RPC_INVALID_ARGUMENT, "as_of",
		    "must be a real date YYYY-MM-DD");
	} else if (norm->as_of > today) {
		return household_fail(p, RPC_INVALID_ARGUMENT, "as_of",
		    "must not be after today");
	}
	if (h->monthly_rigid_expense_fen < 0)
		return household_fail(p, RPC_INVALID_ARGUMENT,
		    "monthly_rigid_expense_fen", "must not be negative");
	if (h->n_members < 1 || h->n_members > HOUSEHOLD_MAX_MEMBERS)
		return household_fail(p, RPC_INVALID_ARGUMENT, "members",
		    "must have 1 to %d members", HOUSEHOLD_MAX_MEMBERS);
	if (strcmp(h->program, "tekun") == 0 && h->n_members != 1)
		return household_fail(p, RPC_INVALID_ARGUMENT, "members",
		    "a tekun request has exactly one member");

	int applicants = 0;
	for (size_t i = 0; i < h->n_members; i++) {
		const Hedui__V1__Member *m = h->members[i];
		if (!household_is_one_of(m->relation, household_relations, 8))
			return household_fail_member(p, RPC_INVALID_ARGUMENT,
			    i, "relation",
			    "must be applicant, spouse, child, parent, "
			    "sibling, grandparent, grandchild or other");
		if (strcmp(m->relation, "applicant") == 0) {
			applicants++;
			norm->applicant = (int)i;
		}
		if (!household_text_ok(m->name, 128))
			return household_fail_member(p, RPC_INVALID_ARGUMENT,
			    i, "name",
			    "must be at most 128 bytes, no control "
			    "characters");
		idnum_defect d =
		    idnum_check(m->id_number, norm->as_of, norm->ids[i]);
		if (d != IDNUM_OK)
			return household_fail_member(p, RPC_INVALID_ARGUMENT,
			    i, "id_number", "%s", idnum_defect_str(d));
		for (size_t j = 0; j < i; j++)
			if (strcmp(norm->ids[i], norm->ids[j]) == 0)
				return household_fail_member(p,
				    RPC_INVALID_ARGUMENT, i, "id_number",
				    "repeats members[%zu].id_number", j);
		if (!household_text_ok(m->consent_ref, 64))
			return household_fail_member(p, RPC_INVALID_ARGUMENT,
			    i, "consent_ref",
			    "must be at most 64 printable characters");
	}
	if (applicants != 1)
		return household_fail(p, RPC_INVALID_ARGUMENT, "members",
		    "must have exactly one applicant (found %d)", applicants);
	/* Consent last: only a request that is otherwise well-formed is
	 * refused for want of authorisation (先授权、后核对). */
	for (size_t i = 0; i < h->n_members; i++) {
		if (h->members[i]->consent_ref == NULL ||
		    h->members[i]->consent_ref[0] == '\0')
			return household_fail_member(p,
			    RPC_FAILED_PRECONDITION, i, "consent_ref",
			    "is missing: no verification without the "
			    "member's authorisation");
	}
	return true;
}

void household_problem_format(
    const household_problem *p, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s %s", p->field, p->reason);
}
