/* SPDX-License-Identifier: MIT */
/*
 * consent_service: hedui.v1.Consents (consent_service.c) and what the
 * verification paths do with a household refused for its consents
 * (consent_verify.c). Both are part of the verify_service: they use its
 * agency authentication, store and audit trail.
 */
#ifndef HEDUI_CONSENT_SERVICE_H
#define HEDUI_CONSENT_SERVICE_H

#include "agency_auth.h"
#include "consent_registry.h"
#include "rpc_server.h"
#include "verify_service.h"

/* Registers hedui.v1.Consents on srv (verify_service_register does). */
hd_err consent_service_register(verify_service *vs, rpc_server *srv);

/*
 * A household that consent_check_household refused: an audit record of
 * the refusal (the consents named, the kind of refusal as its reason, the
 * household's persons) when it was refused for its consents, and a log
 * line within bounds. The caller answers (or, in a batch, reports) with
 * cr->code and cr->message.
 */
void consent_verify_refused(verify_service *vs, rpc_call *call,
    const agency_identity *who, const char *case_id, const char *persons,
    const consent_check_result *cr);

#endif
