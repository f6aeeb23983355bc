/* SPDX-License-Identifier: MIT */
#include "rpc_builtin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "hedui/v1/health.pb-c.h"
#include "log.h"

/* A held Echo reply. Timers are pooled, not freed in their own callback:
 * nng_aio_free waits for the callback and would deadlock there. */
typedef struct rpc_echo_timer {
	struct rpc_echo_timer *next;
	rpc_builtin *owner;
	nng_aio *aio;
	rpc_call *call;
	const Hedui__V1__EchoRequest *req;
} rpc_echo_timer;

#define RPC_ECHO_DROPPED 64 /* request ids remembered for drop_connection=1   \
	                     */

struct rpc_builtin {
	rpc_server *srv;
	nng_mtx *mtx;
	rpc_echo_timer *free_list;
	rpc_echo_timer *all[256];
	int nall;
	char dropped[RPC_ECHO_DROPPED][65]; /* ring of request ids */
	int next_dropped;
};

/* Whether Echo should drop this call's connection (drop_connection). */
static bool rpc_echo_drops(rpc_builtin *b, rpc_call *call, uint32_t how)
{
	if (how == 0)
		return false;
	if (how != 1)
		return true;
	const char *rid = rpc_call_request_id(call);
	bool seen = false;
	nng_mtx_lock(b->mtx);
	for (int i = 0; i < RPC_ECHO_DROPPED && !seen; i++)
		seen = strcmp(b->dropped[i], rid) == 0;
	if (!seen) {
		snprintf(b->dropped[b->next_dropped], sizeof b->dropped[0],
		    "%s", rid);
		b->next_dropped = (b->next_dropped + 1) % RPC_ECHO_DROPPED;
	}
	nng_mtx_unlock(b->mtx);
	return !seen;
}

static void rpc_health_check(
    rpc_call *call, const ProtobufCMessage *m, void *arg)
{
	(void)arg;
	const Hedui__V1__HealthCheckRequest *req =
	    (const Hedui__V1__HealthCheckRequest *)m;
	Hedui__V1__HealthCheckResponse resp =
	    HEDUI__V1__HEALTH_CHECK_RESPONSE__INIT;
	switch (rpc_server_is_serving(rpc_call_server(call), req->service)) {
	case 1:
		resp.status =
		    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
		break;
	case 0:
		resp.status =
		    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
		break;
	default:
		resp.status =
		    HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
		break;
	}
	rpc_call_reply(call, &resp.base);
}

static void rpc_list_methods(
    rpc_call *call, const ProtobufCMessage *m, void *arg)
{
	(void)m;
	(void)arg;
	Hedui__V1__ListMethodsResponse resp =
	    HEDUI__V1__LIST_METHODS_RESPONSE__INIT;
	const char *const *names;
	resp.n_methods = rpc_server_methods(rpc_call_server(call), &names);
	resp.methods = (char **)names;
	rpc_call_reply(call, &resp.base);
}

static void rpc_echo_answer(rpc_call *call, const Hedui__V1__EchoRequest *req)
{
	if (req->fail_code != 0) {
		rpc_call_fail(call,
		    (rpc_code)(req->fail_code % RPC_CODE_COUNT), "%.200s",
		    req->fail_message);
		return;
	}
	Hedui__V1__EchoResponse resp = HEDUI__V1__ECHO_RESPONSE__INIT;
	size_t n = rpc_call_metadata_count(call);
	Hedui__V1__Metadata md[32];
	Hedui__V1__Metadata *mdp[32];
	if (n > 32)
		n = 32;
	for (size_t i = 0; i < n; i++) {
		const char *k, *v;
		rpc_call_metadata_at(call, i, &k, &v);
		hedui__v1__metadata__init(&md[i]);
		md[i].key = (char *)k;
		md[i].value = (char *)v;
		mdp[i] = &md[i];
	}
	resp.metadata = mdp;
	resp.n_metadata = n;
	resp.data = req->data;
	rpc_call_reply(call, &resp.base);
}

static void rpc_echo_timer_cb(void *arg)
{
	rpc_echo_timer *t = arg;
	rpc_builtin *b = t->owner;
	rpc_call *call = t->call;
	const Hedui__V1__EchoRequest *req = t->req;
	int rv = nng_aio_result(t->aio);

	t->call = NULL;
	nng_mtx_lock(b->mtx);
	t->next = b->free_list;
	b->free_list = t;
	nng_mtx_unlock(b->mtx);
	if (rv != 0)
		rpc_call_fail(call, RPC_CANCELLED, "server stopping");
	else
		rpc_echo_answer(call, req);
}

static void rpc_echo(rpc_call *call, const ProtobufCMessage *m, void *arg)
{
	rpc_builtin *b = arg;
	const Hedui__V1__EchoRequest *req = (const Hedui__V1__EchoRequest *)m;
	if (rpc_echo_drops(b, call, req->drop_connection)) {
		rpc_call_drop_connection(call);
		return;
	}
	if (req->sleep_ms == 0) {
		rpc_echo_answer(call, req);
		return;
	}
	nng_mtx_lock(b->mtx);
	rpc_echo_timer *t = b->free_list;
	if (t != NULL) {
		b->free_list = t->next;
	} else if (b->nall < (int)(sizeof b->all / sizeof b->all[0])) {
		t = calloc(1, sizeof *t);
		if (t != NULL &&
		    nng_aio_alloc(&t->aio, rpc_echo_timer_cb, t)) {
			free(t);
			t = NULL;
		}
		if (t != NULL) {
			t->owner = b;
			b->all[b->nall++] = t;
		}
	}
	nng_mtx_unlock(b->mtx);
	if (t == NULL) {
		rpc_call_fail(
		    call, RPC_RESOURCE_EXHAUSTED, "too many slow echoes held");
		return;
	}
	t->call = call;
	t->req = req;
	nng_sleep_aio((nng_duration)req->sleep_ms, t->aio);
}

rpc_builtin *rpc_builtin_add(rpc_server *srv, bool with_debug)
{
	rpc_builtin *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	b->srv = srv;
	if (nng_mtx_alloc(&b->mtx) != 0) {
		free(b);
		return NULL;
	}
	static const rpc_handler_fn health[] = {rpc_health_check};
	static const rpc_handler_fn reflection[] = {rpc_list_methods};
	static const rpc_handler_fn debug[] = {rpc_echo};
	if (rpc_server_add_service(
	        srv, &hedui__v1__health__descriptor, health, b) != HD_OK ||
	    rpc_server_add_service(srv, &hedui__v1__reflection__descriptor,
	        reflection, b) != HD_OK ||
	    (with_debug &&
	        rpc_server_add_service(
	            srv, &hedui__v1__debug__descriptor, debug, b) != HD_OK)) {
		rpc_builtin_free(b);
		return NULL;
	}
	return b;
}

void rpc_builtin_free(rpc_builtin *b)
{
	if (b == NULL)
		return;
	for (int i = 0; i < b->nall; i++)
		nng_aio_stop(b->all[i]->aio);
	for (int i = 0; i < b->nall; i++) {
		nng_aio_free(b->all[i]->aio);
		free(b->all[i]);
	}
	nng_mtx_free(b->mtx);
	free(b);
}
