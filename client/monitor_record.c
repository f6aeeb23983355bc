/* SPDX-License-Identifier: MIT */
/* monitor_record: records and the header to and from their JSON lines. */
#include "monitor_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static void mr_date(idnum_date d, char out[11])
{
	unsigned u = (unsigned)d;
	snprintf(out, 11, "%04u-%02u-%02u", u / 10000 % 10000, u / 100 % 100,
	    u % 100);
}

static void mr_hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static bool mr_unhex(const char *s, uint8_t *b, size_t n)
{
	if (s == NULL || strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return false;
		}
		b[i] = (uint8_t)v;
	}
	return true;
}

/* Dumps root as one line with "\n"; 0 when it does not fit. */
static size_t mr_dump(json_t *root, char *buf, size_t cap)
{
	if (root == NULL)
		return 0;
	size_t n = json_dumpb(root, buf, cap, JSON_COMPACT);
	json_decref(root);
	if (n == 0 || n + 2 > cap)
		return 0;
	buf[n] = '\n';
	buf[n + 1] = '\0';
	return n + 1;
}

size_t mon_record_format(const mon_record *r, char *buf, size_t cap)
{
	char since[11];
	mr_date(r->enrolled.since, since);
	json_t *root = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, "
	                         "s:{s:s, s:s, s:I, s:s}, s:s}",
	    "line", (json_int_t)r->line, "request_id", r->request_id, "county",
	    r->county, "case_id", r->case_id, "applicant", r->applicant,
	    "household_size", r->household_size, "enrolled", "program",
	    r->enrolled.program, "category", r->enrolled.category,
	    "monthly_benefit_fen", (json_int_t)r->enrolled.monthly_benefit_fen,
	    "since", since, "class", mon_class_name(r->cls));
	if (root == NULL)
		return 0;
	if (r->has_verdict) {
		json_t *reasons = json_array();
		char codes[sizeof r->reasons];
		snprintf(codes, sizeof codes, "%s", r->reasons);
		for (char *save = NULL, *c = strtok_r(codes, ",", &save);
		     c != NULL; c = strtok_r(NULL, ",", &save))
			json_array_append_new(reasons, json_string(c));
		json_object_set_new(root, "verdict",
		    json_pack("{s:s, s:s, s:s, s:I, s:i, s:o}", "report_id",
		        r->report_id, "conclusion", r->conclusion, "category",
		        r->category, "estimated_monthly_benefit_fen",
		        (json_int_t)r->benefit_fen, "gradual_exit_months",
		        (int)r->gradual_exit_months, "reasons", reasons));
	} else {
		json_object_set_new(root, "refused",
		    json_pack("{s:s, s:s, s:s}", "code", r->status, "message",
		        r->message, "by", r->refused_by));
	}
	if (r->consent_expires[0] != '\0')
		json_object_set_new(root, "consent_expires",
		    json_string(r->consent_expires));
	return mr_dump(root, buf, cap);
}

/* Copies a string member into dst; false when absent, not a string or too
 * long. */
static bool mr_str(json_t *o, const char *key, char *dst, size_t cap)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return false;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	/* A NUL inside the JSON string would cut it: refuse. */
	return strlen(dst) == json_string_length(v);
}

static bool mr_int(
    json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return false;
	*out = json_integer_value(v);
	return true;
}

static bool mr_enrolled(json_t *o, roster_enrollment *e)
{
	char since[11];
	return json_is_object(o) &&
	       mr_str(o, "program", e->program, sizeof e->program) &&
	       mr_str(o, "category", e->category, sizeof e->category) &&
	       roster_category_fits(e->program, e->category) &&
	       mr_int(o, "monthly_benefit_fen", 0, INT64_MAX,
	           &e->monthly_benefit_fen) &&
	       mr_str(o, "since", since, sizeof since) &&
	       idnum_date_parse(since, &e->since);
}

static bool mr_verdict(json_t *o, mon_record *r)
{
	int64_t months;
	if (!json_is_object(o) ||
	    !mr_str(o, "report_id", r->report_id, sizeof r->report_id) ||
	    !mr_str(o, "conclusion", r->conclusion, sizeof r->conclusion) ||
	    !mr_str(o, "category", r->category, sizeof r->category) ||
	    !mr_int(o, "estimated_monthly_benefit_fen", INT64_MIN, INT64_MAX,
	        &r->benefit_fen) ||
	    !mr_int(o, "gradual_exit_months", 0, INT32_MAX, &months))
		return false;
	r->gradual_exit_months = (int32_t)months;
	json_t *a = json_object_get(o, "reasons");
	if (!json_is_array(a))
		return false;
	size_t i, used = 0;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return false;
		size_t n = json_string_length(v);
		if (n == 0 || memchr(json_string_value(v), ',', n) != NULL ||
		    memchr(json_string_value(v), '\0', n) != NULL ||
		    used + n + 2 > sizeof r->reasons)
			return false;
		if (used > 0)
			r->reasons[used++] = ',';
		memcpy(r->reasons + used, json_string_value(v), n);
		used += n;
		r->reasons[used] = '\0';
	}
	return true;
}

