/* SPDX-License-Identifier: MIT */
/*
 * Which identities a source answers (issue 12, item 2). The sources hold
 * raw balances and incomes and check no agency signature, region or
 * consent: only heduid may call them. Real hedui-source processes over
 * mutual TLS, set up as `--certs DIR` sets them up (the source-plane CA
 * source-ca.crt, the default allow list CN=heduid):
 *
 * - an agency certificate (agency CA) cannot complete a handshake with
 *   any of the three sources, so no person's data comes back;
 * - a source-plane certificate that is not heduid's gets
 *   PERMISSION_DENIED for every Lookup, logged as rpc.reject with its
 *   subject; Health still answers it;
 * - --allow-client replaces the default list (CN=, sha256:), and bad
 *   entries stop the source at start;
 * - heduid with its source-plane identity still verifies end to end, and
 *   heduid left on the agency CA towards the sources gets nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "agency_sig.h"
#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/source.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "rpc_client.h"
#include "tsource.h"
#include "tsupport.h"
#include "tconsent.h"
#include "tverify.h"

static const char *const kinds[3] = {"bank", "tax", "property"};

/* In tests/fixtures/households.json, with facts at all three sources. */
#define PERSON "330106198003151231"

/* What a Lookup of PERSON came back with: the code, and whether any
 * answer (with or without facts) reached the caller. */
static rpc_code lookup_person(
    rpc_client *c, int k, bool *answered, rpc_status *st)
{
	const char *ids[1] = {PERSON};
	ProtobufCMessage *resp = NULL;
	rpc_code code = tsource_lookup(c, kinds[k], ids, 1, 1500, &resp, st);
	*answered = resp != NULL;
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	return code;
}

static tproc *start_source(int k, const char *const extra[], int *port)
{
	tproc *p = tsource_start(
	    kinds[k], "--fixtures", tsource_fixtures(), extra, port);
	assert_non_null(p);
	return p;
}

/* The source's log holds no ID number of the request. */
static void assert_log_clean(const tproc *p)
{
	assert_false(tproc_log_contains(p, PERSON));
	assert_false(tproc_log_contains(p, "330106********1231"));
}

/* (a) The agency CA does not reach the source plane. */
static void agency_certificate_refused_by_every_source(void **state)
{
	(void)state;
	for (int k = 0; k < 3; k++) {
		int port;
		tproc *src = start_source(k, NULL, &port);
		/* An agency certificate, even trusting the source's CA:
		 * no answer, no data. */
		rpc_client *c = tclient_ca(port, "agency-330106", "source-ca");
		assert_non_null(c);
		bool answered = true;
		rpc_status st;
		rpc_code code = lookup_person(c, k, &answered, &st);
		assert_false(answered);
		assert_true(
		    code == RPC_UNAVAILABLE || code == RPC_DEADLINE_EXCEEDED);
		int serving;
		assert_int_not_equal(thealth(c, 1000, &serving), RPC_OK);
		rpc_client_free(c);
		/* Because the source refuses it in the handshake: a raw
		 * client gets no SP header back with it, and does with
		 * heduid's source-plane identity. */
		assert_null(
		    traw_sp_open_ca(port, "agency-330106", "source-ca", 3000));
		traw_sp *ok =
		    traw_sp_open_ca(port, "heduid-sources", "source-ca", 3000);
		assert_non_null(ok);
		traw_sp_close(ok);
		/* The refusal is in the source's log, by subject. */
		assert_true(tproc_log_wait(src, "event=tls.handshake", 3000));
		assert_true(tproc_log_wait(src, "result=refused", 3000));
		assert_true(tproc_log_wait(src, "CN=agency-330106", 3000));
		/* Still serving heduid afterwards. */
		c = tsource_client(port);
		assert_int_equal(lookup_person(c, k, &answered, &st), RPC_OK);
		assert_true(answered);
		rpc_client_free(c);
		assert_log_clean(src);
		assert_int_equal(tproc_stop(src), 0);
	}
}

