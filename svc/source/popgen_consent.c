/* SPDX-License-Identifier: MIT */
#include "popgen_consent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "log.h"

void popgen_consent_number(
    const popgen_household *h, int i, char *out, size_t cap)
{
	snprintf(out, cap, "SQ-%s-%d-%06lld-%d", h->region_code,
	    POPGEN_REFERENCE_DATE / 10000, h->index + 1, i + 1);
}

static json_t *pg_names(const char *const *names, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

static void pg_date(idnum_date d, char out[11])
{
	/* Unsigned and bounded: a date here always fits YYYY-MM-DD. */
	unsigned u = (unsigned)d;
	snprintf(out, 11, "%04u-%02u-%02u", u / 10000 % 10000, u / 100 % 100,
	    u % 100);
}

/* Appends household h's consents to list: one per member, for the
 * roster (standing) only of members with a consent on file. */
static void pg_consents_json(
    const popgen_household *h, bool standing, json_t *list)
{
	static const char *const programs[] = {
	    "dibao", "marginal", "tekun", "hardship"};
	static const char *const sources[] = {"bank", "tax", "property"};
	char number[64], date[11], hex[65];
	unsigned char md[SHA256_DIGEST_LENGTH];
	long long nth = h->index + 1;
	bool expire = !standing && nth % 5 == 4;
	idnum_date today = idnum_date_today();
	/* The applicant, or the first adult, signs for the minors. */
	int guardian = -1;
	for (int i = 0; i < h->n && guardian < 0; i++)
		if (idnum_age(h->members[i].id_number, POPGEN_CONSENT_SIGNED) >=
		    18)
			guardian = i;
	for (int i = 0; i < h->n; i++) {
		const popgen_person *p = &h->members[i];
		if (standing && p->no_consent)
			continue;
		json_t *c = json_object(), *ms = json_array(), *m = json_object();
		popgen_consent_number(h, i, number, sizeof number);
		json_object_set_new(c, "number", json_string(number));
		json_object_set_new(
		    c, "region_code", json_string(h->region_code));
		/* A standing consent signed by a guardian ends when the
		 * member comes of age (consent_check.c): one who has since
		 * has signed a consent of his own, today, valid from the
		 * same day as the others so that it covers the roster's
		 * as_of. */
		idnum_date signed_on = POPGEN_CONSENT_SIGNED;
		if (standing &&
		    idnum_age(p->id_number, POPGEN_CONSENT_SIGNED) < 18 &&
		    idnum_age(p->id_number, today) >= 18)
			signed_on = today;
		pg_date(signed_on, date);
		json_object_set_new(c, "signed_on", json_string(date));
		pg_date(POPGEN_CONSENT_SIGNED, date);
		json_object_set_new(c, "valid_from", json_string(date));
		/* The longest term (five years), so that the demo runs for
		 * years; or, to be refused, its last day before as_of. */
		pg_date(expire && i == 0 ? 20261031 : 20310930, date);
		json_object_set_new(c, "valid_until", json_string(date));
		json_object_set_new(c, "programs", pg_names(programs, 4));
		json_object_set_new(c, "sources", pg_names(sources, 3));
		/* Stands in for the scan of the signed form. */
		char form[128];
		snprintf(form, sizeof form, "hedui-popgen-form:%s", number);
		SHA256((const unsigned char *)form, strlen(form), md);
		for (int k = 0; k < SHA256_DIGEST_LENGTH; k++)
			snprintf(hex + 2 * k, 3, "%02x", md[k]);
		json_object_set_new(c, "form_sha256", json_string(hex));
		json_object_set_new(m, "id_number", json_string(p->id_number));
		bool minor = idnum_age(p->id_number, signed_on) < 18;
		if (minor && guardian >= 0) {
			json_object_set_new(
			    m, "signed_by", json_string("guardian"));
			json_object_set_new(m, "guardian_id_number",
			    json_string(h->members[guardian].id_number));
			json_object_set_new(
			    m, "guardian_relation", json_string("parent"));
			json_object_set_new(
			    m, "guardian_basis", json_string("minor"));
		} else {
			json_object_set_new(m, "signed_by", json_string("self"));
		}
		json_array_append_new(ms, m);
		json_object_set_new(c, "members", ms);
		json_array_append_new(list, c);
	}
}

hd_err popgen_write_consents(const popgen_household *h, const char *dir)
{
	char path[4096], number[64];
	long long nth = h->index + 1;
	bool revoke = nth % 5 == 0;
	json_t *list = json_array();
	pg_consents_json(h, false, list);
	snprintf(path, sizeof path, "%s/hh-%06lld.json", dir, nth);
	int rc = json_dump_file(list, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(list);
	if (rc == 0 && revoke) {
		snprintf(path, sizeof path, "%s/hh-%06lld.revoke", dir, nth);
		FILE *f = fopen(path, "w");
		popgen_consent_number(h, 0, number, sizeof number);
		rc = f != NULL && fprintf(f, "%s\n", number) > 0 ? 0 : -1;
		if (f != NULL && fclose(f) != 0)
			rc = -1;
	}
	if (rc != 0) {
		log_error("popgen.consents",
		    "path=\"%s\" reason=\"cannot write\"", path);
		return HD_EIO;
	}
	return HD_OK;
}

struct popgen_consent_sink {
	char dir[4096];
	json_t *list;
	int households;
	long long files;
	hd_err err;
};

static void pg_sink_flush(popgen_consent_sink *s)
{
	if (s->households == 0)
		return;
	char path[4200];
	snprintf(path, sizeof path, "%s/consents-%06lld.json", s->dir,
	    ++s->files);
	/* Compact: a chunk's file stays well within the CLI's limit. */
	if (json_dump_file(s->list, path, JSON_COMPACT) != 0) {
		log_error("popgen.consents",
		    "path=\"%s\" reason=\"cannot write\"", path);
		s->err = HD_EIO;
	}
	json_array_clear(s->list);
	s->households = 0;
}

popgen_consent_sink *popgen_consent_sink_alloc(const char *dir)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		log_error("popgen.consents", "dir=\"%s\" errno=%d", dir, errno);
		return NULL;
	}
	popgen_consent_sink *s = calloc(1, sizeof *s);
	if (s == NULL || (s->list = json_array()) == NULL) {
		free(s);
		return NULL;
	}
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	return s;
}

hd_err popgen_consent_sink_add(
    popgen_consent_sink *s, const popgen_household *h)
{
	pg_consents_json(h, true, s->list);
	if (++s->households == POPGEN_CONSENT_CHUNK)
		pg_sink_flush(s);
	return s->err;
}

hd_err popgen_consent_sink_free(popgen_consent_sink *s)
{
	if (s == NULL)
		return HD_OK;
	pg_sink_flush(s);
	hd_err err = s->err;
	json_decref(s->list);
	free(s);
	return err;
}
