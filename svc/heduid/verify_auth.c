/* SPDX-License-Identifier: MIT */
/*
 * Who is asking, for both Verifier methods: the operator-id metadata and
 * the agency's signature, bound to the TLS client certificate of the
 * request's connection (agency_auth.h).
 */
#include <stdio.h>
#include <string.h>

#include "agency_sig.h"
#include "verify_internal.h"

#define VERIFY_OPERATOR_KEY "operator-id"

/* The one operator-id entry (NULL when none); false when there are
 * several: which one was signed, which one audited? */
static bool verify_operator_entry(rpc_call *call, const char **op)
{
	*op = NULL;
	size_t n = rpc_call_metadata_count(call);
	for (size_t i = 0; i < n; i++) {
		const char *k, *v;
		rpc_call_metadata_at(call, i, &k, &v);
		if (strcmp(k, VERIFY_OPERATOR_KEY) != 0)
			continue;
		if (*op != NULL)
			return false;
		*op = v;
	}
	return true;
}

const char *verify_operator(rpc_call *call)
{
	const char *op;
	if (!verify_operator_entry(call, &op) || op == NULL ||
	    !agency_sig_operator_ok(op))
		return "";
	return op;
}

rpc_code verify_authenticate(verify_service *vs, rpc_call *call,
    const Hedui__V1__AgencyAuth *auth, const uint8_t *body, size_t len,
    agency_identity *who, char *why, size_t whylen)
{
	const char *op;
	/* Its form first: it is signed and audited, and never logged. */
	if (!verify_operator_entry(call, &op) || !agency_sig_operator_ok(op)) {
		snprintf(why, whylen,
		    "operator-id metadata must be given at most once, as 1 "
		    "to %d characters of [A-Za-z0-9._@-]",
		    AGENCY_OPERATOR_MAX);
		return RPC_INVALID_ARGUMENT;
	}
	agency_request req = {
	    .auth = auth,
	    .peer = rpc_call_peer(call),
	    .method = rpc_call_method(call),
	    .request_id = rpc_call_request_id(call),
	    .operator_id = op != NULL ? op : "",
	    .body = body,
	    .body_len = len,
	};
	return agency_auth_check(
	    vs->auth, &req, agency_sig_now_ms(), who, why, whylen);
}
