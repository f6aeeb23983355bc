/* SPDX-License-Identifier: MIT */
/*
 * The consent registry end to end (issue 15): heduid and the three
 * sources as real processes over mutual TLS; consents registered,
 * revoked, read and listed as agencies of several regions; every refusal
 * at verification; the registry across kill -9; the audit trail; the
 * transition mode; and no ID number, form digest or revocation reason in
 * any log.
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

#include <sqlite3.h>

#include "agency_sig.h"
#include "audit_verify.h"
#include "consent_form.h"
#include "hedui/v1/consent.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "idnum.h"
#include "rpc_client.h"
#include "tconsent.h"
#include "tsupport.h"
#include "tverify.h"

#define REASON "withdrawn in writing at the street office, form 7"
#define DIGEST                                                                \
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static tproc *heduid, *sources[3];
static int port, src_ports[3];
static char store_path[512], certs[256], urls[3][64];

/* Agencies: the county 330106, its neighbour 330105, their city 3301,
 * Beijing's city office 1101. */
enum { A330106, A330105, A3301, A1101, NAGENCIES };
static const char *const names[NAGENCIES] = {
    "agency-330106", "agency-330105", "agency-3301", "agency-1101"};
static rpc_client *clients[NAGENCIES];
static agency_signer *signers[NAGENCIES];

/* Persons: adults A, B, C, a child K (under 18), Y (17 when the consents
 * are signed, 18 since 2026-06-01), all in 330106. */
enum { PA, PB, PC, PK, PY, NPERSONS };
static char ids[NPERSONS][IDNUM_LEN + 1];

static char today[11];

static bool make_certs(void)
{
	snprintf(certs, sizeof certs, "%s", ttmp("certs"));
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
	    "cp -rp '%s' '%s' && sh '%s/certs/make-dev-pki.sh' '%s' "
	    "--agency 330105 >/dev/null 2>&1 && sh "
	    "'%s/certs/make-dev-pki.sh' '%s' --agency 3301 >/dev/null 2>&1",
	    getenv("HEDUI_CERTS"), certs, getenv("HEDUI_SRC"), certs,
	    getenv("HEDUI_SRC"), certs);
	if (system(cmd) != 0)
		return false;
	return setenv("HEDUI_CERTS", certs, 1) == 0;
}

static tproc *start(void)
{
	const char *extra[] = {
	    "--bank", urls[0], "--tax", urls[1], "--property", urls[2], NULL};
	return theduid_start_store(&port, store_path, extra);
}

static bool clients_new(void)
{
	char crt[512], key[512], err[256];
	for (int i = 0; i < NAGENCIES; i++) {
		snprintf(crt, sizeof crt, "%s/%s.crt", certs, names[i]);
		snprintf(key, sizeof key, "%s/%s.key", certs, names[i]);
		clients[i] = tclient(port, names[i]);
		if (signers[i] == NULL)
			signers[i] =
			    agency_signer_load(crt, key, err, sizeof err);
		if (clients[i] == NULL || signers[i] == NULL)
			return false;
	}
	return true;
}

static void clients_free(void)
{
	for (int i = 0; i < NAGENCIES; i++) {
		rpc_client_free(clients[i]);
		clients[i] = NULL;
	}
}

static int setup(void **state)
{
	(void)state;
	ttls_init();
	consent_date_format(idnum_date_today(), today);
	tidnum_330106(ids[PA], "19800101", 11);
	tidnum_330106(ids[PB], "19820202", 22);
	tidnum_330106(ids[PC], "19700303", 33);
	tidnum_330106(ids[PK], "20150505", 44);
	tidnum_330106(ids[PY], "20080601", 55);
	if (!make_certs())
		return -1;
	const char *fx = ttmp("consent-fixtures.json");
	FILE *f = fopen(fx, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	    "{\"persons\":[{\"id_number\":\"%s\",\"tax\":{\"wage_income_fen\":"
	    "600000}}]}\n",
	    ids[PA]);
	if (fclose(f) != 0 || !tsources_start(fx, sources, src_ports, NULL))
		return -1;
	for (int i = 0; i < 3; i++)
		snprintf(urls[i], sizeof urls[i], "%s", turl(src_ports[i]));
	snprintf(store_path, sizeof store_path, "%s", ttmp("consent.db"));
	if ((heduid = start()) == NULL)
		return -1;
	return clients_new() ? 0 : -1;
}

/* Whether a log holds any ID number, a name, the form digest or a
 * revocation reason. */
static bool log_is_clean(const char *path)
{
	if (path[0] == '\0')
		return true;
	for (int i = 0; i < NPERSONS; i++)
		if (tfile_contains(path, ids[i])) {
			fprintf(stderr, "ID number in %s\n", path);
			return false;
		}
	/* The households' members are all named 测试. */
	if (tfile_contains(path, "测试")) {
		fprintf(stderr, "a name in %s\n", path);
		return false;
	}
	if (tfile_contains(path, DIGEST) || tfile_contains(path, "9f86d081") ||
	    tfile_contains(path, REASON) ||
	    tfile_contains(path, "withdrawn")) {
		fprintf(stderr, "form digest or reason in %s\n", path);
		return false;
	}
	return true;
}

