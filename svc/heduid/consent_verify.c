/* SPDX-License-Identifier: MIT */
/*
 * A verification refused for its consents: its audit record and log line
 * (consent_service.h).
 */
#include "consent_service.h"
#include "log.h"
#include "log_limit.h"
#include "log_mask.h"
#include "verify_refusals.h"
#include "verify_internal.h"

void consent_verify_refused(verify_service *vs, rpc_call *call,
    const agency_identity *who, const char *case_id, const char *persons,
    const consent_check_result *cr)
{
	static log_limit refused_log =
	    LOG_LIMIT_INIT("verify.refused", 20, 10000);
	char rid[80], msg[sizeof cr->message];
	verify_refusals_metric(vs->metrics,
	    cr->kind[0] != '\0' ? cr->kind : "store", cr->code);
	if (cr->code == RPC_FAILED_PRECONDITION) {
		store_audit a = verify_audit_of(
		    call, who->subject, case_id, "", persons, cr->code);
		a.consents = cr->used;
		a.reason = cr->kind;
		store_append_audit_async(vs->store, &a, NULL, NULL);
	}
	/* The message names the member masked; the consent number is the
	 * agency's text, which could hold an ID number. */
	log_limited(&refused_log, LOG_LVL_WARN,
	    "request_id=\"%s\" code=%s agency=\"%s\" kind=%s reason=\"%s\"",
	    log_mask_client(rpc_call_request_id(call), rid, sizeof rid),
	    rpc_code_name(cr->code), who->name,
	    cr->kind[0] != '\0' ? cr->kind : "store",
	    log_mask_client(cr->message, msg, sizeof msg));
}
