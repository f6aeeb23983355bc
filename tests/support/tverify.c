/* SPDX-License-Identifier: MIT */
#include "tverify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rpc_code tverify_signed(rpc_client *c, agency_signer *s, const uint8_t *body,
    size_t len, const rpc_call_opts *o,
    Hedui__V1__VerifyHouseholdResponse **resp, rpc_status *st)
{
	if (resp != NULL)
		*resp = NULL;
	Hedui__V1__AgencyAuth auth;
	/* The operator-id sent, if any, is signed too. */
	const char *op = "";
	for (size_t i = 0; i < o->metadata_count; i++)
		if (strcmp(o->metadata[i].key, "operator-id") == 0)
			op = o->metadata[i].value;
	if (o->request_id == NULL ||
	    agency_signer_sign(s, TVERIFY_METHOD, o->request_id, op, body, len,
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

uint8_t *tverify_batch_pack(const uint8_t *const *households,
    const size_t *lens, size_t n, size_t *len)
{
	Hedui__V1__HouseholdBatch b = HEDUI__V1__HOUSEHOLD_BATCH__INIT;
	ProtobufCBinaryData *hh = calloc(n > 0 ? n : 1, sizeof *hh);
	if (hh == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		hh[i].data = (uint8_t *)households[i];
		hh[i].len = lens[i];
	}
	b.households = hh;
	b.n_households = n;
	*len = hedui__v1__household_batch__get_packed_size(&b);
	uint8_t *out = malloc(*len > 0 ? *len : 1);
	if (out != NULL)
		hedui__v1__household_batch__pack(&b, out);
	free(hh);
	return out;
}

rpc_code tverify_batch_signed(rpc_client *c, agency_signer *s,
    const uint8_t *batch, size_t len, const rpc_call_opts *o,
    Hedui__V1__VerifyBatchResponse **resp, rpc_status *st)
{
	if (resp != NULL)
		*resp = NULL;
	Hedui__V1__AgencyAuth auth;
	const char *op = "";
	for (size_t i = 0; i < o->metadata_count; i++)
		if (strcmp(o->metadata[i].key, "operator-id") == 0)
			op = o->metadata[i].value;
	if (o->request_id == NULL ||
	    agency_signer_sign(s, TVERIFY_BATCH_METHOD, o->request_id, op,
	        batch, len, agency_sig_now_ms(), &auth) != HD_OK)
		return RPC_INTERNAL;
	Hedui__V1__VerifyBatchRequest req =
	    HEDUI__V1__VERIFY_BATCH_REQUEST__INIT;
	req.batch.data = (uint8_t *)batch;
	req.batch.len = len;
	req.auth = &auth;
	ProtobufCMessage *out = NULL;
	rpc_code code = rpc_client_call(c, TVERIFY_BATCH_METHOD, &req.base,
	    &hedui__v1__verify_batch_response__descriptor, &out, o, st);
	agency_auth_release(&auth);
	if (resp != NULL)
		*resp = (Hedui__V1__VerifyBatchResponse *)out;
	else if (out != NULL)
		protobuf_c_message_free_unpacked(out, NULL);
	return code;
}

bool tstack_start_heduid(tstack *s, const char *const extra[])
{
	static const char *const flags[3] = {"--bank", "--tax", "--property"};
	char urls[3][64];
	const char *argv[24];
	int n = 0;
	for (int i = 0; i < 3; i++) {
		snprintf(urls[i], sizeof urls[i], "%s", turl(s->ports[i]));
		argv[n++] = flags[i];
		argv[n++] = urls[i];
	}
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 22; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	if ((s->heduid = theduid_start(&s->port, argv)) == NULL)
		return false;
	s->client = tclient(s->port, "agency-330106");
	return s->client != NULL;
}

int tstack_stop(tstack *s)
{
	rpc_client_free(s->client);
	s->client = NULL;
	int st = tproc_stop(s->heduid);
	for (int i = 0; i < 3; i++)
		tproc_stop(s->src[i]);
	return st;
}

rpc_code tverify_one_call(rpc_client *c, agency_signer *s,
    const tverify_one *one, Hedui__V1__VerifyHouseholdResponse **resp,
    rpc_status *st)
{
	Hedui__V1__Household h = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member m = HEDUI__V1__MEMBER__INIT;
	Hedui__V1__Member *mp[1] = {&m};
	m.id_number = (char *)one->id;
	m.relation = "applicant";
	m.consent_ref = (char *)one->consent;
	h.case_id = (char *)one->case_id;
	h.request_id = (char *)one->rid;
	h.region_code = (char *)one->region;
	h.area = "urban";
	h.program = "dibao";
	if (one->as_of != NULL)
		h.as_of = (char *)one->as_of;
	h.members = mp;
	h.n_members = 1;
	uint8_t body[1024];
	size_t len = hedui__v1__household__pack(&h, body);
	rpc_call_opts o = {.deadline_ms = 10000, .request_id = one->rid};
	return tverify_signed(c, s, body, len, &o, resp, st);
}
