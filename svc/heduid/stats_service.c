/* SPDX-License-Identifier: MIT */
/*
 * hedui.v1.Stats/Query: counts of checks over a period for a region
 * prefix, from the store's count tables (store_counts.h). The query is
 * signed by the agency exactly as a verification is, over its bytes, and
 * bound to the TLS identity of its connection (verify_authenticate); what
 * no agency signed is refused in aggregate (verify_refuse_unsigned). An
 * agency counts within its own region prefix only. The work of one query
 * is bounded: a period of at most STATS_MAX_DAYS, whole months read from
 * monthly counts, one query at a time (others: RESOURCE_EXHAUSTED), and
 * at most STATS_MAX_COUNTIES entries in an answer. Each query is audited
 * (its period and prefix) and answered once its record is durable.
 */
#include "stats_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hedui/v1/stats.pb-c.h"
#include "log.h"
#include "log_limit.h"
#include "pb_strcheck.h"
#include "stats_build.h"
#include "stats_query.h"
#include "store_counts.h"
#include "verify_internal.h"

typedef struct stats_call {
	rpc_call *call;
	stats_build *b;
	Hedui__V1__StatsResponse *resp;
	stats_query sq;
} stats_call;

static void stats_call_free(stats_call *sc)
{
	if (sc == NULL)
		return;
	stats_build_free(sc->b);
	free(sc);
}

/* A refusal of an authenticated agency: audited (not waited for),
 * logged within bounds, answered. */
static void stats_refuse(verify_service *vs, rpc_call *call,
    const agency_identity *who, const char *what, rpc_code code,
    const char *msg)
{
	static log_limit refused_log =
	    LOG_LIMIT_INIT("stats.refused", 20, 10000);
	store_audit a = verify_audit_of(call, who->subject, "", "", "", code);
	a.reason = what;
	store_append_audit_async(vs->store, &a, NULL, NULL);
	log_limited(&refused_log, LOG_LVL_WARN,
	    "agency=\"%s\" agency_region=%s code=%s reason=\"%s\"", who->name,
	    who->region_prefix, rpc_code_name(code), msg);
	rpc_call_fail(call, code, "%s", msg);
}

/* Decoded, whole UTF-8, signed by an agency over its bytes; NULL when
 * refused (answered). */
static Hedui__V1__StatsQuery *stats_open(verify_service *vs, rpc_call *call,
    const Hedui__V1__StatsRequest *req, agency_identity *who)
{
	char why[256];
	Hedui__V1__StatsQuery *q = hedui__v1__stats_query__unpack(
	    NULL, req->query.len, req->query.data);
	if (q == NULL) {
		verify_refuse_unsigned(vs, call, RPC_INVALID_ARGUMENT,
		    "undecodable",
		    "query does not decode as hedui.v1.StatsQuery");
		return NULL;
	}
	pb_strcheck_problem bad;
	if (!pb_strcheck_message(&hedui__v1__stats_query__descriptor,
	        req->query.data, req->query.len, &bad)) {
		snprintf(why, sizeof why, "StatsQuery field %s %s", bad.field,
		    bad.reason);
		verify_refuse_unsigned(
		    vs, call, RPC_INVALID_ARGUMENT, "bad-text", why);
		goto fail;
	}
	rpc_code code = verify_authenticate(vs, call, req->auth,
	    req->query.data, req->query.len, who, why, sizeof why);
	if (code != RPC_OK) {
		verify_refuse_unsigned(vs, call, code,
		    code == RPC_INVALID_ARGUMENT
		        ? "operator-id"
		        : agency_auth_refusal_kind(why),
		    why);
		goto fail;
	}
	return q;
fail:
	hedui__v1__stats_query__free_unpacked(q, NULL);
	return NULL;
}

static void stats_audited(hd_err err, store_report *stored, void *arg)
{
	(void)stored;
	stats_call *sc = arg;
	if (err != HD_OK)
		verify_fail_store(sc->call, err);
	else
		rpc_call_reply(sc->call, &sc->resp->base);
	stats_call_free(sc);
}

static void stats_handle(
    rpc_call *call, const ProtobufCMessage *msg, void *arg)
{
	verify_service *vs = arg;
	agency_identity who;
	Hedui__V1__StatsQuery *q =
	    stats_open(vs, call, (const Hedui__V1__StatsRequest *)msg, &who);
	stats_call *sc = NULL;
	char what[64], why[256];
	if (q == NULL)
		return;
	if ((sc = calloc(1, sizeof *sc)) == NULL ||
	    (sc->b = stats_build_alloc(STATS_MAX_COUNTIES)) == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	rpc_code code = stats_query_check(q, &who, &sc->sq, why, sizeof why);
	if (code != RPC_OK) {
		stats_refuse(vs, call, &who, "stats", code, why);
		goto out;
	}
	if (verify_refuse_if_unhealthy(vs, call))
		goto out;
	snprintf(what, sizeof what, "stats %s %s..%s", sc->sq.prefix,
	    sc->sq.from, sc->sq.to);
	hd_err e =
	    store_count_reports(vs->store, &sc->sq.q, stats_build_row, sc->b);
	if (e == HD_EBUSY) {
		stats_refuse(vs, call, &who, what, RPC_RESOURCE_EXHAUSTED,
		    "another statistics query is running: one at a time, try "
		    "again shortly");
		goto out;
	}
	if (e == HD_ETOOBIG) {
		stats_refuse(vs, call, &who, what, RPC_RESOURCE_EXHAUSTED,
		    "more counties and programs than one answer holds: ask "
		    "for a longer region prefix");
		goto out;
	}
	if (e == HD_ENOTSUP) {
		/* A store backend without count tables (store_backend_ops
		 * count_reports NULL): not a store failure. */
		rpc_call_fail(call, RPC_UNIMPLEMENTED,
		    "statistics need a store that keeps counts (SQLite, "
		    "PostgreSQL); "
		    "this store's backend does not");
		goto out;
	}
	if (e == HD_ENOMEM) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	if (e != HD_OK) {
		verify_fail_store(call, e);
		goto out;
	}
	sc->resp =
	    stats_build_finish(sc->b, sc->sq.from, sc->sq.to, sc->sq.prefix);
	if (sc->resp == NULL) {
		rpc_call_fail(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	sc->call = call;
	log_info("stats.query",
	    "agency=\"%s\" prefix=%s from=%s to=%s counties=%zu checks=%llu",
	    who.name, sc->sq.prefix, sc->sq.from, sc->sq.to,
	    sc->resp->n_counties, (unsigned long long)sc->resp->checks);
	store_audit a = verify_audit_of(call, who.subject, "", "", "", RPC_OK);
	a.reason = what;
	store_append_audit_async(vs->store, &a, stats_audited, sc);
	sc = NULL; /* answered by stats_audited */
out:
	stats_call_free(sc);
	hedui__v1__stats_query__free_unpacked(q, NULL);
}

hd_err stats_service_register(verify_service *vs, rpc_server *srv)
{
	static const rpc_handler_fn handlers[] = {stats_handle};
	_Static_assert(sizeof handlers / sizeof handlers[0] == 1,
	    "one handler per Stats method");
	return rpc_server_add_service(
	    srv, &hedui__v1__stats__descriptor, handlers, vs);
}
