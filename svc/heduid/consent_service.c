/* SPDX-License-Identifier: MIT */
/*
 * hedui.v1.Consents: registering, revoking, reading and listing consents
 * (docs/CONSENT.md). Each request is signed by the agency exactly as a
 * verification is, over its body bytes, and bound to the TLS identity of
 * its connection (verify_authenticate); what no agency signed is refused
 * in aggregate (verify_refuse_unsigned). An agency acts only on consents
 * of regions its prefix covers. Registrations and revocations are
 * answered once committed with their audit record; reads once their
 * audit record is.
 *
 * Logs never hold an ID number, a name, a form digest or a revocation
 * reason; consent numbers go through log_mask_client.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency_sig.h"
#include "consent_record.h"
#include "consent_service.h"
#include "hedui/v1/consent.pb-c.h"
#include "log.h"
#include "log_limit.h"
#include "log_mask.h"
#include "pb_strcheck.h"
#include "store_consent.h"
#include "utf8.h"
#include "verify_internal.h"

#define CONSENT_LIST_DEFAULT 100
#define CONSENT_LIST_MAX 1000
/* Members' and guardians' hashes. */
#define CONSENT_PERSONS_MAX (2 * CONSENT_MAX_MEMBERS * AUDIT_PERSON_HEX)

/* A call in progress past the store's queue. */
typedef struct consent_call {
	verify_service *vs;
	rpc_call *call;
	agency_identity who;
	char number_log[80]; /* the number as logs may show it */
	char region[7];
	const char *event;
	Hedui__V1__ListConsentsResponse list;
	consent_record_doc **docs;
	size_t n_docs;
	consent_record_doc *doc;
	bool unchanged;
	char next_page[8 + CONSENT_NUMBER_MAX];
} consent_call;

static void consent_call_free(consent_call *cc)
{
	if (cc == NULL)
		return;
	for (size_t i = 0; i < cc->n_docs; i++)
		free(cc->docs[i]);
	free(cc->docs);
	free(cc->list.records);
	free(cc->doc);
	free(cc);
}

/* The body's checks before anything else: it decodes, its strings are
 * whole UTF-8 (protobuf-c cuts at a NUL), and an agency signed it. */
static ProtobufCMessage *consent_open(verify_service *vs, rpc_call *call,
    const ProtobufCMessageDescriptor *desc, const ProtobufCBinaryData *body,
    const Hedui__V1__AgencyAuth *auth, agency_identity *who)
{
	char why[256];
	ProtobufCMessage *m =
	    protobuf_c_message_unpack(desc, NULL, body->len, body->data);
	if (m == NULL) {
		snprintf(
		    why, sizeof why, "body does not decode as %s", desc->name);
		verify_refuse_unsigned(
		    vs, call, RPC_INVALID_ARGUMENT, "undecodable", why);
		return NULL;
	}
	pb_strcheck_problem bad;
	if (!pb_strcheck_message(desc, body->data, body->len, &bad)) {
		snprintf(why, sizeof why, "%s field %s %s", desc->short_name,
		    bad.field, bad.reason);
		verify_refuse_unsigned(
		    vs, call, RPC_INVALID_ARGUMENT, "bad-text", why);
		goto fail;
	}
	rpc_code code = verify_authenticate(
	    vs, call, auth, body->data, body->len, who, why, sizeof why);
	if (code != RPC_OK) {
		verify_refuse_unsigned(vs, call, code,
		    code == RPC_INVALID_ARGUMENT
		        ? "operator-id"
		        : agency_auth_refusal_kind(why),
		    why);
		goto fail;
	}
	return m;
fail:
	protobuf_c_message_free_unpacked(m, NULL);
	return NULL;
}

/* An audit record of a consent call. */
static store_audit consent_audit_of(rpc_call *call, const agency_identity *who,
    const char *persons, const char *consents, const char *reason,
    rpc_code outcome)
{
	store_audit a =
	    verify_audit_of(call, who->subject, "", "", persons, outcome);
	a.consents = consents;
	a.reason = reason;
	return a;
}

/* A refusal of an authenticated agency: audited (not waited for), logged
 * within bounds, answered. */
