/* SPDX-License-Identifier: MIT */
/* roster_line: one roster line into the household to send and its
 * enrollment (docs/MONITORING.md, "The roster"). */
#include "roster.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "household_json.h"

static hd_err rl_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static hd_err rl_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return HD_EINVAL;
}

/* Which categories each program can pay (docs/RULES.md, "Programs"): dibao
 * meets as dibao, gradual_exit or single_person; marginal as dibao or
 * marginal; tekun and hardship as themselves. */
static const struct {
	const char *program;
	const char *categories[4];
} rl_programs[] = {
    {"dibao", {"dibao", "gradual_exit", "single_person", NULL}},
    {"marginal", {"marginal", "dibao", NULL, NULL}},
    {"tekun", {"tekun", NULL, NULL, NULL}},
    {"hardship", {"hardship", NULL, NULL, NULL}},
};
#define RL_NPROGRAMS (sizeof rl_programs / sizeof rl_programs[0])

static bool rl_program_known(const char *p)
{
	for (size_t i = 0; i < RL_NPROGRAMS; i++)
		if (strcmp(p, rl_programs[i].program) == 0)
			return true;
	return false;
}

static bool rl_category_known(const char *c)
{
	static const char *const all[] = {"dibao", "marginal", "gradual_exit",
	    "single_person", "tekun", "hardship"};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(c, all[i]) == 0)
			return true;
	return false;
}

bool roster_category_fits(const char *program, const char *category)
{
	for (size_t i = 0; i < RL_NPROGRAMS; i++) {
		if (strcmp(program, rl_programs[i].program) != 0)
			continue;
		for (size_t j = 0; j < 4 && rl_programs[i].categories[j]; j++)
			if (strcmp(category, rl_programs[i].categories[j]) ==
			    0)
				return true;
	}
	return false;
}

bool roster_dibao_paid(const roster_enrollment *e)
{
	return strcmp(e->program, "dibao") == 0 &&
	       (strcmp(e->category, "dibao") == 0 ||
	           strcmp(e->category, "gradual_exit") == 0);
}

/* "enrollment": {"program", "category", "monthly_benefit_fen", "since"},
 * all four required, nothing else. */
static hd_err rl_enrollment(json_t *o, idnum_date as_of, roster_enrollment *e,
    char *err, size_t errlen)
{
	if (o == NULL)
		return rl_fail(err, errlen,
		    "enrollment is required: {\"program\", \"category\", "
		    "\"monthly_benefit_fen\", \"since\"}");
	if (!json_is_object(o))
		return rl_fail(
		    err, errlen, "enrollment must be an object { ... }");
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "program") != 0 &&
		    strcmp(key, "category") != 0 &&
		    strcmp(key, "monthly_benefit_fen") != 0 &&
		    strcmp(key, "since") != 0)
			/* Not echoed: it could be anything. */
			return rl_fail(err, errlen,
			    "enrollment has a field that is not part of the "
			    "format (program, category, monthly_benefit_fen, "
			    "since)");
	}
	json_t *p = json_object_get(o, "program");
	json_t *c = json_object_get(o, "category");
	json_t *b = json_object_get(o, "monthly_benefit_fen");
	json_t *s = json_object_get(o, "since");
	if (!json_is_string(p) || !rl_program_known(json_string_value(p)))
		return rl_fail(err, errlen,
		    "enrollment.program must be dibao, marginal, tekun or "
		    "hardship");
	if (!json_is_string(c) || !rl_category_known(json_string_value(c)))
		return rl_fail(err, errlen,
		    "enrollment.category must be dibao, marginal, "
		    "gradual_exit, single_person, tekun or hardship");
	snprintf(e->program, sizeof e->program, "%s", json_string_value(p));
	snprintf(e->category, sizeof e->category, "%s", json_string_value(c));
	if (!roster_category_fits(e->program, e->category))
		return rl_fail(err, errlen,
		    "enrollment.category cannot be paid under "
		    "enrollment.program %s",
		    e->program);
	if (json_is_real(b))
		return rl_fail(err, errlen,
		    "enrollment.monthly_benefit_fen must be a whole number "
		    "of fen (1 yuan = 100 fen), not a decimal");
	if (!json_is_integer(b) || json_integer_value(b) < 0)
		return rl_fail(err, errlen,
		    "enrollment.monthly_benefit_fen must be a whole number "
		    "of fen, 0 or more");
	e->monthly_benefit_fen = json_integer_value(b);
	if (!json_is_string(s) ||
	    !idnum_date_parse(json_string_value(s), &e->since))
		return rl_fail(
		    err, errlen, "enrollment.since must be a date YYYY-MM-DD");
	if (e->since > as_of)
		return rl_fail(err, errlen,
		    "enrollment.since is after the household's as_of");
	return HD_OK;
}

