/* SPDX-License-Identifier: MIT */
/*
 * rpc_server_state: what a running server knows and its calls ask of it:
 * the method table, admission (in flight, draining, serving, the allow
 * list) and the calls' metrics. Apart from rpc_server_core.c (set-up and
 * tear-down, which starts the calls of rpc_server.c) so that the calls
 * and the set-up both use this file and neither calls the other back:
 * core -> rpc_server.c -> state, core -> state.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "rpc_server_impl.h"

static int64_t rpc_server_metric_inflight(void *arg)
{
	return rpc_server_inflight(arg);
}

void rpc_server_metrics_declare(rpc_server *srv)
{
	/* Latency buckets from a health check (~1 ms) to the longest
	 * deadline (30 s). */
	static const double secs[] = {0.001, 0.0025, 0.005, 0.01, 0.025,
	    0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
	metrics *m = srv->opts.metrics;
	if (m == NULL)
		return;
	/* One server per registry: a second declaration is refused,
	 * harmlessly. */
	metrics_family(m, "hedui_rpc_calls_total", METRICS_COUNTER,
	    "Calls answered, by method and status code (method \"unknown\": "
	    "no such method or an undecodable request).",
	    NULL, 0);
	metrics_family(m, "hedui_rpc_call_duration_seconds", METRICS_HISTOGRAM,
	    "From the request's arrival to its answer, by method.", secs,
	    sizeof secs / sizeof secs[0]);
	metrics_gauge_fn(m, "hedui_rpc_inflight",
	    "Calls being handled now (Health's own slots apart).",
	    rpc_server_metric_inflight, srv);
}

uint64_t rpc_server_now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

void rpc_server_metrics_call(
    rpc_server *srv, const rpc_method *method, rpc_code code, uint64_t since)
{
	metrics *m = srv->opts.metrics;
	if (m == NULL)
		return;
	/* Registered names only: a caller cannot make new series. */
	const char *name = method != NULL ? method->full_name : "unknown";
	char l1[160], l2[64], labels[240];
	metrics_label(l1, sizeof l1, "method", name);
	metrics_label(l2, sizeof l2, "code", rpc_code_name(code));
	snprintf(labels, sizeof labels, "%s,%s", l1, l2);
	metrics_inc(metrics_get(m, "hedui_rpc_calls_total", labels), 1);
	metrics_observe(
	    metrics_get(m, "hedui_rpc_call_duration_seconds", l1),
	    (double)(rpc_server_now_us() - since) / 1e6);
}

const rpc_method *rpc_server_find_method(rpc_server *srv, const char *name)
{
	if (name == NULL)
		return NULL;
	/* gRPC paths carry a leading slash; accept both spellings. */
	if (name[0] == '/')
		name++;
	for (size_t i = 0; i < srv->nmethods; i++)
		if (strcmp(srv->methods[i].full_name, name) == 0)
			return &srv->methods[i];
	return NULL;
}

size_t rpc_server_methods(const rpc_server *srv, const char *const **names)
{
	*names = srv->method_names;
	return srv->nmethods;
}

void rpc_server_drain(rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	srv->draining = true;
	srv->serving_all = 0;
	nng_mtx_unlock(srv->mtx);
	/* The listener stays open: closing it would also close every pipe it
	 * accepted, and with them the replies still owed. New requests are
	 * answered UNAVAILABLE instead; those in flight finish. */
}

bool rpc_server_draining(rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	bool d = srv->draining;
	nng_mtx_unlock(srv->mtx);
	return d;
}

bool rpc_server_inflight_take(rpc_server *srv, bool light)
{
	nng_mtx_lock(srv->mtx);
	int *n = light ? &srv->light_inflight : &srv->inflight;
	bool ok = *n < (light ? srv->opts.limits.health_inflight
	                      : srv->opts.max_inflight);
	if (ok)
		(*n)++;
	nng_mtx_unlock(srv->mtx);
	return ok;
}

void rpc_server_inflight_give(rpc_server *srv, bool light)
{
	nng_mtx_lock(srv->mtx);
	if (light)
		srv->light_inflight--;
	else
		srv->inflight--;
	nng_mtx_unlock(srv->mtx);
}

bool rpc_server_method_light(const rpc_method *m)
{
	return strcmp(m->service_name, "hedui.v1.Health") == 0;
}

bool rpc_server_peer_allowed(
    const rpc_server *srv, const rpc_method *m, const rpc_peer *peer)
{
	if (srv->opts.allow_peers == NULL || rpc_server_method_light(m))
		return true;
	for (size_t i = 0; srv->opts.allow_peers[i] != NULL; i++)
		if (rpc_peer_matches(peer, srv->opts.allow_peers[i]))
			return true;
	return false;
}

int rpc_server_inflight(const rpc_server *srv)
{
	nng_mtx_lock(srv->mtx);
	int n = srv->inflight;
	nng_mtx_unlock(srv->mtx);
	return n;
}

void rpc_server_set_serving(rpc_server *srv, const char *service, int serving)
{
	nng_mtx_lock(srv->mtx);
	if (service == NULL || service[0] == '\0')
		srv->serving_all = serving;
	for (size_t i = 0; i < srv->nservices; i++)
		if (service != NULL &&
		    strcmp(srv->services[i].name, service) == 0)
			srv->services[i].serving = serving;
	nng_mtx_unlock(srv->mtx);
}

void rpc_server_set_not_serving_why(rpc_server *srv, const char *why)
{
	nng_mtx_lock(srv->mtx);
	snprintf(srv->not_serving_why, sizeof srv->not_serving_why, "%s",
	    why != NULL ? why : "");
	nng_mtx_unlock(srv->mtx);
}

void rpc_server_not_serving_why(rpc_server *srv, char *out, size_t cap)
{
	nng_mtx_lock(srv->mtx);
	snprintf(out, cap, "%s", srv->not_serving_why);
	nng_mtx_unlock(srv->mtx);
}

int rpc_server_is_serving(const rpc_server *srv, const char *service)
{
	int r = -1;
	nng_mtx_lock(srv->mtx);
	bool sound = !srv->wedged && !srv->listener_stuck;
	if (service == NULL || service[0] == '\0') {
		r = srv->serving_all && sound;
	} else {
		for (size_t i = 0; i < srv->nservices; i++)
			if (strcmp(srv->services[i].name, service) == 0)
				r = srv->serving_all && sound &&
				    srv->services[i].serving;
	}
	nng_mtx_unlock(srv->mtx);
	return r;
}

bool rpc_server_is_serving_method(rpc_server *srv, const rpc_method *m)
{
	nng_mtx_lock(srv->mtx);
	/* Health must answer even while the server is not serving. */
	bool ok =
	    strcmp(m->service_name, "hedui.v1.Health") == 0 ||
	    (srv->serving_all && srv->services[m->service_index].serving);
	nng_mtx_unlock(srv->mtx);
	return ok;
}
