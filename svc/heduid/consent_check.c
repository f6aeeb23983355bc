/* SPDX-License-Identifier: MIT */
/*
 * The check of a household's consents at verification (consent_registry.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "consent_registry.h"
#include "store_consent.h"

struct consent_registry {
	store *st;
	const uint8_t *key;
	size_t keylen;
	consent_mode mode;
	unsigned queried; /* sources a consent must cover */
};

bool consent_mode_parse(const char *s, consent_mode *out)
{
	if (s != NULL && strcmp(s, "registry") == 0)
		*out = CONSENT_MODE_REGISTRY;
	else if (s != NULL && strcmp(s, "unchecked") == 0)
		*out = CONSENT_MODE_UNCHECKED;
	else
		return false;
	return true;
}

const char *consent_mode_name(consent_mode m)
{
	return m == CONSENT_MODE_UNCHECKED ? "unchecked" : "registry";
}

consent_registry *consent_registry_alloc(store *st, const uint8_t *key,
    size_t keylen, consent_mode mode, unsigned queried_sources)
{
	consent_registry *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->st = st;
	r->key = key;
	r->keylen = keylen;
	r->mode = mode;
	r->queried = queried_sources;
	return r;
}

void consent_registry_free(consent_registry *r)
{
	free(r);
}

consent_mode consent_registry_mode(const consent_registry *r)
{
	return r->mode;
}

void consent_registry_person(
    const consent_registry *r, const char *id, char out[AUDIT_PERSON_HEX])
{
	audit_person_hash(r->key, r->keylen, id, out);
}

void consent_registry_mac(
    const consent_registry *r, const void *data, size_t len, uint8_t out[32])
{
	unsigned int n = 32;
	if (HMAC(EVP_sha256(), r->key, (int)r->keylen, data, len, out, &n) ==
	    NULL)
		memset(out, 0, 32);
}

/* One distinct consent_ref of the household, loaded on first use. */
typedef struct consent_slot {
	const char *ref;
	bool loaded;
	hd_err err; /* HD_OK, HD_ENOTFOUND, or a store failure */
	store_consent *c;
} consent_slot;

static rpc_code consent_refuse(consent_check_result *out, int i,
    const char *masked, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static rpc_code consent_refuse(consent_check_result *out, int i,
    const char *masked, const char *kind, const char *fmt, ...)
{
	out->code = RPC_FAILED_PRECONDITION;
	out->kind = kind;
	out->member = i;
	int n = snprintf(out->message, sizeof out->message,
	    "members[%d] (%s): ", i, masked);
	if (n < 0 || (size_t)n >= sizeof out->message)
		n = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->message + n, sizeof out->message - (size_t)n, fmt, ap);
	va_end(ap);
	return out->code;
}

static hd_err consent_first(const store_consent *c, void *arg)
{
	*(store_consent *)arg = *c;
	return HD_EEXIST; /* one is enough */
}

/* Whether the number is registered in some other region. */
static hd_err consent_elsewhere(consent_registry *r, const char *number,
    store_consent *scratch, bool *found)
{
	store_consent_query q = {
	    .number = number, .region_prefix = "", .limit = 1};
	hd_err e = store_consent_list(r->st, &q, consent_first, scratch);
	*found = e == HD_EEXIST;
	return e == HD_EEXIST ? HD_OK : e;
}

