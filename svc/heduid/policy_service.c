/* SPDX-License-Identifier: MIT */
#include "policy_service.h"

#include <string.h>

#include "hedui/v1/policy.pb-c.h"
#include "log.h"
#include "policy_show.h"
#include "verify_internal.h"

/*
 * No signature and no audit record: the parameters are public and the
 * question names no one. The TLS identity (an agency certificate) still
 * gates the call, like every method but Health, and so do the server's
 * rate limits.
 */
static void policy_show_handle(
    rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	const policy_book *book = arg;
	const Hedui__V1__ShowPolicyRequest *req =
	    (const Hedui__V1__ShowPolicyRequest *)msg;
	const char *region = req->region_code != NULL ? req->region_code : "";
	idnum_date as_of = idnum_date_today();
	policy_show *s = NULL;

	if (strlen(region) != 6 ||
	    strspn(region, "0123456789") != strlen(region)) {
		rpc_call_fail(call, RPC_INVALID_ARGUMENT,
		    "region_code: must be 6 digits");
		return;
	}
	if (req->as_of != NULL && req->as_of[0] != '\0' &&
	    !idnum_date_parse(req->as_of, &as_of)) {
		rpc_call_fail(call, RPC_INVALID_ARGUMENT,
		    "as_of: must be a date YYYY-MM-DD");
		return;
	}
	hd_err e = policy_show_build(book, region, as_of, &s);
	if (e != HD_OK) {
		log_error("policy.show", "region=%s error=\"%s\"", region,
		    hd_strerror(e));
		rpc_call_fail(call, RPC_INTERNAL, "cannot show the policy: %s",
		    hd_strerror(e));
		return;
	}
	rpc_call_reply(call, &policy_show_message(s)->base);
	policy_show_free(s);
}

hd_err policy_service_register(const verify_service *vs, rpc_server *srv)
{
	/* In the order of the service's methods in policy.proto. */
	static const rpc_handler_fn handlers[] = {policy_show_handle};
	_Static_assert(sizeof handlers / sizeof handlers[0] == 1,
	    "one handler per Policy method");
	/* Which file every report's policy_version names (file:…). */
	const char *sha = policy_book_file_sha256(vs->book);
	log_info(
	    "policy.loaded", "file_sha256=%s", sha[0] != '\0' ? sha : "none");
	return rpc_server_add_service(
	    srv, &hedui__v1__policy__descriptor, handlers, (void *)vs->book);
}