static bool log_is_clean_of_ids(const char *path)
{
	for (int i = 0; i < NPERSONS; i++)
		if (tfile_contains(path, ids[i]))
			return false;
	return true;
}

static int teardown(void **state)
{
	(void)state;
	char logs[4][512];
	tproc *all[4] = {heduid, sources[0], sources[1], sources[2]};
	clients_free();
	for (int i = 0; i < NAGENCIES; i++)
		agency_signer_free(signers[i]);
	for (int i = 0; i < 4; i++)
		snprintf(logs[i], sizeof logs[i], "%s",
		    all[i] != NULL ? tproc_log(all[i]) : "");
	int st = tproc_stop(heduid);
	for (int i = 0; i < 3; i++)
		tproc_stop(sources[i]);
	for (int i = 0; i < 4; i++)
		if (!log_is_clean(logs[i]))
			return -1;
	return st == 0 ? 0 : -1;
}

/* --- consents ------------------------------------------------------- */

static rpc_code reg(int agency, const tconsent *t, rpc_status *st,
    Hedui__V1__ConsentResponse **out)
{
	return tconsent_register(clients[agency], signers[agency], t, out, st);
}

/* A consent of 330106 covering persons (PK and PY through PA). */
static void consent_of(
    tconsent *t, const char *number, const int *who, size_t n)
{
	const char *members[NPERSONS];
	for (size_t i = 0; i < n; i++)
		members[i] = ids[who[i]];
	tconsent_init(t, number, "330106", members, n);
}

static void must_register(int agency, const tconsent *t)
{
	rpc_status st;
	rpc_code code = reg(agency, t, &st, NULL);
	if (code != RPC_OK)
		fail_msg("register %s: %s: %s", t->number, rpc_code_name(code),
		    st.message);
}

static rpc_code get(int agency, const char *number, const char *region,
    Hedui__V1__ConsentResponse **out, rpc_status *st)
{
	Hedui__V1__ConsentKey k = HEDUI__V1__CONSENT_KEY__INIT;
	k.number = (char *)number;
	k.region_code = (char *)(region != NULL ? region : "");
	return tconsent_call(clients[agency], signers[agency], "GetConsent",
	    &k.base, NULL, (ProtobufCMessage **)out, st);
}

static rpc_code list_as(int agency, Hedui__V1__ConsentQuery *q,
    Hedui__V1__ListConsentsResponse **out, rpc_status *st)
{
	return tconsent_call(clients[agency], signers[agency], "ListConsents",
	    &q->base, NULL, (ProtobufCMessage **)out, st);
}

static rpc_code revoke_as(int agency, const char *number, const char *region,
    rpc_status *st, Hedui__V1__ConsentResponse **out)
{
	return tconsent_revoke(
	    clients[agency], signers[agency], number, region, REASON, out, st);
}

/* --- households -------------------------------------------------------- */

typedef struct thh {
	Hedui__V1__Household h;
	Hedui__V1__Member m[8];
	Hedui__V1__Member *mp[8];
} thh;

static void hh_init(thh *t, const char *program, const char *as_of)
{
	memset(t, 0, sizeof *t);
	hedui__v1__household__init(&t->h);
	t->h.case_id = "330106-2026-CONSENT";
	t->h.request_id = "";
	t->h.region_code = "330106";
	t->h.area = "urban";
	t->h.program = (char *)program;
	t->h.as_of = (char *)as_of;
	t->h.members = t->mp;
}

static void hh_add(thh *t, int who, const char *consent_ref)
{
	size_t i = t->h.n_members++;
	hedui__v1__member__init(&t->m[i]);
	t->m[i].id_number = ids[who];
	t->m[i].name = "测试";
	t->m[i].relation = i == 0 ? "applicant" : "child";
	t->m[i].consent_ref = (char *)consent_ref;
	t->mp[i] = &t->m[i];
}

static rpc_code verify(int agency, thh *t, rpc_status *st,
    Hedui__V1__VerifyHouseholdResponse **out)
{
	static int seq;
	char rid[64];
	snprintf(rid, sizeof rid, "consent-%d-%d", (int)getpid(), ++seq);
	uint8_t body[4096];
	size_t len = hedui__v1__household__pack(&t->h, body);
	rpc_call_opts o = {.deadline_ms = 10000, .request_id = rid};
	return tverify_signed(
	    clients[agency], signers[agency], body, len, &o, out, st);
}

/* Refused FAILED_PRECONDITION, the message naming the member masked and
 * holding want. */
