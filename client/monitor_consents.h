/* SPDX-License-Identifier: MIT */
/*
 * monitor_consents: the agency's consents that expire soon, asked of
 * heduid's registry once per run (ListConsents, expiring_before = today +
 * N days, paged), so that each household one of whose members cites one
 * of them goes to the alerts: its members must sign a new 核对授权书
 * before the next run (docs/MONITORING.md, docs/CONSENT.md).
 */
#ifndef HEDUI_MONITOR_CONSENTS_H
#define HEDUI_MONITOR_CONSENTS_H

#include <stddef.h>

#include "agency_sig.h"
#include "cli.h"
#include "idnum.h"

/* At most this many consents are kept; beyond it the run warns and
 * flags only those it holds. */
#define MON_EXPIRING_MAX 250000

typedef struct mon_expiring mon_expiring;

/*
 * Asks heduid for the unrevoked consents of the agency's regions whose
 * last valid day is from today to the day before before. ctx's client is
 * connected. NULL when the registry could not be asked (the reason on
 * stderr): the run goes on without these alerts.
 */
mon_expiring *mon_expiring_fetch(
    cli_ctx *ctx, agency_signer *signer, idnum_date before);
void mon_expiring_free(mon_expiring *e); /* accepts NULL */
size_t mon_expiring_count(const mon_expiring *e);

/* The last valid day ("YYYY-MM-DD") of consent number of region when it
 * is among them; NULL otherwise (and when e is NULL). */
const char *mon_expiring_find(
    const mon_expiring *e, const char *region, const char *number);

#endif
