/* SPDX-License-Identifier: MIT */
#include "tagency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agency_sig.h"
#include "tsupport.h"

bool tagency_certs_with_33(void)
{
	static char certs[512];
	char cmd[2048];
	snprintf(certs, sizeof certs, "%s", ttmp("certs"));
	snprintf(cmd, sizeof cmd,
	    "cp -rp '%s' '%s' && sh '%s/certs/make-dev-pki.sh' '%s' "
	    "--agency 33 >/dev/null 2>&1",
	    getenv("HEDUI_CERTS"), certs, getenv("HEDUI_SRC"), certs);
	return system(cmd) == 0 && setenv("HEDUI_CERTS", certs, 1) == 0;
}

static agency_signer *tagency_signer(const char *agency)
{
	char cert[600], key[600], err[256];
	snprintf(
	    cert, sizeof cert, "%s/%s.crt", getenv("HEDUI_CERTS"), agency);
	snprintf(key, sizeof key, "%s/%s.key", getenv("HEDUI_CERTS"), agency);
	agency_signer *s = agency_signer_load(cert, key, err, sizeof err);
	if (s == NULL)
		fprintf(stderr, "tagency: %s: %s\n", agency, err);
	return s;
}

/* Every signed request is { bytes body = 1; AgencyAuth auth = 2; }:
 * packs body, signs it for method and calls with req's descriptor. */
static rpc_code tagency_call(rpc_client *c, const char *agency,
    const char *method, const ProtobufCMessage *body,
    const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
    rpc_status *st)
{
	static unsigned seq;
	char rid[48];
	snprintf(rid, sizeof rid, "tag-%u-%u", (unsigned)getpid(),
	    __atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST));
	*out = NULL;
	agency_signer *s = tagency_signer(agency);
	if (s == NULL)
		return RPC_INTERNAL;
	size_t len = protobuf_c_message_get_packed_size(body);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	Hedui__V1__AgencyAuth auth = HEDUI__V1__AGENCY_AUTH__INIT;
	rpc_code code = RPC_INTERNAL;
	if (buf == NULL)
		goto out;
	protobuf_c_message_pack(body, buf);
	if (agency_signer_sign(s, method, rid, "officer-42", buf, len,
	        agency_sig_now_ms(), &auth) != HD_OK)
		goto out;
	/* VerifyHouseholdRequest and StatsRequest have this shape. */
	Hedui__V1__StatsRequest req = HEDUI__V1__STATS_REQUEST__INIT;
	req.query.data = buf;
	req.query.len = len;
	req.auth = &auth;
	rpc_metadata md[1] = {{"operator-id", "officer-42"}};
	rpc_call_opts o = {.deadline_ms = 10000,
	    .request_id = rid,
	    .metadata = md,
	    .metadata_count = 1};
	code = rpc_client_call(c, method, &req.base, out_desc, out, &o, st);
	agency_auth_release(&auth);
out:
	free(buf);
	agency_signer_free(s);
	return code;
}

rpc_code tagency_verify(rpc_client *c, const char *agency,
    const Hedui__V1__Household *h, Hedui__V1__VerifyHouseholdResponse **out,
    rpc_status *st)
{
	return tagency_call(c, agency, "hedui.v1.Verifier/VerifyHousehold",
	    &h->base, &hedui__v1__verify_household_response__descriptor,
	    (ProtobufCMessage **)out, st);
}

rpc_code tagency_stats(rpc_client *c, const char *agency,
    const Hedui__V1__StatsQuery *q, Hedui__V1__StatsResponse **out,
    rpc_status *st)
{
	return tagency_call(c, agency, "hedui.v1.Stats/Query", &q->base,
	    &hedui__v1__stats_response__descriptor, (ProtobufCMessage **)out,
	    st);
}

rpc_code tagency_get_report(rpc_client *c, const char *agency, const char *id,
    Hedui__V1__VerifyHouseholdResponse **out, rpc_status *st)
{
	static unsigned seq;
	char rid[48];
	snprintf(rid, sizeof rid, "get-%u-%u", (unsigned)getpid(),
	    __atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST));
	*out = NULL;
	agency_signer *s = tagency_signer(agency);
	if (s == NULL)
		return RPC_INTERNAL;
	Hedui__V1__GetReportRequest req = HEDUI__V1__GET_REPORT_REQUEST__INIT;
	Hedui__V1__AgencyAuth auth = HEDUI__V1__AGENCY_AUTH__INIT;
	req.report_id = (char *)id;
	rpc_code code = RPC_INTERNAL;
	if (agency_signer_sign(s, "hedui.v1.Verifier/GetReport", rid, "",
	        (const uint8_t *)id, strlen(id), agency_sig_now_ms(),
	        &auth) == HD_OK) {
		req.auth = &auth;
		rpc_call_opts o = {.deadline_ms = 10000, .request_id = rid};
		code = rpc_client_call(c, "hedui.v1.Verifier/GetReport",
		    &req.base,
		    &hedui__v1__verify_household_response__descriptor,
		    (ProtobufCMessage **)out, &o, st);
		agency_auth_release(&auth);
	}
	agency_signer_free(s);
	return code;
}

int tagency_cli(const char *const args[], char log[512])
{
	char *argv[40];
	int n = 0;
	static char bin[512];
	snprintf(bin, sizeof bin, "%s", tbin("hedui"));
	argv[n++] = bin;
	for (int i = 0; args[i] != NULL && n < 39; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	tproc *p = tproc_start("hedui", argv);
	if (p == NULL)
		return -1;
	snprintf(log, 512, "%s", tproc_log(p));
	tproc_wait(p, 30000);
	return tproc_stop(p);
}