static void expect_refused(thh *t, int member, const char *want)
{
	rpc_status st;
	rpc_code code = verify(A330106, t, &st, NULL);
	if (code != RPC_FAILED_PRECONDITION ||
	    strstr(st.message, want) == NULL)
		fail_msg("expected FAILED_PRECONDITION \"%s\", got %s: %s",
		    want, rpc_code_name(code), st.message);
	char masked[IDNUM_MASKED_LEN + 1], who[64];
	idnum_mask(t->m[member].id_number, masked);
	snprintf(who, sizeof who, "members[%d] (%s)", member, masked);
	assert_non_null(strstr(st.message, who));
	for (int i = 0; i < NPERSONS; i++)
		assert_null(strstr(st.message, ids[i]));
}

/* --- tests --------------------------------------------------------------- */

/* A household whose consent is registered verifies; its report names the
 * consent; the child's consent was signed by a parent. */
static void registered_consent_verifies(void **state)
{
	(void)state;
	tconsent t;
	const int who[] = {PA, PK};
	consent_of(&t, "SQ-330106-2026-0101", who, 2);
	Hedui__V1__ConsentResponse *cr = NULL;
	rpc_status st;
	assert_int_equal(reg(A330106, &t, &st, &cr), RPC_OK);
	assert_false(cr->unchanged);
	Hedui__V1__ConsentRecord *r = cr->record;
	assert_string_equal(r->status, "valid");
	assert_int_equal(r->consent->n_members, 2);
	char masked[IDNUM_MASKED_LEN + 1];
	idnum_mask(ids[PK], masked);
	assert_string_equal(r->consent->members[1]->id_number, masked);
	assert_string_equal(r->consent->members[1]->signed_by, "guardian");
	assert_string_equal(r->consent->members[1]->guardian_basis, "minor");
	idnum_mask(ids[PA], masked);
	assert_string_equal(
	    r->consent->members[1]->guardian_id_number, masked);
	assert_string_equal(r->consent->form_sha256, DIGEST);
	assert_non_null(strstr(r->registered_by, "CN=agency-330106"));
	protobuf_c_message_free_unpacked(&cr->base, NULL);

	/* A retry of the same registration changes nothing. */
	assert_int_equal(reg(A330106, &t, &st, &cr), RPC_OK);
	assert_true(cr->unchanged);
	protobuf_c_message_free_unpacked(&cr->base, NULL);
	/* Another consent under the number: refused. */
	t.c.valid_until = "2029-12-31";
	assert_int_equal(reg(A330106, &t, &st, NULL), RPC_ALREADY_EXISTS);

	thh h;
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-0101");
	hh_add(&h, PK, "SQ-330106-2026-0101");
	Hedui__V1__VerifyHouseholdResponse *vr = NULL;
	assert_int_equal(verify(A330106, &h, &st, &vr), RPC_OK);
	assert_int_equal(vr->verdict->n_consents, 1);
	assert_string_equal(vr->verdict->consents[0], "SQ-330106-2026-0101");
	assert_string_equal(vr->verdict->consent_check, "registry");
	/* In the signed bytes too. */
	Hedui__V1__Verdict *signed_v =
	    hedui__v1__verdict__unpack(NULL, vr->report.len, vr->report.data);
	assert_non_null(signed_v);
	assert_string_equal(signed_v->consent_check, "registry");
	hedui__v1__verdict__free_unpacked(signed_v, NULL);
	protobuf_c_message_free_unpacked(&vr->base, NULL);
}

/* Who must sign: a guardian for a minor, an adult himself unless the
 * office attests incapacity, and a guardian is an adult. */
static void guardians(void **state)
{
	(void)state;
	tconsent t;
	rpc_status st;
	const int who[] = {PA, PK};
	consent_of(&t, "SQ-330106-2026-0102", who, 2);
	/* The child signing for herself. */
	t.m[1].signed_by = "self";
	t.m[1].guardian_id_number = "";
	t.m[1].guardian_relation = "";
	assert_int_equal(reg(A330106, &t, &st, NULL), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "members[1].signed_by"));
	assert_non_null(strstr(st.message, "under 18"));
	/* A minor as guardian. */
	consent_of(&t, "SQ-330106-2026-0102", who, 2);
	snprintf(t.guardians[1], sizeof t.guardians[1], "%s", ids[PY]);
	assert_int_equal(reg(A330106, &t, &st, NULL), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "members[1].guardian_id_number"));
	/* An adult through a guardian, without the office's attestation. */
	const int two[] = {PA, PB};
	consent_of(&t, "SQ-330106-2026-0102", two, 2);
	t.m[1].signed_by = "guardian";
	snprintf(t.guardians[1], sizeof t.guardians[1], "%s", ids[PA]);
	t.m[1].guardian_id_number = t.guardians[1];
	t.m[1].guardian_relation = "spouse";
	assert_int_equal(reg(A330106, &t, &st, NULL), RPC_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "members[1].guardian_basis"));
	/* With it. */
	t.m[1].guardian_basis = "incapacity";
	must_register(A330106, &t);
	/* No message names an ID number. */
	for (int i = 0; i < NPERSONS; i++)
		assert_null(strstr(st.message, ids[i]));
}

static void refused_unknown_number(void **state)
{
	(void)state;
	thh h;
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-9999");
	expect_refused(&h, 0, "is not registered in region 330106");
}