static char *rl_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

/* Replaces a household string field (protobuf-c's empty string is
 * static and never freed). */
static hd_err rl_set(char **field, const char *value)
{
	char *d = rl_strdup(value);
	if (d == NULL)
		return HD_ENOMEM;
	if (*field != protobuf_c_empty_string)
		free(*field);
	*field = d;
	return HD_OK;
}

/* What a roster line says beyond the household file, and what it may not
 * say: the monitor makes the request id, and everyone on a roster is
 * enrolled. */
static hd_err rl_household_rules(
    json_t *root, const roster_enrollment *e, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, "request_id");
	if (v != NULL)
		return rl_fail(err, errlen,
		    "request_id must not be given: the monitor makes it "
		    "from the run id and the line");
	v = json_object_get(root, "currently_enrolled");
	if (v != NULL &&
	    (!json_is_boolean(v) || json_is_true(v) != roster_dibao_paid(e)))
		return rl_fail(err, errlen,
		    "currently_enrolled must be absent or %s: it follows "
		    "from the enrollment (true only for a household paid "
		    "dibao as a whole, whom 渐退 concerns)",
		    roster_dibao_paid(e) ? "true" : "false");
	v = json_object_get(root, "program");
	if (v != NULL && json_is_string(v) &&
	    strcmp(json_string_value(v), e->program) != 0)
		return rl_fail(err, errlen,
		    "program differs from enrollment.program (the re-check "
		    "asks about the program the household is enrolled in)");
	return HD_OK;
}

hd_err roster_parse_line(const char *text, size_t len, idnum_date as_of,
    roster_entry *out, char *err, size_t errlen)
{
	json_error_t jerr;
	hd_err e = HD_EINVAL;
	memset(out, 0, sizeof *out);
	err[0] = '\0';
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* Jansson quotes the input after " near ": cut it off. */
		char msg[JSON_ERROR_TEXT_LENGTH];
		snprintf(msg, sizeof msg, "%s", jerr.text);
		char *near = strstr(msg, " near ");
		if (near != NULL)
			*near = '\0';
		return rl_fail(err, errlen, "column %d: invalid JSON: %s",
		    jerr.column, msg);
	}
	if (!json_is_object(root)) {
		rl_fail(err, errlen, "a line must be a JSON object { ... }");
		goto fail;
	}
	/* The household's own as_of, when it has a valid one, bounds since;
	 * an invalid one is household_check's to refuse. */
	json_t *a = json_object_get(root, "as_of");
	idnum_date line_as_of = as_of;
	if (json_is_string(a) && json_string_value(a)[0] != '\0')
		(void)idnum_date_parse(json_string_value(a), &line_as_of);
	if ((e = rl_enrollment(json_object_get(root, "enrollment"), line_as_of,
	         &out->enrollment, err, errlen)) != HD_OK ||
	    (e = rl_household_rules(root, &out->enrollment, err, errlen)) !=
	        HD_OK)
		goto fail;
	json_object_del(root, "enrollment");

	household_json_result hr;
	out->household = household_json_from_value(root, &hr);
	if (out->household == NULL) {
		e = rl_fail(err, errlen, "%s", hr.error);
		goto fail;
	}
	Hedui__V1__Household *h = out->household;
	h->currently_enrolled = roster_dibao_paid(&out->enrollment);
	e = rl_set(&h->program, out->enrollment.program);
	if (e == HD_OK && h->as_of[0] == '\0') {
		char d[11];
		unsigned u = (unsigned)as_of;
		snprintf(d, sizeof d, "%04u-%02u-%02u", u / 10000 % 10000,
		    u / 100 % 100, u % 100);
		e = rl_set(&h->as_of, d);
	}
	if (e != HD_OK) {
		rl_fail(err, errlen, "out of memory");
		goto fail;
	}
	json_decref(root);
	return HD_OK;
fail:
	json_decref(root);
	roster_entry_clear(out);
	return e;
}

void roster_entry_clear(roster_entry *e)
{
	household_json_free(e->household);
	memset(e, 0, sizeof *e);
}
