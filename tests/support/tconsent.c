/* SPDX-License-Identifier: MIT */
#include "tconsent.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsupport.h"

void tconsent_init(tconsent *t, const char *number, const char *region,
    const char *const *ids, size_t n)
{
	static char *const programs[] = {
	    "dibao", "marginal", "tekun", "hardship"};
	static char *const sources[] = {"bank", "tax", "property"};
	memset(t, 0, sizeof *t);
	hedui__v1__consent__init(&t->c);
	snprintf(t->number, sizeof t->number, "%s", number);
	snprintf(t->region, sizeof t->region, "%s", region);
	t->c.number = t->number;
	t->c.region_code = t->region;
	t->c.signed_on = "2026-01-01";
	t->c.valid_from = "2026-01-01";
	t->c.valid_until = "2030-12-31";
	t->c.form_sha256 = "9f86d081884c7d659a2feaa0c55ad015"
	                   "a3bf4f1b2b0b822cd15d6c15b0f00a08";
	memcpy(t->programs, programs, sizeof programs);
	memcpy(t->sources, sources, sizeof sources);
	t->c.programs = t->programs;
	t->c.n_programs = 4;
	t->c.sources = t->sources;
	t->c.n_sources = 3;
	const char *adult = NULL;
	for (size_t i = 0; i < n && adult == NULL; i++)
		if (idnum_age(ids[i], 20260101) >= 18)
			adult = ids[i];
	for (size_t i = 0; i < n && i < 20; i++) {
		Hedui__V1__ConsentMember *m = &t->m[i];
		hedui__v1__consent_member__init(m);
		snprintf(t->ids[i], sizeof t->ids[i], "%s", ids[i]);
		m->id_number = t->ids[i];
		m->signed_by = "self";
		if (idnum_age(ids[i], 20260101) < 18 && adult != NULL) {
			snprintf(t->guardians[i], sizeof t->guardians[i], "%s",
			    adult);
			m->signed_by = "guardian";
			m->guardian_id_number = t->guardians[i];
			m->guardian_relation = "parent";
		}
		t->mp[i] = m;
	}
	t->c.members = t->mp;
	t->c.n_members = n < 20 ? n : 20;
}

rpc_code tconsent_call(rpc_client *c, agency_signer *s, const char *method,
    const ProtobufCMessage *body, const char *op, ProtobufCMessage **resp,
    rpc_status *st)
{
	char full[96], rid[64];
	static atomic_int seq;
	snprintf(full, sizeof full, "%s%s", TCONSENT_SERVICE, method);
	snprintf(rid, sizeof rid, "tconsent-%d-%d-%llu", (int)getpid(),
	    atomic_fetch_add(&seq, 1) + 1, (unsigned long long)tnow_ms());
	if (resp != NULL)
		*resp = NULL;
	size_t len = protobuf_c_message_get_packed_size(body);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return RPC_INTERNAL;
	protobuf_c_message_pack(body, buf);
	Hedui__V1__AgencyAuth auth;
	if (agency_signer_sign(s, full, rid, op != NULL ? op : "", buf, len,
	        agency_sig_now_ms(), &auth) != HD_OK) {
		free(buf);
		return RPC_INTERNAL;
	}
	/* Every request is { bytes body = 1; AgencyAuth auth = 2; }. */
	Hedui__V1__RegisterConsentRequest req =
	    HEDUI__V1__REGISTER_CONSENT_REQUEST__INIT;
	req.consent.data = buf;
	req.consent.len = len;
	req.auth = &auth;
	const ProtobufCMessageDescriptor *out =
	    strcmp(method, "ListConsents") == 0
	        ? &hedui__v1__list_consents_response__descriptor
	        : &hedui__v1__consent_response__descriptor;
	rpc_metadata md = {"operator-id", op};
	rpc_call_opts o = {.deadline_ms = 10000,
	    .request_id = rid,
	    .metadata = op != NULL ? &md : NULL,
	    .metadata_count = op != NULL ? 1 : 0};
	ProtobufCMessage *r = NULL;
	rpc_code code = rpc_client_call(c, full, &req.base, out, &r, &o, st);
	agency_auth_release(&auth);
	free(buf);
	if (resp != NULL)
		*resp = r;
	else if (r != NULL)
		protobuf_c_message_free_unpacked(r, NULL);
	return code;
}

rpc_code tconsent_register(rpc_client *c, agency_signer *s, const tconsent *t,
    Hedui__V1__ConsentResponse **resp, rpc_status *st)
{
	return tconsent_call(c, s, "RegisterConsent", &t->c.base, NULL,
	    (ProtobufCMessage **)resp, st);
}

rpc_code tconsent_revoke(rpc_client *c, agency_signer *s, const char *number,
    const char *region, const char *reason, Hedui__V1__ConsentResponse **resp,
    rpc_status *st)
{
	Hedui__V1__ConsentRevocation rv = HEDUI__V1__CONSENT_REVOCATION__INIT;
	rv.number = (char *)number;
	rv.region_code = (char *)(region != NULL ? region : "");
	rv.reason = (char *)reason;
	return tconsent_call(c, s, "RevokeConsent", &rv.base, NULL,
	    (ProtobufCMessage **)resp, st);
}

bool tconsent_cover(int port, const char *identity, const char *number,
    const char *region, const char *const *ids, size_t n)
{
	char cert[256], key[256], err[256];
	snprintf(cert, sizeof cert, "%s.crt", identity);
	snprintf(key, sizeof key, "%s.key", identity);
	char certp[512], keyp[512];
	snprintf(certp, sizeof certp, "%s", tcert(cert));
	snprintf(keyp, sizeof keyp, "%s", tcert(key));
	rpc_client *c = tclient(port, identity);
	agency_signer *s = agency_signer_load(certp, keyp, err, sizeof err);
	tconsent *t = malloc(sizeof *t);
	bool ok = false;
	if (c != NULL && s != NULL && t != NULL) {
		tconsent_init(t, number, region, ids, n);
		rpc_status st;
		rpc_code code = tconsent_register(c, s, t, NULL, &st);
		ok = code == RPC_OK;
		if (!ok)
			fprintf(stderr, "tconsent_cover %s: %s: %s\n", number,
			    rpc_code_name(code), st.message);
	}
	free(t);
	agency_signer_free(s);
	rpc_client_free(c);
	return ok;
}