static void refused_revoked(void **state)
{
	(void)state;
	tconsent t;
	const int who[] = {PA};
	consent_of(&t, "SQ-330106-2026-0103", who, 1);
	must_register(A330106, &t);
	thh h;
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-0103");
	rpc_status st;
	assert_int_equal(verify(A330106, &h, &st, NULL), RPC_OK);
	Hedui__V1__ConsentResponse *cr = NULL;
	assert_int_equal(
	    revoke_as(A330106, "SQ-330106-2026-0103", "", &st, &cr), RPC_OK);
	assert_string_equal(cr->record->status, "revoked");
	assert_string_equal(cr->record->revoked_on, today);
	assert_string_equal(cr->record->revocation_reason, REASON);
	assert_false(cr->unchanged);
	protobuf_c_message_free_unpacked(&cr->base, NULL);
	char want[64];
	snprintf(want, sizeof want, "was revoked on %s", today);
	expect_refused(&h, 0, want);
	/* Never valid again: a second revocation changes nothing, and
	 * registering the same consent again gives it back revoked. */
	assert_int_equal(
	    revoke_as(A330106, "SQ-330106-2026-0103", "330106", &st, &cr),
	    RPC_OK);
	assert_true(cr->unchanged);
	protobuf_c_message_free_unpacked(&cr->base, NULL);
	assert_int_equal(reg(A330106, &t, &st, &cr), RPC_OK);
	assert_true(cr->unchanged);
	assert_string_equal(cr->record->status, "revoked");
	protobuf_c_message_free_unpacked(&cr->base, NULL);
	expect_refused(&h, 0, want);
	/* An unknown number cannot be revoked. */
	assert_int_equal(
	    revoke_as(A330106, "SQ-NONE", "330106", &st, NULL), RPC_NOT_FOUND);
}

static void refused_expired_and_not_yet_valid(void **state)
{
	(void)state;
	tconsent t;
	const int who[] = {PA};
	/* Its last day was the day before as_of. */
	consent_of(&t, "SQ-330106-2026-0104", who, 1);
	t.c.valid_until = "2026-10-31";
	must_register(A330106, &t);
	thh h;
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-0104");
	expect_refused(&h, 0, "expired on 2026-11-01 (valid until 2026-10-31");
	/* Valid on as_of, but no longer on the day of the check. */
	consent_of(&t, "SQ-330106-2026-0105", who, 1);
	t.c.valid_until = "2026-11-15";
	must_register(A330106, &t);
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-0105");
	expect_refused(&h, 0, "expired on 2026-11-16");
	/* Signed after as_of, valid from then. */
	consent_of(&t, "SQ-330106-2026-0106", who, 1);
	t.c.signed_on = "2026-11-10";
	t.c.valid_from = "2026-11-10";
	must_register(A330106, &t);
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-0106");
	expect_refused(&h, 0, "not yet valid: valid from 2026-11-10");
	/* The same household as of a day it covers verifies. */
	hh_init(&h, "dibao", "2026-11-20");
	hh_add(&h, PA, "SQ-330106-2026-0106");
	rpc_status st;
	assert_int_equal(verify(A330106, &h, &st, NULL), RPC_OK);
}

static void refused_scope(void **state)
{
	(void)state;
	tconsent t;
	const int who[] = {PA};
	consent_of(&t, "SQ-330106-2026-0107", who, 1);
	t.c.n_programs = 1;
	t.programs[0] = "marginal";
	must_register(A330106, &t);
	thh h;
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-0107");
	expect_refused(
	    &h, 0, "does not cover program dibao (it covers marginal)");
	hh_init(&h, "marginal", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-0107");
	rpc_status st;
	assert_int_equal(verify(A330106, &h, &st, NULL), RPC_OK);

	consent_of(&t, "SQ-330106-2026-0108", who, 1);
	t.c.n_sources = 2; /* bank and tax, not property */
	must_register(A330106, &t);
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-0108");
	expect_refused(&h, 0, "does not cover source property");
}

static void refused_member_not_covered(void **state)
{
	(void)state;
	tconsent t;
	const int who[] = {PA};
	consent_of(&t, "SQ-330106-2026-0109", who, 1);
	must_register(A330106, &t);
	thh h;
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-0109");
	hh_add(&h, PC, "SQ-330106-2026-0109");
	expect_refused(&h, 1, "does not cover this member");

	/* A guardian's signature for a minor stops covering them at 18. */
	const int young[] = {PA, PY};
	consent_of(&t, "SQ-330106-2026-0110", young, 2);
	assert_string_equal(t.m[1].signed_by, "guardian");
	must_register(A330106, &t);
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-330106-2026-0110");
	hh_add(&h, PY, "SQ-330106-2026-0110");
	expect_refused(&h, 1, "turned 18 on 2026-06-01");
}

static void refused_other_region(void **state)
{
	(void)state;
	/* Beijing's city office registers a consent for one of its
	 * counties; a household of 330106 cites its number. */
	tconsent t;
	const char *members[] = {ids[PA]};
	tconsent_init(&t, "SQ-BJ-2026-0001", "110105", members, 1);
	must_register(A1101, &t);
	thh h;
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "SQ-BJ-2026-0001");
	expect_refused(&h, 0, "by an agency outside region 330106");
	/* The number is the region's: 330106 may have its own. */
	tconsent_init(&t, "SQ-BJ-2026-0001", "330106", members, 1);
	must_register(A330106, &t);
	rpc_status st;
	assert_int_equal(verify(A330106, &h, &st, NULL), RPC_OK);
}

