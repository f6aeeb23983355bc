#include "tverify.h"

rpc_code tverify_signed(rpc_client *c, agency_signer *s, const uint8_t *body,
    size_t len, const rpc_call_opts *o,
    Hedui__V1__VerifyHouseholdResponse **resp, rpc_status *st)
{
	if (resp != NULL)
		*resp = NULL;
	Hedui__V1__AgencyAuth auth;
	if (o->request_id == NULL ||
	    agency_signer_sign(s, TVERIFY_METHOD, o->request_id, body, len,
	        agency_sig_now_ms(), &auth) != HD_OK)
		return RPC_INTERNAL;
	Hedui__V1__VerifyHouseholdRequest req =
	    HEDUI__V1__VERIFY_HOUSEHOLD_REQUEST__INIT;
	req.household.data = (uint8_t *)body;
	req.household.len = len;
	req.auth = &auth;
	ProtobufCMessage *out = NULL;
	rpc_code code = rpc_client_call(c, TVERIFY_METHOD, &req.base,
	    &hedui__v1__verify_household_response__descriptor, &out, o, st);
	agency_auth_release(&auth);
	if (resp != NULL)
		*resp = (Hedui__V1__VerifyHouseholdResponse *)out;
	else if (out != NULL)
		protobuf_c_message_free_unpacked(out, NULL);
	return code;
}
