/* SPDX-License-Identifier: MIT */
#include "consent_record.h"

#include <stdio.h>
#include <string.h>

#include "verdict_build.h"

const char *consent_record_status(const store_consent *c, idnum_date today)
{
	if (c->revoked_ms != 0)
		return "revoked";
	if (today < c->valid_from)
		return "not_yet_valid";
	if (today > c->valid_until)
		return "expired";
	return "valid";
}

void consent_record_build(
    consent_record_doc *d, const store_consent *c, idnum_date today)
{
	store_consent *s = &d->src;
	*s = *c;
	hedui__v1__consent_record__init(&d->r);
	hedui__v1__consent__init(&d->c);
	d->c.number = s->number;
	d->c.region_code = s->region;
	for (size_t i = 0; i < s->n_members; i++) {
		Hedui__V1__ConsentMember *m = &d->m[i];
		const store_consent_member *sm = &s->members[i];
		hedui__v1__consent_member__init(m);
		m->id_number = (char *)sm->id_masked;
		m->signed_by = sm->guardian[0] != '\0' ? "guardian" : "self";
		m->guardian_id_number = (char *)sm->guardian_masked;
		m->guardian_relation = (char *)sm->relation;
		m->guardian_basis = (char *)sm->basis;
		d->mp[i] = m;
	}
	d->c.members = d->mp;
	d->c.n_members = s->n_members;
	size_t n = 0;
	for (int i = 0; consent_program_name(i) != NULL; i++)
		if (s->programs & (1u << i))
			d->programs[n++] = (char *)consent_program_name(i);
	d->c.programs = d->programs;
	d->c.n_programs = n;
	n = 0;
	for (int i = 0; consent_source_name(i) != NULL; i++)
		if (s->sources & (1u << i))
			d->sources[n++] = (char *)consent_source_name(i);
	d->c.sources = d->sources;
	d->c.n_sources = n;
	consent_date_format(s->signed_on, d->signed_on);
	consent_date_format(s->valid_from, d->valid_from);
	consent_date_format(s->valid_until, d->valid_until);
	d->c.signed_on = d->signed_on;
	d->c.valid_from = d->valid_from;
	d->c.valid_until = d->valid_until;
	for (int i = 0; i < 32; i++)
		snprintf(d->form + 2 * i, 3, "%02x", s->form_sha256[i]);
	d->c.form_sha256 = d->form;

	d->r.consent = &d->c;
	d->r.status = (char *)consent_record_status(s, today);
	d->r.registered_by = s->agency;
	verdict_format_time(s->registered_ms, d->registered_at);
	d->r.registered_at = d->registered_at;
	if (s->revoked_ms != 0) {
		verdict_format_time(s->revoked_ms, d->revoked_at);
		consent_date_format(
		    consent_date_of_ms(s->revoked_ms), d->revoked_on);
		d->r.revoked_at = d->revoked_at;
		d->r.revoked_on = d->revoked_on;
		d->r.revoked_by = s->revoked_by;
		d->r.revocation_reason = s->revoke_reason;
	}
}

/* Everything registered, as one string for the content MAC: fields as
 * length and bytes, so that no two consents serialize alike. */
static size_t consent_canon_add(
    char *buf, size_t cap, size_t used, const char *s)
{
	int w = snprintf(buf + used, cap - used, "%zu:%s;", strlen(s), s);
	return w > 0 && (size_t)w < cap - used ? used + (size_t)w : cap;
}

void consent_record_from_form(
    const consent_registry *r, const consent_form *f, store_consent *out)
{
	char canon[4096], num[64], hex[65];
	size_t used = 0;
	memset(out, 0, sizeof *out);
	snprintf(out->region, sizeof out->region, "%s", f->region);
	snprintf(out->number, sizeof out->number, "%s", f->number);
	out->signed_on = f->signed_on;
	out->valid_from = f->valid_from;
	out->valid_until = f->valid_until;
	out->programs = f->programs;
	out->sources = f->sources;
	memcpy(out->form_sha256, f->form_sha256, 32);
	out->n_members = f->n_members;

	used =
	    consent_canon_add(canon, sizeof canon, used, "hedui-consent-v1");
	used = consent_canon_add(canon, sizeof canon, used, f->region);
	used = consent_canon_add(canon, sizeof canon, used, f->number);
	snprintf(num, sizeof num, "%d %d %d %u %u", f->signed_on,
	    f->valid_from, f->valid_until, f->programs, f->sources);
	used = consent_canon_add(canon, sizeof canon, used, num);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", f->form_sha256[i]);
	used = consent_canon_add(canon, sizeof canon, used, hex);
	for (size_t i = 0; i < f->n_members; i++) {
		const consent_form_member *fm = &f->members[i];
		store_consent_member *m = &out->members[i];
		consent_registry_person(r, fm->id, m->person);
		idnum_mask(fm->id, m->id_masked);
		if (fm->by_guardian) {
			consent_registry_person(r, fm->guardian, m->guardian);
			idnum_mask(fm->guardian, m->guardian_masked);
		}
		snprintf(m->relation, sizeof m->relation, "%s", fm->relation);
		snprintf(m->basis, sizeof m->basis, "%s", fm->basis);
		if (strcmp(fm->basis, "minor") == 0)
			m->adult_on = consent_date_add_years(
			    idnum_birth_date(fm->id), CONSENT_ADULT_AGE);
		used = consent_canon_add(canon, sizeof canon, used, fm->id);
		used =
		    consent_canon_add(canon, sizeof canon, used, fm->guardian);
		used =
		    consent_canon_add(canon, sizeof canon, used, fm->relation);
		used = consent_canon_add(canon, sizeof canon, used, fm->basis);
	}
	consent_registry_mac(r, canon,
	    used < sizeof canon ? used : sizeof canon, out->content_mac);
}

void consent_record_persons(const store_consent *c, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->n_members; i++) {
			const char *p = pass == 0 ? c->members[i].person
			                          : c->members[i].guardian;
			if (p[0] == '\0' || strstr(out, p) != NULL)
				continue;
			int w = snprintf(out + used, cap - used, "%s%s",
			    used > 0 ? "," : "", p);
			if (w < 0 || (size_t)w >= cap - used)
				return;
			used += (size_t)w;
		}
	}
}