/* An agency acts on consents of its own jurisdiction only. */
static void authorization_across_agencies(void **state)
{
	(void)state;
	rpc_status st;
	tconsent t;
	const int who[] = {PB};
	consent_of(&t, "SQ-330106-2026-0111", who, 1);
	/* Registering for another region. */
	assert_int_equal(reg(A1101, &t, &st, NULL), RPC_PERMISSION_DENIED);
	assert_int_equal(reg(A330105, &t, &st, NULL), RPC_PERMISSION_DENIED);
	/* The city office may. */
	must_register(A3301, &t);

	Hedui__V1__ConsentResponse *cr = NULL;
	assert_int_equal(
	    get(A330106, "SQ-330106-2026-0111", "", &cr, &st), RPC_OK);
	assert_non_null(strstr(cr->record->registered_by, "CN=agency-3301,"));
	protobuf_c_message_free_unpacked(&cr->base, NULL);
	/* Outside the prefix: denied when the region is named, not found
	 * when it is not (whether it exists is not theirs to know). */
	assert_int_equal(
	    get(A1101, "SQ-330106-2026-0111", "330106", NULL, &st),
	    RPC_PERMISSION_DENIED);
	assert_int_equal(
	    get(A1101, "SQ-330106-2026-0111", "", NULL, &st), RPC_NOT_FOUND);
	assert_int_equal(
	    get(A330105, "SQ-330106-2026-0111", "", NULL, &st), RPC_NOT_FOUND);
	assert_int_equal(
	    revoke_as(A1101, "SQ-330106-2026-0111", "330106", &st, NULL),
	    RPC_PERMISSION_DENIED);
	assert_int_equal(
	    revoke_as(A330105, "SQ-330106-2026-0111", "", &st, NULL),
	    RPC_NOT_FOUND);

	/* Lists: by member, only consents within the caller's prefix. */
	Hedui__V1__ConsentQuery q = HEDUI__V1__CONSENT_QUERY__INIT;
	q.member_id_number = ids[PB];
	Hedui__V1__ListConsentsResponse *lr = NULL;
	assert_int_equal(list_as(A330106, &q, &lr, &st), RPC_OK);
	bool listed = false;
	for (size_t i = 0; i < lr->n_records; i++)
		listed |= strcmp(lr->records[i]->consent->number,
		              "SQ-330106-2026-0111") == 0;
	assert_true(listed);
	protobuf_c_message_free_unpacked(&lr->base, NULL);
	assert_int_equal(list_as(A1101, &q, &lr, &st), RPC_OK);
	assert_int_equal(lr->n_records, 0);
	protobuf_c_message_free_unpacked(&lr->base, NULL);
	q.region_prefix = "33";
	assert_int_equal(
	    list_as(A330106, &q, NULL, &st), RPC_PERMISSION_DENIED);
	q.region_prefix = "";
	/* By number. */
	q.member_id_number = "";
	q.number = "SQ-BJ-2026-0001";
	assert_int_equal(list_as(A3301, &q, &lr, &st), RPC_OK);
	assert_int_equal(lr->n_records, 1);
	assert_string_equal(lr->records[0]->consent->region_code, "330106");
	protobuf_c_message_free_unpacked(&lr->base, NULL);
	/* Two kinds at once. */
	q.member_id_number = ids[PB];
	assert_int_equal(
	    list_as(A330106, &q, NULL, &st), RPC_INVALID_ARGUMENT);

	/* The city office revokes; the county sees it revoked. */
	assert_int_equal(
	    revoke_as(A3301, "SQ-330106-2026-0111", "", &st, NULL), RPC_OK);
	assert_int_equal(
	    get(A330106, "SQ-330106-2026-0111", "330106", &cr, &st), RPC_OK);
	assert_string_equal(cr->record->status, "revoked");
	assert_non_null(strstr(cr->record->revoked_by, "CN=agency-3301,"));
	protobuf_c_message_free_unpacked(&cr->base, NULL);
}

