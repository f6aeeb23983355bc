/* SPDX-License-Identifier: MIT */
/*
 * consent_registry: what verification asks of the consent registry
 * (docs/CONSENT.md). Before any source is asked about a household, every
 * member's consent_ref must name a consent registered for the household's
 * region, not revoked, covering the member, the program and every source
 * that will be queried, and valid both on the check's as_of and on the
 * day of the check (先授权、后核对). One call, consent_check_household,
 * for every path that verifies households.
 *
 * [consent] mode = unchecked keeps the behaviour from before the registry
 * (any non-empty reference) for offices that have not registered their
 * consents yet; the report then says the consent was not checked.
 */
#ifndef HEDUI_CONSENT_REGISTRY_H
#define HEDUI_CONSENT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consent_form.h"
#include "hedui/v1/verifier.pb-c.h"
#include "household.h"
#include "rpc_status.h"
#include "store.h"

typedef enum consent_mode {
	CONSENT_MODE_REGISTRY = 0, /* the default */
	CONSENT_MODE_UNCHECKED,
} consent_mode;

/* "registry" or "unchecked"; false for anything else. */
bool consent_mode_parse(const char *s, consent_mode *out);
const char *consent_mode_name(consent_mode m);

typedef struct consent_registry consent_registry;

/* st and key are borrowed and must outlive the registry. queried_sources:
 * the sources verification asks (consent_form.h's bits): a consent must
 * cover each of them. */
consent_registry *consent_registry_alloc(store *st, const uint8_t *key,
    size_t keylen, consent_mode mode, unsigned queried_sources);
void consent_registry_free(consent_registry *r); /* accepts NULL */
consent_mode consent_registry_mode(const consent_registry *r);

/* "REGION/NUMBER" for each consent of a household, comma-separated. */
#define CONSENT_USED_MAX (HOUSEHOLD_MAX_MEMBERS * (8 + CONSENT_NUMBER_MAX))

typedef struct consent_check_result {
	/* OK; FAILED_PRECONDITION for a consent that does not allow the
	 * check (message names the member, masked, and what is missing);
	 * UNAVAILABLE when the store cannot be read. */
	rpc_code code;
	/* A refusal's kind, a fixed word for the audit trail:
	 * consent-unknown, consent-region, consent-revoked, consent-member,
	 * consent-program, consent-source, consent-not-yet-valid,
	 * consent-expired; "" when OK. */
	const char *kind;
	int member; /* the refused member's index, -1 when none */
	char message[448];
	bool checked; /* false in unchecked mode */
	/* The members' consent_ref, each once, in member order (pointers
	 * into the household): what the report carries. */
	size_t n_numbers;
	const char *numbers[HOUSEHOLD_MAX_MEMBERS];
	/* The same as "REGION/NUMBER,...": what the audit record carries. */
	char used[CONSENT_USED_MAX];
} consent_check_result;

/*
 * Checks the consents of a household that passed household_check (norm
 * is its result) and whose region the agency covers; today is the day of
 * the check. Returns out->code. Thread-safe.
 */
rpc_code consent_check_household(consent_registry *r,
    const Hedui__V1__Household *hh, const household_norm *norm,
    idnum_date today, consent_check_result *out);

/* HMAC-SHA256 under the audit key (a consent's content_mac). */
void consent_registry_mac(
    const consent_registry *r, const void *data, size_t len, uint8_t out[32]);

/* The keyed hash of an ID number, as the audit trail has persons. */
void consent_registry_person(
    const consent_registry *r, const char *id, char out[AUDIT_PERSON_HEX]);

#endif