/* (b) On the source plane but not heduid: the allow list refuses. */
static void source_plane_stranger_denied(void **state)
{
	(void)state;
	for (int k = 0; k < 3; k++) {
		int port;
		tproc *src = start_source(k, NULL, &port);
		rpc_client *c =
		    tclient_ca(port, "source-plane-other", "source-ca");
		assert_non_null(c);
		bool answered = true;
		rpc_status st;
		assert_int_equal(lookup_person(c, k, &answered, &st),
		    RPC_PERMISSION_DENIED);
		assert_false(answered);
		assert_non_null(strstr(st.message, "CN=monitoring"));
		/* Health is for supervisors and monitors: it answers. */
		int serving = -1;
		assert_int_equal(thealth(c, 3000, &serving), RPC_OK);
		assert_int_equal(serving,
		    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
		rpc_client_free(c);
		/* The list it started with, and the refusal: the method,
		 * the code, who (by subject). */
		assert_true(
		    tproc_log_wait(src, "allow_clients=\"CN=heduid\"", 3000));
		char method[64];
		snprintf(method, sizeof method, "method=\"%s\"",
		    tsource_method(kinds[k]));
		assert_true(tproc_log_wait(src, "event=rpc.reject", 3000));
		assert_true(tproc_log_wait(src, method, 3000));
		assert_true(
		    tproc_log_wait(src, "code=PERMISSION_DENIED", 3000));
		assert_true(tproc_log_contains(
		    src, "peer=\"CN=monitoring,O=hedui dev,C=CN\""));
		/* One message="..." field: no quotes nested inside. */
		char msg[160];
		snprintf(msg, sizeof msg,
		    "message=\"%.*s does not serve this caller (certificate "
		    "subject: CN=monitoring,O=hedui dev,C=CN)\"\n",
		    (int)(strchr(method + 8, '/') - (method + 8)), method + 8);
		assert_true(tproc_log_wait(src, msg, 3000));
		assert_log_clean(src);
		assert_int_equal(tproc_stop(src), 0);
	}
}

/* The certificate's SHA-256 in hex, as --allow-client sha256: takes it. */
static void cert_fingerprint(const char *stem, char out[65])
{
	char name[128];
	snprintf(name, sizeof name, "%s.crt", stem);
	FILE *f = fopen(tcert(name), "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	unsigned char md[32];
	unsigned int n = 0;
	assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
	X509_free(x);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* --allow-client replaces the default, in each of its forms. */
static void allow_client_flag(void **state)
{
	(void)state;
	int port;
	bool answered;
	rpc_status st;
	/* Only monitoring: heduid is now the stranger. */
	const char *mon[] = {"--allow-client", "CN=monitoring", NULL};
	tproc *src = start_source(0, mon, &port);
	assert_true(
	    tproc_log_wait(src, "allow_clients=\"CN=monitoring\"", 3000));
	rpc_client *c = tclient_ca(port, "source-plane-other", "source-ca");
	assert_int_equal(lookup_person(c, 0, &answered, &st), RPC_OK);
	rpc_client_free(c);
	c = tsource_client(port);
	assert_int_equal(
	    lookup_person(c, 0, &answered, &st), RPC_PERMISSION_DENIED);
	rpc_client_free(c);
	assert_int_equal(tproc_stop(src), 0);

	/* heduid-sources by fingerprint, and a whole subject (both CN=heduid
	 * certificates share it: the fingerprint tells them apart). */
	char fp[65], entry[80];
	cert_fingerprint("heduid-sources", fp);
	snprintf(entry, sizeof entry, "sha256:%s", fp);
	const char *byfp[] = {"--allow-client", entry, "--allow-client",
	    "CN=nobody,O=hedui dev,C=CN", NULL};
	src = start_source(1, byfp, &port);
	c = tsource_client(port);
	assert_int_equal(lookup_person(c, 1, &answered, &st), RPC_OK);
	assert_true(answered);
	rpc_client_free(c);
	c = tclient_ca(port, "source-plane-other", "source-ca");
	assert_int_equal(
	    lookup_person(c, 1, &answered, &st), RPC_PERMISSION_DENIED);
	rpc_client_free(c);
	assert_int_equal(tproc_stop(src), 0);

	/* A typo stops the source at start (status 2), not at heduid's
	 * first call. */
	static const char *const bad[] = {"", "CN=", "sha256:zz", NULL};
	for (int i = 0; bad[i] != NULL; i++) {
		char bin[512], fx[512];
		snprintf(bin, sizeof bin, "%s", tbin("hedui-source"));
		snprintf(fx, sizeof fx, "%s", tsource_fixtures());
		char *argv[] = {bin, "serve", "--kind", "bank", "--fixtures",
		    fx, "--certs", (char *)"/nonexistent", "--allow-client",
		    (char *)bad[i], NULL};
		tproc *p = tproc_start("source-bad-allow", argv);
		assert_non_null(p);
		assert_int_equal(tproc_wait(p, 10000), 2);
		tproc_stop(p);
	}
}

/* A signed one-member verification of PERSON as agency-330106: its
 * conclusion and the status of each source. */
static rpc_code verify_person(rpc_client *c, char statuses[3][16])
{
	Hedui__V1__Household hh = HEDUI__V1__HOUSEHOLD__INIT;
	Hedui__V1__Member m = HEDUI__V1__MEMBER__INIT;
	Hedui__V1__Member *mp[1] = {&m};
	hh.case_id = "330106-2026-12";
	hh.region_code = "330106";
	hh.area = "urban";
	hh.program = "dibao";
	hh.members = mp;
	hh.n_members = 1;
	m.id_number = PERSON;
	m.relation = "applicant";
	m.consent_ref = "SQ-12";
	uint8_t body[512];
	size_t len = hedui__v1__household__pack(&hh, body);
	static unsigned seq;
	char rid[40];
	snprintf(rid, sizeof rid, "plane-%u-%u", (unsigned)getpid(), ++seq);
	char err[128], cert[512], key[512];
	snprintf(cert, sizeof cert, "%s", tcert("agency-330106.crt"));
	snprintf(key, sizeof key, "%s", tcert("agency-330106.key"));
	agency_signer *s = agency_signer_load(cert, key, err, sizeof err);
	assert_non_null(s);
	Hedui__V1__VerifyHouseholdResponse *resp = NULL;
	rpc_status st;
	rpc_call_opts o = {.deadline_ms = 5000, .request_id = rid};
	rpc_code code = tverify_signed(c, s, body, len, &o, &resp, &st);
	agency_signer_free(s);
	if (code == RPC_OK) {
		assert_int_equal(resp->verdict->n_sources, 3);
		for (int i = 0; i < 3; i++)
			snprintf(statuses[i], 16, "%s",
			    resp->verdict->sources[i]->status);
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	}
	return code;
}

/* PERSON's consent, at the heduid just started. */
static bool plane_consent(tstack *s)
{
	const char *members[] = {PERSON};
	return tconsent_cover(
	    s->port, "agency-330106", "SQ-12", "330106", members, 1);
}

/* (c) heduid on the source plane verifies; heduid still on the agency CA
 * towards the sources gets nothing from them, and says why at start. */
static void heduid_on_the_source_plane(void **state)
{
	(void)state;
	tstack s = {0};
	assert_true(tsources_start(tsource_fixtures(), s.src, s.ports, NULL));
	assert_true(tstack_start_heduid(&s, NULL));
	assert_true(plane_consent(&s));
	char statuses[3][16];
	assert_int_equal(verify_person(s.client, statuses), RPC_OK);
	for (int i = 0; i < 3; i++)
		assert_string_equal(statuses[i], "ok");
	assert_false(tproc_log_contains(s.heduid, "event=heduid.config"));
	for (int i = 0; i < 3; i++)
		assert_false(tproc_log_contains(s.src[i], "event=rpc.reject"));
	rpc_client_free(s.client);
	s.client = NULL;
	assert_int_equal(tproc_stop(s.heduid), 0);

	/* The single-CA configuration of old: heduid.crt towards sources
	 * that trust only the source plane. */
	char ca[512], cert[512], key[512];
	snprintf(ca, sizeof ca, "%s", tcert("ca.crt"));
	snprintf(cert, sizeof cert, "%s", tcert("heduid.crt"));
	snprintf(key, sizeof key, "%s", tcert("heduid.key"));
	const char *old[] = {"--source-ca", ca, "--source-cert", cert,
	    "--source-key", key, NULL};
	assert_true(tstack_start_heduid(&s, old));
	assert_true(plane_consent(&s));
	assert_true(tproc_log_wait(s.heduid, "event=heduid.config", 3000));
	assert_int_equal(verify_person(s.client, statuses), RPC_OK);
	for (int i = 0; i < 3; i++)
		assert_string_equal(statuses[i], "failed");
	for (int i = 0; i < 3; i++)
		assert_log_clean(s.src[i]);
	assert_log_clean(s.heduid);
	assert_int_equal(tstack_stop(&s), 0);
}

/* One source of the source plane's CA must not answer as another: heduid
 * pointed at the tax source for the bank closes that connection before
 * any request goes over it, and says so. */
static void source_posing_as_another(void **state)
{
	(void)state;
	tstack s = {0};
	assert_true(tsources_start(tsource_fixtures(), s.src, s.ports, NULL));
	int bank_port = s.ports[0];
	s.ports[0] = s.ports[1]; /* --bank is the tax source */
	assert_true(tstack_start_heduid(&s, NULL));
	assert_true(plane_consent(&s));
	char statuses[3][16];
	assert_int_equal(verify_person(s.client, statuses), RPC_OK);
	assert_string_equal(statuses[0], "failed");
	assert_string_equal(statuses[1], "ok");
	assert_string_equal(statuses[2], "ok");
	assert_true(tproc_log_wait(s.heduid, "event=rpc.client.peer", 3000));
	assert_true(
	    tproc_log_contains(s.heduid, "expected=\"CN=source-bank\""));
	assert_true(tproc_log_contains(s.heduid, "peer=\"CN=source-tax"));
	/* The tax source never saw a bank request (without the check it
	 * answered one UNIMPLEMENTED). */
	assert_false(tproc_log_contains(s.src[1], "BankSource"));
	s.ports[0] = bank_port;
	assert_int_equal(tstack_stop(&s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(agency_certificate_refused_by_every_source),
	    cmocka_unit_test(source_plane_stranger_denied),
	    cmocka_unit_test(allow_client_flag),
	    cmocka_unit_test(heduid_on_the_source_plane),
	    cmocka_unit_test(source_posing_as_another),
	};
	ttls_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