/* What a monitoring run asks: unrevoked consents ending before a date. */
static void list_expiring(void **state)
{
	(void)state;
	idnum_date d = idnum_date_today();
	char soon[11], later[11], before[11];
	consent_date_format(consent_date_add_days(d, 10), soon);
	consent_date_format(consent_date_add_days(d, 20), later);
	consent_date_format(consent_date_add_days(d, 30), before);
	tconsent t;
	const int who[] = {PC};
	consent_of(&t, "SQ-330106-2026-0201", who, 1);
	t.c.valid_until = soon;
	must_register(A330106, &t);
	consent_of(&t, "SQ-330106-2026-0202", who, 1);
	t.c.valid_until = later;
	must_register(A330106, &t);
	consent_of(&t, "SQ-330106-2026-0203", who, 1); /* revoked */
	t.c.valid_until = later;
	must_register(A330106, &t);
	rpc_status st;
	assert_int_equal(
	    revoke_as(A330106, "SQ-330106-2026-0203", "", &st, NULL), RPC_OK);
	Hedui__V1__ConsentQuery q = HEDUI__V1__CONSENT_QUERY__INIT;
	q.expiring_before = before;
	q.limit = 1;
	Hedui__V1__ListConsentsResponse *lr = NULL;
	assert_int_equal(list_as(A330106, &q, &lr, &st), RPC_OK);
	assert_int_equal(lr->n_records, 1);
	assert_string_equal(
	    lr->records[0]->consent->number, "SQ-330106-2026-0201");
	assert_string_not_equal(lr->next_page_token, "");
	char token[128];
	snprintf(token, sizeof token, "%s", lr->next_page_token);
	protobuf_c_message_free_unpacked(&lr->base, NULL);
	q.page_token = token;
	assert_int_equal(list_as(A330106, &q, &lr, &st), RPC_OK);
	assert_int_equal(lr->n_records, 1);
	assert_string_equal(
	    lr->records[0]->consent->number, "SQ-330106-2026-0202");
	assert_string_equal(lr->next_page_token, "");
	protobuf_c_message_free_unpacked(&lr->base, NULL);
	/* Beijing's office sees none of them. */
	q.page_token = "";
	q.limit = 0;
	assert_int_equal(list_as(A1101, &q, &lr, &st), RPC_OK);
	for (size_t i = 0; i < lr->n_records; i++)
		assert_string_not_equal(
		    lr->records[i]->consent->region_code, "330106");
	protobuf_c_message_free_unpacked(&lr->base, NULL);
}

static int audit_count(const char *where)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char sql[512];
	int n = -1;
	snprintf(
	    sql, sizeof sql, "SELECT count(*) FROM audit WHERE %s", where);
	if (sqlite3_open_v2(store_path, &db, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Registration, revocation and each refusal are records of the one
 * chain, which still verifies; the verification records name their
 * consents. */
static void audit_trail(void **state)
{
	(void)state;
	/* Refusal records are not waited for: a read is. */
	rpc_status st;
	assert_int_equal(
	    get(A330106, "SQ-330106-2026-0101", "", NULL, &st), RPC_OK);
	assert_true(audit_count("method = 'hedui.v1.Consents/RegisterConsent'"
	                        " AND outcome = 0 AND consents = "
	                        "'330106/SQ-330106-2026-0101'") >= 1);
	assert_true(audit_count("method = 'hedui.v1.Consents/RegisterConsent'"
	                        " AND outcome = 6") >= 1);
	assert_true(audit_count("method = 'hedui.v1.Consents/RegisterConsent'"
	                        " AND outcome = 7") >= 2);
	assert_true(audit_count("method = 'hedui.v1.Consents/RevokeConsent'"
	                        " AND consents = "
	                        "'330106/SQ-330106-2026-0103'") >= 2);
	static const char *const kinds[] = {"consent-unknown",
	    "consent-revoked", "consent-expired", "consent-not-yet-valid",
	    "consent-program", "consent-source", "consent-member",
	    "consent-region"};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char where[256];
		snprintf(where, sizeof where,
		    "method = 'hedui.v1.Verifier/VerifyHousehold' AND "
		    "outcome = 9 AND reason = '%s' AND consents LIKE "
		    "'330106/%%'",
		    kinds[i]);
		if (audit_count(where) < 1)
			fail_msg("no audit record of a %s refusal", kinds[i]);
	}
	assert_true(
	    audit_count("method = 'hedui.v1.Verifier/VerifyHousehold'"
	                " AND outcome = 0 AND report_id != '' AND "
	                "consents = '330106/SQ-330106-2026-0101'") >= 1);
	/* Persons as keyed hashes only. */
	for (int i = 0; i < NPERSONS; i++) {
		char where[128];
		snprintf(where, sizeof where, "persons LIKE '%%%s%%'", ids[i]);
		assert_int_equal(audit_count(where), 0);
	}
	uint8_t key[64];
	size_t keylen = 0;
	char keypath[600], err[256];
	snprintf(keypath, sizeof keypath, "%s.audit-key", store_path);
	FILE *f = fopen(keypath, "rb");
	assert_non_null(f);
	keylen = fread(key, 1, sizeof key, f);
	fclose(f);
	int64_t records = 0;
	assert_int_equal(audit_verify_store(store_path, key, keylen, &records,
	                     err, sizeof err),
	    HD_OK);
	assert_true(records > 20);
}

/* A consent whose registration was answered is there after kill -9. */
static void survives_kill9(void **state)
{
	(void)state;
	tconsent t;
	const int who[] = {PC};
	consent_of(&t, "SQ-330106-2026-0301", who, 1);
	must_register(A330106, &t);
	clients_free();
	tproc_kill(heduid);
	heduid = start();
	assert_non_null(heduid);
	assert_true(clients_new());
	Hedui__V1__ConsentResponse *cr = NULL;
	rpc_status st;
	assert_int_equal(
	    get(A330106, "SQ-330106-2026-0301", "", &cr, &st), RPC_OK);
	assert_string_equal(cr->record->status, "valid");
	protobuf_c_message_free_unpacked(&cr->base, NULL);
	thh h;
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PC, "SQ-330106-2026-0301");
	assert_int_equal(verify(A330106, &h, &st, NULL), RPC_OK);
}