static rpc_code consent_member_check(consent_registry *r,
    const Hedui__V1__Household *hh, const household_norm *norm, int i,
    consent_slot *slot, idnum_date today, consent_check_result *out)
{
	char masked[IDNUM_MASKED_LEN + 1], d1[11], d2[11], d3[11];
	char have[64], missing[64];
	idnum_mask(norm->ids[i], masked);
	const char *ref = slot->ref;
	const char *region = hh->region_code;
	if (!slot->loaded) {
		slot->loaded = true;
		slot->c = malloc(sizeof *slot->c);
		slot->err = slot->c == NULL ? HD_ENOMEM
		                            : store_consent_get(
		                                  r->st, region, ref, slot->c);
	}
	if (slot->err == HD_ENOTFOUND) {
		bool elsewhere = false;
		if (consent_number_ok(ref) &&
		    consent_elsewhere(r, ref, slot->c, &elsewhere) != HD_OK)
			goto unavailable;
		if (elsewhere)
			return consent_refuse(out, i, masked, "consent-region",
			    "consent %s was registered for another region, by "
			    "an agency outside region %s: a consent counts "
			    "only in the region it was registered for",
			    ref, region);
		return consent_refuse(out, i, masked, "consent-unknown",
		    "consent %s is not registered in region %s (unknown "
		    "number)",
		    ref, region);
	}
	if (slot->err != HD_OK)
		goto unavailable;
	const store_consent *c = slot->c;
	/* It was registered for this region: by an agency whose prefix
	 * covered it, unless the store was edited by other means. */
	if (strncmp(region, c->agency_prefix, strlen(c->agency_prefix)) != 0 ||
	    c->agency_prefix[0] == '\0')
		return consent_refuse(out, i, masked, "consent-region",
		    "consent %s was registered by an agency outside region %s",
		    ref, region);
	if (c->revoked_ms != 0) {
		consent_date_format(consent_date_of_ms(c->revoked_ms), d1);
		return consent_refuse(out, i, masked, "consent-revoked",
		    "consent %s was revoked on %s", ref, d1);
	}
	char person[AUDIT_PERSON_HEX];
	consent_registry_person(r, norm->ids[i], person);
	const store_consent_member *m = NULL;
	for (size_t k = 0; k < c->n_members && m == NULL; k++)
		if (strcmp(c->members[k].person, person) == 0)
			m = &c->members[k];
	if (m == NULL)
		return consent_refuse(out, i, masked, "consent-member",
		    "consent %s does not cover this member (member not "
		    "covered)",
		    ref);
	if (m->adult_on != 0 && today >= m->adult_on) {
		consent_date_format(m->adult_on, d1);
		return consent_refuse(out, i, masked, "consent-member",
		    "consent %s was signed by a guardian for a minor; the "
		    "member turned %d on %s and must sign a consent "
		    "(member not covered)",
		    ref, CONSENT_ADULT_AGE, d1);
	}
	int prog = consent_program_bit(hh->program);
	if (prog < 0 || !(c->programs & (1u << prog))) {
		consent_scope_format(
		    c->programs, consent_program_name, have, sizeof have);
		return consent_refuse(out, i, masked, "consent-program",
		    "consent %s does not cover program %s (it covers %s)", ref,
		    hh->program, have);
	}
	unsigned lacking = r->queried & ~c->sources;
	if (lacking != 0) {
		consent_scope_format(
		    lacking, consent_source_name, missing, sizeof missing);
		consent_scope_format(
		    c->sources, consent_source_name, have, sizeof have);
		return consent_refuse(out, i, masked, "consent-source",
		    "consent %s does not cover source %s, which the check "
		    "queries (it covers %s)",
		    ref, missing, have);
	}
	consent_date_format(norm->as_of, d2);
	consent_date_format(today, d3);
	if (norm->as_of < c->valid_from || today < c->valid_from) {
		consent_date_format(c->valid_from, d1);
		return consent_refuse(out, i, masked, "consent-not-yet-valid",
		    "consent %s is not yet valid: valid from %s (as_of %s, "
		    "checked on %s)",
		    ref, d1, d2, d3);
	}
	if (norm->as_of > c->valid_until || today > c->valid_until) {
		consent_date_format(
		    consent_date_add_days(c->valid_until, 1), d1);
		char last[11];
		consent_date_format(c->valid_until, last);
		return consent_refuse(out, i, masked, "consent-expired",
		    "consent %s expired on %s (valid until %s; as_of %s, "
		    "checked on %s)",
		    ref, d1, last, d2, d3);
	}
	return RPC_OK;
unavailable:
	out->code = RPC_UNAVAILABLE;
	out->kind = "";
	out->member = i;
	snprintf(out->message, sizeof out->message,
	    "the consent registry cannot be read (%s); nothing was queried",
	    hd_strerror(slot->err != HD_OK && slot->err != HD_ENOTFOUND
	                    ? slot->err
	                    : HD_EDB));
	return out->code;
}

rpc_code consent_check_household(consent_registry *r,
    const Hedui__V1__Household *hh, const household_norm *norm,
    idnum_date today, consent_check_result *out)
{
	consent_slot slots[HOUSEHOLD_MAX_MEMBERS];
	int slot_of[HOUSEHOLD_MAX_MEMBERS];
	size_t n = 0, used = 0;

	out->code = RPC_OK;
	out->kind = "";
	out->member = -1;
	out->message[0] = '\0';
	out->used[0] = '\0';
	out->checked = r->mode == CONSENT_MODE_REGISTRY;
	for (size_t i = 0; i < hh->n_members && i < HOUSEHOLD_MAX_MEMBERS;
	     i++) {
		const char *ref = hh->members[i]->consent_ref;
		size_t k = 0;
		while (k < n && strcmp(slots[k].ref, ref) != 0)
			k++;
		if (k == n) {
			slots[n++] = (consent_slot){.ref = ref};
			int w = snprintf(out->used + used,
			    sizeof out->used - used, "%s%s/%s",
			    used > 0 ? "," : "", hh->region_code, ref);
			if (w > 0 && (size_t)w < sizeof out->used - used)
				used += (size_t)w;
		}
		slot_of[i] = (int)k;
	}
	out->n_numbers = n;
	for (size_t k = 0; k < n; k++)
		out->numbers[k] = slots[k].ref;
	if (r->mode == CONSENT_MODE_UNCHECKED)
		return RPC_OK;
	for (size_t i = 0; i < hh->n_members && out->code == RPC_OK; i++)
		consent_member_check(
		    r, hh, norm, (int)i, &slots[slot_of[i]], today, out);
	for (size_t k = 0; k < n; k++)
		free(slots[k].c);
	return out->code;
}