static void consent_refuse(verify_service *vs, rpc_call *call,
    const agency_identity *who, const char *persons, const char *consents,
    rpc_code code, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void consent_refuse(verify_service *vs, rpc_call *call,
    const agency_identity *who, const char *persons, const char *consents,
    rpc_code code, const char *fmt, ...)
{
	static log_limit refused_log =
	    LOG_LIMIT_INIT("consent.refused", 20, 10000);
	char msg[512], safe[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	store_audit a =
	    consent_audit_of(call, who, persons, consents, "", code);
	store_append_audit_async(vs->store, &a, NULL, NULL);
	log_limited(&refused_log, LOG_LVL_WARN,
	    "method=%s agency=\"%s\" agency_region=%s code=%s reason=\"%s\"",
	    rpc_call_method(call), who->name, who->region_prefix,
	    rpc_code_name(code), log_mask_client(msg, safe, sizeof safe));
	rpc_call_fail(call, code, "%s", msg);
}

/* The region of a number within the agency's prefix when none is given:
 * the one region there that has it. RPC_OK with region set, or refused
 * (answered). */
typedef struct consent_regions {
	char list[8][7];
	size_t n;
} consent_regions;

static hd_err consent_region_of(const store_consent *c, void *arg)
{
	consent_regions *r = arg;
	if (r->n < 8)
		snprintf(r->list[r->n], sizeof r->list[0], "%s", c->region);
	r->n++;
	return HD_OK;
}

static bool consent_resolve(verify_service *vs, rpc_call *call,
    const agency_identity *who, const char *number, const char *given,
    char region[7])
{
	char ref[8 + CONSENT_NUMBER_MAX];
	if (!consent_number_ok(number)) {
		consent_refuse(vs, call, who, "", "", RPC_INVALID_ARGUMENT,
		    "number must be 1 to %d bytes of UTF-8 without spaces, "
		    "control characters, quotes, backslashes or commas",
		    CONSENT_NUMBER_MAX);
		return false;
	}
	if (given != NULL && given[0] != '\0') {
		if (!consent_region_ok(given)) {
			consent_refuse(vs, call, who, "", "",
			    RPC_INVALID_ARGUMENT,
			    "region_code must be 6 digits");
			return false;
		}
		snprintf(ref, sizeof ref, "%s/%s", given, number);
		/* Before any lookup: whether a consent exists outside its
		 * jurisdiction is none of the agency's business. */
		if (!agency_auth_covers(who, given)) {
			consent_refuse(vs, call, who, "", ref,
			    RPC_PERMISSION_DENIED,
			    "agency with region prefix %s may not act on "
			    "consents of region %s",
			    who->region_prefix, given);
			return false;
		}
		snprintf(region, 7, "%s", given);
		return true;
	}
	consent_regions found = {.n = 0};
	store_consent_query q = {
	    .number = number, .region_prefix = who->region_prefix, .limit = 8};
	hd_err e =
	    store_consent_list(vs->store, &q, consent_region_of, &found);
	if (e != HD_OK) {
		verify_fail_store(call, e);
		return false;
	}
	if (found.n == 0) {
		consent_refuse(vs, call, who, "", "", RPC_NOT_FOUND,
		    "no consent %s in region prefix %s", number,
		    who->region_prefix);
		return false;
	}
	if (found.n > 1) {
		char regions[80] = "";
		for (size_t i = 0; i < found.n && i < 8; i++) {
			strcat(regions, i > 0 ? ", " : "");
			strcat(regions, found.list[i]);
		}
		consent_refuse(vs, call, who, "", "", RPC_INVALID_ARGUMENT,
		    "consent %s is registered in regions %s%s: give "
		    "region_code",
		    number, regions, found.n > 8 ? ", ..." : "");
		return false;
	}
	snprintf(region, 7, "%s", found.list[0]);
	return true;
}

/* --- Register ---------------------------------------------------------- */

static void consent_registered(
    hd_err err, const store_consent *rec, bool unchanged, void *arg)
{
	consent_call *cc = arg;
	if (err == HD_OK) {
		log_info("consent.registered",
		    "number=\"%s\" region=%s members=%zu agency=\"%s\" "
		    "unchanged=%s",
		    cc->number_log, rec->region, rec->n_members, cc->who.name,
		    unchanged ? "true" : "false");
		consent_record_build(cc->doc, rec, idnum_date_today());
		Hedui__V1__ConsentResponse resp =
		    HEDUI__V1__CONSENT_RESPONSE__INIT;
		resp.record = &cc->doc->r;
		resp.unchanged = unchanged;
		rpc_call_reply(cc->call, &resp.base);
	} else if (err == HD_EEXIST) {
		char d[11];
		consent_date_format(consent_date_of_ms(rec->registered_ms), d);
		rpc_call_fail(cc->call, RPC_ALREADY_EXISTS,
		    "consent %s is already registered in region %s (on %s) "
		    "with other content: a number names one consent",
		    rec->number, rec->region, d);
	} else {
		verify_fail_store(cc->call, err);
	}
	consent_call_free(cc);
}

static void consent_register(
    rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	verify_service *vs = arg;
	const Hedui__V1__RegisterConsentRequest *req =
	    (const Hedui__V1__RegisterConsentRequest *)msg;
	agency_identity who;
	Hedui__V1__Consent *c = (Hedui__V1__Consent *)consent_open(vs, call,
	    &hedui__v1__consent__descriptor, &req->consent, req->auth, &who);
	consent_call *cc = NULL;
	consent_form *f = NULL;
	store_consent *sc = NULL;
	if (c == NULL)
		return;
	char ref[8 + CONSENT_NUMBER_MAX] = "";
	if (consent_number_ok(c->number) && consent_region_ok(c->region_code))
		snprintf(ref, sizeof ref, "%s/%s", c->region_code, c->number);
	consent_problem prob;
	f = malloc(sizeof *f);
	sc = malloc(sizeof *sc);
	cc = calloc(1, sizeof *cc);
	if (f == NULL || sc == NULL || cc == NULL ||
	    (cc->doc = malloc(sizeof *cc->doc)) == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	if (!consent_form_check(c, idnum_date_today(), f, &prob)) {
		/* The ID numbers may be what is wrong: no persons. */
		consent_refuse(vs, call, &who, "", ref, RPC_INVALID_ARGUMENT,
		    "%s %s", prob.field, prob.reason);
		goto out;
	}
	consent_record_from_form(vs->consents, f, sc);
	char persons[CONSENT_PERSONS_MAX];
	consent_record_persons(sc, persons, sizeof persons);
	/* An agency registers consents of its own jurisdiction only. */
	if (!agency_auth_covers(&who, f->region)) {
		consent_refuse(vs, call, &who, persons, ref,
		    RPC_PERMISSION_DENIED,
		    "agency with region prefix %s may not register consents "
		    "of region %s",
		    who.region_prefix, f->region);
		goto out;
	}
	if (verify_refuse_if_unhealthy(vs, call))
		goto out;
	snprintf(sc->agency, sizeof sc->agency, "%s", who.subject);
	snprintf(sc->agency_prefix, sizeof sc->agency_prefix, "%s",
	    who.region_prefix);
	sc->registered_ms = agency_sig_now_ms();
	cc->vs = vs;
	cc->call = call;
	cc->who = who;
	log_mask_client(f->number, cc->number_log, sizeof cc->number_log);
	store_audit a = consent_audit_of(call, &who, persons, ref, "", RPC_OK);
	store_consent_put_async(vs->store, sc, &a, consent_registered, cc);
	cc = NULL; /* answered by consent_registered */
out:
	consent_call_free(cc);
	free(sc);
	free(f);
	hedui__v1__consent__free_unpacked(c, NULL);
}

/* --- Revoke ------------------------------------------------------------ */

static void consent_revoked(
    hd_err err, const store_consent *rec, bool unchanged, void *arg)
{
	consent_call *cc = arg;
	if (err == HD_OK) {
		log_info("consent.revoked",
		    "number=\"%s\" region=%s agency=\"%s\" unchanged=%s",
		    cc->number_log, rec->region, cc->who.name,
		    unchanged ? "true" : "false");
		consent_record_build(cc->doc, rec, idnum_date_today());
		Hedui__V1__ConsentResponse resp =
		    HEDUI__V1__CONSENT_RESPONSE__INIT;
		resp.record = &cc->doc->r;
		resp.unchanged = unchanged;
		rpc_call_reply(cc->call, &resp.base);
	} else if (err == HD_ENOTFOUND) {
		rpc_call_fail(cc->call, RPC_NOT_FOUND,
		    "no consent %s in region %s", cc->number_log, cc->region);
	} else {
		verify_fail_store(cc->call, err);
	}
	consent_call_free(cc);
}

static bool consent_reason_ok(const char *s)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > CONSENT_REASON_MAX)
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return utf8_valid(s, strlen(s));
}

/*
 * The consent (number, region_code as given) a Revoke or Get names, for
 * who: its region resolved into region[7] and "REGION/NUMBER" into ref,
 * *cc (with its doc) and *sc allocated, *sc read. false when the call was
 * answered (refused, not found, out of memory, store down); the caller
 * frees *cc and *sc either way.
 */
static bool consent_lookup(verify_service *vs, rpc_call *call,
    const agency_identity *who, const char *number, const char *region_code,
    char region[7], char ref[8 + CONSENT_NUMBER_MAX], consent_call **cc,
    store_consent **sc)
{
	if (!consent_resolve(vs, call, who, number, region_code, region))
		return false;
	snprintf(ref, 8 + CONSENT_NUMBER_MAX, "%s/%s", region, number);
	if (verify_refuse_if_unhealthy(vs, call))
		return false;
	*cc = calloc(1, sizeof **cc);
	*sc = malloc(sizeof **sc);
	if (*cc == NULL || *sc == NULL ||
	    ((*cc)->doc = malloc(sizeof *(*cc)->doc)) == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return false;
	}
	hd_err e = store_consent_get(vs->store, region, number, *sc);
	if (e == HD_ENOTFOUND) {
		consent_refuse(vs, call, who, "", ref, RPC_NOT_FOUND,
		    "no consent %s in region %s", number, region);
		return false;
	}
	if (e != HD_OK) {
		verify_fail_store(call, e);
		return false;
	}
	return true;
}

static void consent_revoke(
    rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	verify_service *vs = arg;
	const Hedui__V1__RevokeConsentRequest *req =
	    (const Hedui__V1__RevokeConsentRequest *)msg;
	agency_identity who;
	Hedui__V1__ConsentRevocation *rv =
	    (Hedui__V1__ConsentRevocation *)consent_open(vs, call,
	        &hedui__v1__consent_revocation__descriptor, &req->revocation,
	        req->auth, &who);
	consent_call *cc = NULL;
	store_consent *sc = NULL;
	char region[7], ref[8 + CONSENT_NUMBER_MAX];
	if (rv == NULL)
		return;
	if (!consent_reason_ok(rv->reason)) {
		consent_refuse(vs, call, &who, "", "", RPC_INVALID_ARGUMENT,
		    "reason must be 1 to %d bytes of text without control "
		    "characters",
		    CONSENT_REASON_MAX);
		goto out;
	}
	if (!consent_lookup(vs, call, &who, rv->number, rv->region_code,
	        region, ref, &cc, &sc))
		goto out;
	char persons[CONSENT_PERSONS_MAX];
	consent_record_persons(sc, persons, sizeof persons);
	cc->vs = vs;
	cc->call = call;
	cc->who = who;
	snprintf(cc->region, sizeof cc->region, "%s", region);
	log_mask_client(rv->number, cc->number_log, sizeof cc->number_log);
	store_audit a = consent_audit_of(call, &who, persons, ref, "", RPC_OK);
	store_consent_revoke_async(vs->store, region, rv->number,
	    agency_sig_now_ms(), who.subject, rv->reason, &a, consent_revoked,
	    cc);
	cc = NULL;
out:
	consent_call_free(cc);
	free(sc);
	hedui__v1__consent_revocation__free_unpacked(rv, NULL);
}

/* --- Get and List: answered once their audit record is durable --------- */

static void consent_read_done(hd_err err, store_report *existing, void *arg)
{
	(void)existing;
	consent_call *cc = arg;
	if (err != HD_OK) {
		verify_fail_store(cc->call, err);
	} else if (cc->doc != NULL) {
		Hedui__V1__ConsentResponse resp =
		    HEDUI__V1__CONSENT_RESPONSE__INIT;
		resp.record = &cc->doc->r;
		rpc_call_reply(cc->call, &resp.base);
	} else {
		rpc_call_reply(cc->call, &cc->list.base);
	}
	consent_call_free(cc);
}

static void consent_get(rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	verify_service *vs = arg;
	const Hedui__V1__GetConsentRequest *req =
	    (const Hedui__V1__GetConsentRequest *)msg;
	agency_identity who;
	Hedui__V1__ConsentKey *k = (Hedui__V1__ConsentKey *)consent_open(vs,
	    call, &hedui__v1__consent_key__descriptor, &req->key, req->auth,
	    &who);
	consent_call *cc = NULL;
	store_consent *sc = NULL;
	char region[7], ref[8 + CONSENT_NUMBER_MAX];
	if (k == NULL)
		return;
	if (!consent_lookup(vs, call, &who, k->number, k->region_code, region,
	        ref, &cc, &sc))
		goto out;
	char persons[CONSENT_PERSONS_MAX];
	consent_record_persons(sc, persons, sizeof persons);
	consent_record_build(cc->doc, sc, idnum_date_today());
	cc->call = call;
	store_audit a = consent_audit_of(call, &who, persons, ref, "", RPC_OK);
	store_append_audit_async(vs->store, &a, consent_read_done, cc);
	cc = NULL;
out:
	consent_call_free(cc);
	free(sc);
	hedui__v1__consent_key__free_unpacked(k, NULL);
}

/* Collects a page of records, one more than asked to know whether there
 * is a next page. */
typedef struct consent_page {
	consent_call *cc;
	int limit;
	idnum_date today;
	char *consents; /* the audit record's list */
	size_t consents_len, consents_cap;
	bool more;
} consent_page;

static hd_err consent_collect(const store_consent *c, void *arg)
{
	consent_page *p = arg;
	consent_call *cc = p->cc;
	if ((int)cc->n_docs == p->limit) {
		p->more = true;
		return HD_EEXIST; /* stop */
	}
	consent_record_doc *d = malloc(sizeof *d);
	if (d == NULL)
		return HD_ENOMEM;
	consent_record_build(d, c, p->today);
	cc->docs[cc->n_docs++] = d;
	size_t need = p->consents_len + strlen(c->number) + 9;
	if (need > p->consents_cap) {
		size_t cap = need * 2;
		char *n = realloc(p->consents, cap);
		if (n == NULL)
			return HD_ENOMEM;
		p->consents = n;
		p->consents_cap = cap;
	}
	p->consents_len += (size_t)sprintf(p->consents + p->consents_len,
	    "%s%s/%s", p->consents_len > 0 ? "," : "", c->region, c->number);
	snprintf(
	    cc->next_page, sizeof cc->next_page, "%s%s", c->region, c->number);
	return HD_OK;
}

static void consent_list(
    rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	verify_service *vs = arg;
	const Hedui__V1__ListConsentsRequest *req =
	    (const Hedui__V1__ListConsentsRequest *)msg;
	agency_identity who;
	Hedui__V1__ConsentQuery *q = (Hedui__V1__ConsentQuery *)consent_open(
	    vs, call, &hedui__v1__consent_query__descriptor, &req->query,
	    req->auth, &who);
	consent_call *cc = NULL;
	consent_page page = {0};
	char person[AUDIT_PERSON_HEX] = "", id[IDNUM_LEN + 1];
	if (q == NULL)
		return;
	int kinds = (q->member_id_number[0] != '\0') + (q->number[0] != '\0') +
	            (q->expiring_before[0] != '\0');
	store_consent_query sq = {.today = idnum_date_today()};
	const char *reason = "";
	if (kinds != 1) {
		consent_refuse(vs, call, &who, "", "", RPC_INVALID_ARGUMENT,
		    "give exactly one of member_id_number, number and "
		    "expiring_before");
		goto out;
	}
	if (q->member_id_number[0] != '\0') {
		idnum_defect d = idnum_check(q->member_id_number, 0, id);
		if (d != IDNUM_OK) {
			consent_refuse(vs, call, &who, "", "",
			    RPC_INVALID_ARGUMENT, "member_id_number %s",
			    idnum_defect_str(d));
			goto out;
		}
		consent_registry_person(vs->consents, id, person);
		sq.person = person;
		reason = "list-member";
	} else if (q->number[0] != '\0') {
		if (!consent_number_ok(q->number)) {
			consent_refuse(vs, call, &who, "", "",
			    RPC_INVALID_ARGUMENT,
			    "number is not a consent number");
			goto out;
		}
		sq.number = q->number;
		reason = "list-number";
	} else {
		if (!idnum_date_parse(
		        q->expiring_before, &sq.expiring_before)) {
			consent_refuse(vs, call, &who, "", "",
			    RPC_INVALID_ARGUMENT,
			    "expiring_before must be a real date YYYY-MM-DD");
			goto out;
		}
		reason = "list-expiring";
	}
	const char *prefix = q->region_prefix;
	size_t pl = strlen(prefix);
	bool digits = pl >= 2 && pl <= 6;
	for (size_t i = 0; digits && i < pl; i++)
		digits = prefix[i] >= '0' && prefix[i] <= '9';
	if (pl == 0) {
		prefix = who.region_prefix;
	} else if (!digits) {
		consent_refuse(vs, call, &who, person, "",
		    RPC_INVALID_ARGUMENT,
		    "region_prefix must be 2 to 6 digits");
		goto out;
	} else if (strncmp(prefix, who.region_prefix,
	               strlen(who.region_prefix)) != 0) {
		consent_refuse(vs, call, &who, person, "",
		    RPC_PERMISSION_DENIED,
		    "agency with region prefix %s may not list consents of "
		    "region prefix %s",
		    who.region_prefix, prefix);
		goto out;
	}
	sq.region_prefix = prefix;
	if (q->limit > CONSENT_LIST_MAX) {
		consent_refuse(vs, call, &who, person, "",
		    RPC_INVALID_ARGUMENT, "limit must be at most %d",
		    CONSENT_LIST_MAX);
		goto out;
	}
	page.limit = q->limit > 0 ? (int)q->limit : CONSENT_LIST_DEFAULT;
	page.today = sq.today;
	char after_region[7] = "";
	const char *tok = q->page_token;
	if (tok[0] != '\0') {
		bool ok = strlen(tok) > 6 && consent_number_ok(tok + 6);
		for (int i = 0; ok && i < 6; i++)
			ok = tok[i] >= '0' && tok[i] <= '9';
		if (!ok) {
			consent_refuse(vs, call, &who, person, "",
			    RPC_INVALID_ARGUMENT,
			    "page_token is not one this service gave");
			goto out;
		}
		memcpy(after_region, tok, 6);
		sq.after_region = after_region;
		sq.after_number = tok + 6;
	}
	sq.limit = page.limit + 1;
	if (verify_refuse_if_unhealthy(vs, call))
		goto out;
	cc = calloc(1, sizeof *cc);
	if (cc == NULL || (cc->docs = calloc((size_t)page.limit,
	                       sizeof *cc->docs)) == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	page.cc = cc;
	hd_err e = store_consent_list(vs->store, &sq, consent_collect, &page);
	if (e != HD_OK && e != HD_EEXIST) {
		if (e == HD_ENOMEM)
			rpc_call_fail(
			    call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		else
			verify_fail_store(call, e);
		goto out;
	}
	hedui__v1__list_consents_response__init(&cc->list);
	cc->list.records =
	    calloc(cc->n_docs > 0 ? cc->n_docs : 1, sizeof *cc->list.records);
	if (cc->list.records == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cc->n_docs; i++)
		cc->list.records[i] = &cc->docs[i]->r;
	cc->list.n_records = cc->n_docs;
	cc->list.next_page_token = page.more ? cc->next_page : "";
	cc->call = call;
	log_info("consent.list", "agency=\"%s\" kind=%s records=%zu", who.name,
	    reason, cc->n_docs);
	store_audit a = consent_audit_of(call, &who, person,
	    page.consents != NULL ? page.consents : "", reason, RPC_OK);
	store_append_audit_async(vs->store, &a, consent_read_done, cc);
	cc = NULL;
out:
	consent_call_free(cc);
	free(page.consents);
	hedui__v1__consent_query__free_unpacked(q, NULL);
}

hd_err consent_service_register(verify_service *vs, rpc_server *srv)
{
	/* In the order of the service's methods in consent.proto. */
	static const rpc_handler_fn handlers[] = {
	    consent_register, consent_revoke, consent_get, consent_list};
	_Static_assert(sizeof handlers / sizeof handlers[0] == 4,
	    "one handler per Consents method");
	return rpc_server_add_service(
	    srv, &hedui__v1__consents__descriptor, handlers, vs);
}