/* [consent] mode = unchecked: any reference, and the report says so. */
static void unchecked_mode(void **state)
{
	(void)state;
	const char *extra[] = {"--bank", urls[0], "--tax", urls[1],
	    "--property", urls[2], "--consent-mode", "unchecked", NULL};
	int p2;
	tproc *h2 = theduid_start(&p2, extra);
	assert_non_null(h2);
	assert_true(tproc_log_wait(h2, "consents are not checked", 3000));
	rpc_client *c = tclient(p2, "agency-330106");
	thh h;
	hh_init(&h, "dibao", "2026-11-01");
	hh_add(&h, PA, "anything at all");
	uint8_t body[4096];
	size_t len = hedui__v1__household__pack(&h.h, body);
	rpc_call_opts o = {.deadline_ms = 10000, .request_id = "unchecked-1"};
	Hedui__V1__VerifyHouseholdResponse *vr = NULL;
	rpc_status st;
	assert_int_equal(
	    tverify_signed(c, signers[A330106], body, len, &o, &vr, &st),
	    RPC_OK);
	assert_string_equal(vr->verdict->consent_check, "unchecked");
	assert_int_equal(vr->verdict->n_consents, 1);
	assert_string_equal(vr->verdict->consents[0], "anything at all");
	protobuf_c_message_free_unpacked(&vr->base, NULL);
	/* An empty reference is still refused. */
	h.m[0].consent_ref = "";
	len = hedui__v1__household__pack(&h.h, body);
	o.request_id = "unchecked-2";
	assert_int_equal(
	    tverify_signed(c, signers[A330106], body, len, &o, NULL, &st),
	    RPC_FAILED_PRECONDITION);
	rpc_client_free(c);
	char log[512];
	snprintf(log, sizeof log, "%s", tproc_log(h2));
	assert_int_equal(tproc_stop(h2), 0);
	assert_true(log_is_clean(log));
}

