/* SPDX-License-Identifier: MIT */
/*
 * popgen_consent: the consents (核对授权书, docs/CONSENT.md) of the sample
 * households of a generated population, as files `hedui consent add`
 * registers: one consent per member, numbered as the member's consent_ref
 * in the household file, signed by the member or, for a minor, by the
 * household's applicant as parent. Every fifth household from the fourth
 * has its applicant's consent expired before the households' as_of; every
 * fifth from the fifth has it listed for revocation, so that both
 * refusals can be seen (tests/demo.sh). Nothing is drawn from the
 * population's random stream: the population stays the same.
 */
#ifndef HEDUI_POPGEN_CONSENT_H
#define HEDUI_POPGEN_CONSENT_H

#include "hd_err.h"
#include "popgen.h"

/* The date the consents were signed, from which they are valid. */
#define POPGEN_CONSENT_SIGNED 20261001

/* Writes DIR/hh-NNNNNN.json (the household's consents, a JSON list) and,
 * when one is to be revoked, DIR/hh-NNNNNN.revoke (its number, a line). */
hd_err popgen_write_consents(const popgen_household *h, const char *dir);

/*
 * The standing consents of an enrolled population (gen --roster): each
 * member with a consent_ref in the roster gets one, valid for five years,
 * none expired or revoked. They go CHUNK households to a file,
 * DIR/consents-NNNNNN.json, so that each file stays within what
 * hedui consent add reads at once.
 */
typedef struct popgen_consent_sink popgen_consent_sink;
#define POPGEN_CONSENT_CHUNK 500
/* Creates dir; NULL on failure (logged). */
popgen_consent_sink *popgen_consent_sink_alloc(const char *dir);
hd_err popgen_consent_sink_add(
    popgen_consent_sink *s, const popgen_household *h);
/* Writes what is pending and frees; HD_EIO when a file could not be
 * written (now or before). Accepts NULL. */
hd_err popgen_consent_sink_free(popgen_consent_sink *s);

/* The consent_ref of member i of a household (as popgen_write_household
 * writes it) into out. */
void popgen_consent_number(
    const popgen_household *h, int i, char *out, size_t cap);

#endif