hd_err mon_record_parse(const char *text, size_t len, mon_record *out)
{
	json_error_t jerr;
	memset(out, 0, sizeof *out);
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return HD_EDECODE;
	hd_err e = HD_EINVAL;
	int64_t line, size;
	char cls[24];
	if (!json_is_object(root) ||
	    !mr_int(root, "line", 1, INT64_MAX, &line) ||
	    !mr_str(
	        root, "request_id", out->request_id, sizeof out->request_id) ||
	    !mr_str(root, "county", out->county, sizeof out->county) ||
	    !mr_str(root, "case_id", out->case_id, sizeof out->case_id) ||
	    !mr_str(
	        root, "applicant", out->applicant, sizeof out->applicant) ||
	    !mr_int(root, "household_size", 0, 1000, &size) ||
	    !mr_enrolled(json_object_get(root, "enrolled"), &out->enrolled) ||
	    !mr_str(root, "class", cls, sizeof cls) ||
	    !mon_class_parse(cls, &out->cls))
		goto out;
	out->line = (uint64_t)line;
	out->household_size = (int)size;
	json_t *v = json_object_get(root, "verdict");
	json_t *f = json_object_get(root, "refused");
	if ((v == NULL) == (f == NULL))
		goto out;
	/* A refused class has no verdict and every other class has one. */
	out->has_verdict = v != NULL;
	if ((out->cls == MON_REFUSED) == out->has_verdict)
		goto out;
	if (v != NULL && !mr_verdict(v, out))
		goto out;
	if (f != NULL &&
	    (!json_is_object(f) ||
	        !mr_str(f, "code", out->status, sizeof out->status) ||
	        !mr_str(f, "message", out->message, sizeof out->message) ||
	        !mr_str(f, "by", out->refused_by, sizeof out->refused_by)))
		goto out;
	idnum_date expires;
	if (json_object_get(root, "consent_expires") != NULL &&
	    (!mr_str(root, "consent_expires", out->consent_expires,
	         sizeof out->consent_expires) ||
	        !idnum_date_parse(out->consent_expires, &expires)))
		goto out;
	e = HD_OK;
out:
	json_decref(root);
	return e;
}

size_t mon_header_format(const mon_header *h, char *buf, size_t cap)
{
	char as_of[11], roster[65], agency[65];
	mr_date(h->as_of, as_of);
	mr_hex(h->roster_sha256, 32, roster);
	mr_hex(h->agency_sha256, 32, agency);
	return mr_dump(
	    json_pack("{s:i, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
	        "hedui_monitor", MON_FORMAT_VERSION, "run_id", h->run_id,
	        "as_of", as_of, "roster_households", (json_int_t)h->households,
	        "roster_last_line", (json_int_t)h->last_line, "roster_sha256",
	        roster, "agency_sha256", agency, "started_at", h->started_at),
	    buf, cap);
}

hd_err mon_header_parse(const char *text, size_t len, mon_header *out)
{
	json_error_t jerr;
	memset(out, 0, sizeof *out);
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return HD_EDECODE;
	int64_t version, n, last;
	char as_of[11], roster[65], agency[65];
	bool ok = json_is_object(root) &&
	          mr_int(root, "hedui_monitor", 1, 1000, &version) &&
	          version == MON_FORMAT_VERSION &&
	          mr_str(root, "run_id", out->run_id, sizeof out->run_id) &&
	          mon_run_id_ok(out->run_id) &&
	          mr_str(root, "as_of", as_of, sizeof as_of) &&
	          idnum_date_parse(as_of, &out->as_of) &&
	          mr_int(root, "roster_households", 0, INT64_MAX, &n) &&
	          mr_int(root, "roster_last_line", 0, INT64_MAX, &last) &&
	          n <= last &&
	          mr_str(root, "roster_sha256", roster, sizeof roster) &&
	          mr_unhex(roster, out->roster_sha256, 32) &&
	          mr_str(root, "agency_sha256", agency, sizeof agency) &&
	          mr_unhex(agency, out->agency_sha256, 32) &&
	          mr_str(root, "started_at", out->started_at,
	              sizeof out->started_at);
	json_decref(root);
	if (!ok)
		return HD_EINVAL;
	out->households = (uint64_t)n;
	out->last_line = (uint64_t)last;
	return HD_OK;
}

void mon_fen_yuan(int64_t fen, char *out, size_t cap)
{
	/* Negative amounts never come from the rules, but print right. */
	const char *sign = fen < 0 ? "-" : "";
	uint64_t v = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
	snprintf(out, cap, "%s%llu.%02llu", sign,
	    (unsigned long long)(v / 100), (unsigned long long)(v % 100));
}