/* Runs the CLI as agency NAME; its exit status, its output in log. */
static int run_cli(const char *agency, const char *const args[], char log[512])
{
	char *argv[40], crt[512], key[512], url[64];
	int n = 0;
	static char bin[512];
	snprintf(bin, sizeof bin, "%s", tbin("hedui"));
	snprintf(crt, sizeof crt, "%s/%s.crt", certs, agency);
	snprintf(key, sizeof key, "%s/%s.key", certs, agency);
	snprintf(url, sizeof url, "%s", turl(port));
	argv[n++] = bin;
	argv[n++] = "--server";
	argv[n++] = url;
	argv[n++] = "--cert";
	argv[n++] = crt;
	argv[n++] = "--key";
	argv[n++] = key;
	argv[n++] = "--operator";
	argv[n++] = "officer-7";
	for (int i = 0; args[i] != NULL && n < 39; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	tproc *p = tproc_start("hedui", argv);
	assert_non_null(p);
	snprintf(log, 512, "%s", tproc_log(p));
	tproc_wait(p, 30000);
	return tproc_stop(p);
}

/* hedui consent add / show / list / revoke, with verify's conventions:
 * 0 an answer, 2 bad usage or file (nothing sent), 3 a refusal, 4 no
 * service. */
static void cli_commands(void **state)
{
	(void)state;
	char log[512];
	const char *file = ttmp("cli-consent.json");
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fprintf(f,
	    "[{\"number\": \"SQ-330106-2026-0401\", \"region_code\": "
	    "\"330106\", \"signed_on\": \"2026-10-20\", \"valid_from\": "
	    "\"2026-10-20\", \"valid_until\": \"2027-10-19\", \"programs\": "
	    "[\"dibao\"], \"sources\": [\"bank\", \"tax\", \"property\"], "
	    "\"form_sha256\": \"%s\", \"members\": [{\"id_number\": \"%s\", "
	    "\"signed_by\": \"self\"}, {\"id_number\": \"%s\", \"signed_by\": "
	    "\"guardian\", \"guardian_id_number\": \"%s\", "
	    "\"guardian_relation\": \"parent\"}]}]\n",
	    DIGEST, ids[PB], ids[PK], ids[PB]);
	fclose(f);
	const char *add[] = {"consent", "add", file, NULL};
	assert_int_equal(run_cli("agency-330106", add, log), 0);
	assert_true(tfile_contains(log, "registered"));
	assert_true(tfile_contains(log, "SQ-330106-2026-0401"));
	assert_true(tfile_contains(log, "signed by guardian"));
	assert_true(log_is_clean_of_ids(log));
	assert_int_equal(run_cli("agency-330106", add, log), 0);
	assert_true(tfile_contains(log, "already registered (unchanged)"));
	/* Beijing's office may not register it. */
	assert_int_equal(run_cli("agency-1101", add, log), 3);
	assert_true(tfile_contains(log, "PERMISSION_DENIED"));

	const char *show[] = {
	    "consent", "show", "SQ-330106-2026-0401", "--json", NULL};
	assert_int_equal(run_cli("agency-330106", show, log), 0);
	assert_true(tfile_contains(log, "\"status\": \"valid\""));
	assert_true(log_is_clean_of_ids(log));
	const char *by_member[] = {
	    "consent", "list", "--member", ids[PK], NULL};
	assert_int_equal(run_cli("agency-330106", by_member, log), 0);
	assert_true(tfile_contains(log, "SQ-330106-2026-0401"));
	assert_true(tfile_contains(log, "份授权书 consent(s)"));
	assert_true(log_is_clean_of_ids(log));
	const char *by_number[] = {
	    "consent", "list", "--number", "SQ-330106-2026-0401", NULL};
	assert_int_equal(run_cli("agency-3301", by_number, log), 0);
	assert_true(tfile_contains(log, "SQ-330106-2026-0401"));
	const char *within[] = {
	    "consent", "list", "--expiring-within", "30", "--json", NULL};
	assert_int_equal(run_cli("agency-330106", within, log), 0);
	assert_true(tfile_contains(log, "\"next_page_token\""));

	const char *revoke[] = {"consent", "revoke", "SQ-330106-2026-0401",
	    "--reason", REASON, NULL};
	assert_int_equal(run_cli("agency-330106", revoke, log), 0);
	assert_true(tfile_contains(log, "已撤回 revoked"));
	const char *unknown[] = {"consent", "show", "SQ-NOT-THERE", NULL};
	assert_int_equal(run_cli("agency-330106", unknown, log), 3);
	assert_true(tfile_contains(log, "NOT_FOUND"));

	/* Bad usage and bad files: 2, nothing sent, no ID echoed. */
	const char *no_reason[] = {
	    "consent", "revoke", "SQ-330106-2026-0401", NULL};
	assert_int_equal(run_cli("agency-330106", no_reason, log), 2);
	const char *two_kinds[] = {
	    "consent", "list", "--member", ids[PA], "--number", "SQ-1", NULL};
	assert_int_equal(run_cli("agency-330106", two_kinds, log), 2);
	f = fopen(file, "w");
	assert_non_null(f);
	fprintf(f,
	    "{\"number\": \"SQ-330106-2026-0402\", \"region_code\": "
	    "\"330106\", \"signed_on\": \"2026-10-20\", \"valid_from\": "
	    "\"2026-10-20\", \"valid_until\": \"2027-10-19\", \"programs\": "
	    "[\"dibao\"], \"sources\": [\"bank\"], \"form_sha256\": \"%s\", "
	    "\"members\": [{\"id_number\": \"%s\", \"signed_by\": "
	    "\"self\"}]}\n",
	    DIGEST, ids[PK]);
	fclose(f);
	assert_int_equal(run_cli("agency-330106", add, log), 2);
	assert_true(tfile_contains(log, "members[0].signed_by"));
	assert_true(log_is_clean_of_ids(log));
	/* --form: the digest of the scan must be the file's. */
	const char *scan = ttmp("scan.pdf");
	f = fopen(scan, "w");
	assert_non_null(f);
	fputs("not the signed form", f);
	fclose(f);
	const char *with_form[] = {
	    "consent", "add", file, "--form", scan, NULL};
	assert_int_equal(run_cli("agency-330106", with_form, log), 2);
	assert_true(tfile_contains(log, "is not the SHA-256 of"));

	/* No service: 4. */
	char *argv[] = {"consent", "show", "SQ-1", NULL};
	int saved = port;
	port = tport_free();
	assert_int_equal(
	    run_cli("agency-330106", (const char *const *)argv, log), 4);
	port = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(registered_consent_verifies),
	    cmocka_unit_test(guardians),
	    cmocka_unit_test(refused_unknown_number),
	    cmocka_unit_test(refused_revoked),
	    cmocka_unit_test(refused_expired_and_not_yet_valid),
	    cmocka_unit_test(refused_scope),
	    cmocka_unit_test(refused_member_not_covered),
	    cmocka_unit_test(refused_other_region),
	    cmocka_unit_test(authorization_across_agencies),
	    cmocka_unit_test(list_expiring),
	    cmocka_unit_test(audit_trail),
	    cmocka_unit_test(survives_kill9),
	    cmocka_unit_test(unchecked_mode),
	    cmocka_unit_test(cli_commands),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
