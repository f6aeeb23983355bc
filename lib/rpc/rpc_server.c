/* SPDX-License-Identifier: MIT */
/*
 * rpc_server: envelope handling, dispatch and the per-context state machine.
 *
 * Each context (struct rpc_call) cycles RECV -> HANDLING -> SENDING -> RECV.
 * A handler may finish after its deadline; the reaper then has already
 * answered DEADLINE_EXCEEDED, and the context waits in ORPHAN until the
 * handler lets go of it, so that nothing it holds is freed under it.
 *
 * There are max_inflight + reject_contexts contexts. At most max_inflight
 * run handlers, so the rest are always free to receive, and a request over
 * the bound is answered RESOURCE_EXHAUSTED at once instead of queueing.
 */
#include "rpc_server_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>

#include "log.h"
#include "log_limit.h"
#include "log_mask.h"
#include "pb_strcheck.h"
#include "rpc_envelope.h"
#include "utf8.h"

/* The longest the reaper sleeps. It wakes for the earliest deadline of a
 * running call: polling every few milliseconds instead cost a lock of
 * every context each time, and a wake-up of nng's timer thread, which
 * walks every pending timeout. */
#define RPC_REAPER_MAX_MS 1000
#define RPC_TIME_NEVER ((nng_time)-1)

/* What any peer can cause at will is logged within bounds. */
static log_limit rpc_reject_log = LOG_LIMIT_INIT("rpc.reject", 50, 10000);
static log_limit rpc_fail_log = LOG_LIMIT_INIT("rpc.fail", 50, 10000);
static log_limit rpc_deadline_log = LOG_LIMIT_INIT("rpc.deadline", 50, 10000);

static void rpc_call_cb(void *arg);
static void rpc_call_after_send(rpc_call *c, int rv);
static void rpc_reaper_cb(void *arg);

static void rpc_call_start_recv(rpc_call *c)
{
	c->state = RPC_CALL_RECV;
	nng_ctx_recv(c->ctx, c->aio);
}

/* Frees what the finished request held. Called with no handler running. */
static void rpc_call_clear(rpc_call *c)
{
	if (c->counted && c->srv->conns != NULL)
		rpc_conns_done(c->srv->conns, c->pipe);
	c->counted = false;
	c->light = false;
	if (c->msg != NULL && c->method != NULL)
		protobuf_c_message_free_unpacked(c->msg, NULL);
	c->msg = NULL;
	if (c->env != NULL)
		hedui__v1__rpc_request__free_unpacked(c->env, NULL);
	c->env = NULL;
	c->method = NULL;
	c->handler_done = false;
	c->timed_out = false;
	c->request_id[0] = '\0';
}

/* Sends an encoded reply; c->state becomes SENDING. Called unlocked. */
static void rpc_call_send(rpc_call *c, nng_msg *m)
{
	if (m == NULL) {
		log_error("rpc.reply", "error=\"out of memory\"");
		/* Nothing to send: the caller's deadline will tell it. */
		rpc_call_after_send(c, NNG_ENOMEM);
		return;
	}
	nng_aio_set_msg(c->aio, m);
	nng_ctx_send(c->ctx, c->aio);
}

/* Answers a request that never reached a handler. */
static void rpc_call_reject(rpc_call *c, rpc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rpc_call_reject(rpc_call *c, rpc_code code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	/* Who was refused, by certificate subject as well as address; the
	 * subject and the message quoted safely, so that the line stays one
	 * set of key=value fields whatever a certificate says. */
	char safe[104], rid[80], who[RPC_PEER_SUBJECT_MAX], text[sizeof msg];
	rpc_server_safe_method(
	    c->env != NULL ? c->env->method : "", safe, sizeof safe);
	rpc_peer_log_safe(
	    c->peer.known ? c->peer.subject : "", who, sizeof who);
	rpc_peer_log_safe(msg, text, sizeof text);
	log_limited(&rpc_reject_log, LOG_LVL_INFO,
	    "method=\"%s\" request_id=\"%s\" peer_addr=%s peer=\"%s\" "
	    "code=%s message=\"%s\"",
	    safe, log_mask_client(c->request_id, rid, sizeof rid),
	    c->peer.addr, who, rpc_code_name(code), text);
	nng_mtx_lock(c->mtx);
	c->state = RPC_CALL_SENDING;
	c->handler_done = true;
	nng_mtx_unlock(c->mtx);
	rpc_server_metrics_call(c->srv, c->method, code, c->received_us);
	rpc_call_send(
	    c, rpc_envelope_reply(c->request_id, code, msg, NULL, 0));
}

/* A method name fit for a log line or an error message: at most 100
 * characters of [A-Za-z0-9._/-], anything else as '?', so that a caller
 * cannot forge log lines or smuggle bytes into our replies. */
void rpc_server_safe_method(const char *name, char *out, size_t outlen)
{
	size_t o = 0;
	for (const char *p = name != NULL ? name : "";
	     *p != '\0' && o + 1 < outlen && o < 100; p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') ||
		          (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		          ch == '/' || ch == '-';
		out[o++] = ok ? ch : '?';
	}
	out[o] = '\0';
}

rpc_code rpc_server_decode(rpc_server *srv, const uint8_t *body, size_t len,
    Hedui__V1__RpcRequest **envp, const rpc_method **methp, char *why,
    size_t whylen)
{
	char safe[104];
	*methp = NULL;
	*envp = hedui__v1__rpc_request__unpack(NULL, len, body);
	if (*envp == NULL) {
		snprintf(why, whylen,
		    "request envelope does not decode as hedui.v1.RpcRequest");
		return RPC_INVALID_ARGUMENT;
	}
	const Hedui__V1__RpcRequest *env = *envp;
	/* protobuf-c cuts a string at a NUL: "id\0junk" would pass as
	 * "id". Only the wire bytes still show it. */
	pb_strcheck_problem prob;
	if (!pb_strcheck_message(
	        &hedui__v1__rpc_request__descriptor, body, len, &prob)) {
		snprintf(why, whylen, "request envelope field %s %s",
		    prob.field, prob.reason);
		return RPC_INVALID_ARGUMENT;
	}
	if (!rpc_envelope_request_ok(env, why, whylen))
		return RPC_INVALID_ARGUMENT;
	const rpc_method *meth = rpc_server_find_method(srv, env->method);
	if (meth == NULL) {
		rpc_server_safe_method(env->method, safe, sizeof safe);
		snprintf(why, whylen, "unknown method \"%s\"", safe);
		return RPC_UNIMPLEMENTED;
	}
	*methp = meth;
	if (meth->fn == NULL) {
		snprintf(why, whylen, "method %s is not implemented",
		    meth->full_name);
		return RPC_UNIMPLEMENTED;
	}
	return RPC_OK;
}

ProtobufCMessage *rpc_server_decode_payload(const rpc_method *meth,
    const Hedui__V1__RpcRequest *env, char *why, size_t whylen)
{
	pb_strcheck_problem prob;
	ProtobufCMessage *msg = protobuf_c_message_unpack(
	    meth->desc->input, NULL, env->payload.len, env->payload.data);
	if (msg == NULL) {
		snprintf(why, whylen, "payload does not decode as %s",
		    meth->desc->input->name);
		return NULL;
	}
	/* protobuf-c takes any bytes for a string and cuts it at a NUL;
	 * Google's decoders refuse non-UTF-8, and whatever we echo must
	 * stay decodable for them. Every occurrence of every string field
	 * is checked on the wire, where the length is still known. */
	if (!pb_strcheck_message(meth->desc->input, env->payload.data,
	        env->payload.len, &prob)) {
		snprintf(why, whylen, "payload field %s %s", prob.field,
		    prob.reason);
		protobuf_c_message_free_unpacked(msg, NULL);
		return NULL;
	}
	return msg;
}

/* A request has arrived on c: decode, check and dispatch it. */
static void rpc_call_dispatch(rpc_call *c, nng_msg *m)
{
	rpc_server *srv = c->srv;
	const rpc_method *meth;
	char why[160];

	c->received_at = nng_clock();
	c->received_us = rpc_server_now_us();
	c->pipe = nng_msg_get_pipe(m);
	rpc_code code = rpc_server_decode(srv, nng_msg_body(m), nng_msg_len(m),
	    &c->env, &meth, why, sizeof why);
	nng_msg_free(m);
	bool light = code == RPC_OK && rpc_server_method_light(meth);
	/* Counted on its connection from here until its reply is sent, so
	 * that a connection with work outstanding is never closed as
	 * idle. */
	bool rate_ok = true;
	if (srv->conns != NULL) {
		rate_ok =
		    rpc_conns_begin(srv->conns, c->pipe, light, &c->peer);
		c->counted = true;
	}
	if (c->env != NULL) {
		/* Logged in quotes: a refused request_id must not close
		 * them. */
		utf8_sanitize(c->env->request_id, c->request_id,
		    sizeof c->request_id, true);
		for (char *p = c->request_id; *p != '\0'; p++)
			if (*p == '"' || *p == '\\')
				*p = '?';
	}
	if (code != RPC_OK) {
		rpc_call_reject(c, code, "%s", why);
		return;
	}
	bool expired;
	c->deadline = rpc_envelope_deadline(c->received_at, c->env->timeout,
	    srv->opts.max_deadline_ms, &expired);
	if (expired) {
		rpc_call_reject(c, RPC_DEADLINE_EXCEEDED,
		    "deadline had passed when the request arrived");
		return;
	}
	if (rpc_server_draining(srv)) {
		rpc_call_reject(c, RPC_UNAVAILABLE, "server is shutting down");
		return;
	}
	if (!rpc_server_is_serving_method(srv, meth)) {
		char why[200];
		rpc_server_not_serving_why(srv, why, sizeof why);
		rpc_call_reject(c, RPC_UNAVAILABLE,
		    "service %s is not serving%s%s", meth->service_name,
		    why[0] != '\0' ? ": " : "", why);
		return;
	}
	if (!rpc_server_peer_allowed(srv, meth, &c->peer)) {
		char who[160];
		rpc_peer_log_safe(c->peer.subject, who, sizeof who);
		rpc_call_reject(c, RPC_PERMISSION_DENIED,
		    "%s does not serve this caller (certificate subject: "
		    "%s)",
		    meth->service_name, c->peer.known ? who : "unknown");
		return;
	}
	if (!rate_ok) {
		rpc_call_reject(c, RPC_RESOURCE_EXHAUSTED,
		    "too many requests from this identity (over %d a "
		    "second); retry later",
		    srv->opts.limits.rate_per_identity);
		return;
	}
	if (!rpc_server_inflight_take(srv, light)) {
		rpc_call_reject(c, RPC_RESOURCE_EXHAUSTED,
		    "server at capacity (%d requests in flight); retry later",
		    light ? srv->opts.limits.health_inflight
		          : srv->opts.max_inflight);
		return;
	}
	c->light = light;
	c->msg = rpc_server_decode_payload(meth, c->env, why, sizeof why);
	if (c->msg == NULL) {
		rpc_server_inflight_give(srv, light);
		rpc_call_reject(c, RPC_INVALID_ARGUMENT, "%s", why);
		return;
	}
	nng_mtx_lock(c->mtx);
	c->method = meth;
	c->state = RPC_CALL_HANDLING;
	nng_mtx_unlock(c->mtx);
	rpc_reaper_note(srv, c->deadline);
	meth->fn(c, c->msg, meth->arg);
}

/* The context's aio completed: a receive or a send. */
static void rpc_call_cb(void *arg)
{
	rpc_call *c = arg;
	int rv = nng_aio_result(c->aio);

	nng_mtx_lock(c->mtx);
	rpc_call_state st = c->state;
	nng_mtx_unlock(c->mtx);

	if (st == RPC_CALL_RECV) {
		if (rv != 0) {
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
				return; /* the server is going away */
			log_warn("rpc.recv", "error=\"%s\"", nng_strerror(rv));
			rpc_call_start_recv(c);
			return;
		}
		rpc_call_dispatch(c, nng_aio_get_msg(c->aio));
		return;
	}

	/* A send finished (or failed: then the message is still ours). */
	if (rv != 0) {
		nng_msg *m = nng_aio_get_msg(c->aio);
		if (m != NULL)
			nng_msg_free(m);
		nng_aio_set_msg(c->aio, NULL);
	}
	rpc_call_after_send(c, rv);
}

static void rpc_call_after_send(rpc_call *c, int rv)
{
	if (rv != 0) {
		char rid[80];
		if (rv != NNG_ECLOSED && rv != NNG_ECANCELED)
			log_warn("rpc.send", "request_id=\"%s\" error=\"%s\"",
			    log_mask_client(c->request_id, rid, sizeof rid),
			    nng_strerror(rv));
	}
	nng_mtx_lock(c->mtx);
	if (!c->handler_done) {
		c->state = RPC_CALL_ORPHAN;
		nng_mtx_unlock(c->mtx);
		return;
	}
	nng_mtx_unlock(c->mtx);
	rpc_call_clear(c);
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	rpc_call_start_recv(c);
}

/* Handler finished with an encoded reply (m may be NULL when the reply
 * could not be encoded). */
static void rpc_call_finish(rpc_call *c, nng_msg *m, rpc_code code)
{
	rpc_server *srv = c->srv;
	nng_mtx_lock(c->mtx);
	c->handler_done = true;
	rpc_call_state st = c->state;
	if (st == RPC_CALL_HANDLING)
		c->state = RPC_CALL_SENDING;
	nng_mtx_unlock(c->mtx);
	/* Counted as the caller saw it: the reaper's DEADLINE_EXCEEDED was
	 * counted when it was sent. */
	if (st == RPC_CALL_HANDLING)
		rpc_server_metrics_call(srv, c->method, code, c->received_us);
	rpc_server_inflight_give(srv, c->light);

	switch (st) {
	case RPC_CALL_HANDLING:
		rpc_call_send(c, m);
		return;
	case RPC_CALL_ORPHAN:
		/* The reaper answered already and the send is done. */
		if (m != NULL)
			nng_msg_free(m);
		rpc_call_clear(c);
		rpc_call_start_recv(c);
		return;
	default:
		/* The reaper's answer is still being sent; its completion
		 * recycles the context. */
		if (m != NULL)
			nng_msg_free(m);
		return;
	}
}

size_t rpc_call_reply_max(const rpc_call *c)
{
	return c->srv->opts.recv_max_bytes;
}

void rpc_call_reply_raw(rpc_call *c, const uint8_t *payload, size_t len)
{
	nng_msg *m;
	if (len > c->srv->opts.recv_max_bytes)
		m = rpc_envelope_reply(c->request_id, RPC_RESOURCE_EXHAUSTED,
		    "reply larger than the message limit", NULL, 0);
	else
		m = rpc_envelope_reply(
		    c->request_id, RPC_OK, "", payload, len);
	rpc_call_finish(c, m,
	    len > c->srv->opts.recv_max_bytes ? RPC_RESOURCE_EXHAUSTED
	                                      : RPC_OK);
}

void rpc_call_reply(rpc_call *c, const ProtobufCMessage *response)
{
	size_t len = protobuf_c_message_get_packed_size(response);
	uint8_t stackbuf[1024];
	uint8_t *buf = len <= sizeof stackbuf ? stackbuf : malloc(len);
	nng_msg *m = NULL;
	rpc_code code = RPC_RESOURCE_EXHAUSTED;

	if (buf == NULL) {
		m = rpc_envelope_reply(c->request_id, RPC_RESOURCE_EXHAUSTED,
		    "out of memory encoding the reply", NULL, 0);
	} else if (len > c->srv->opts.recv_max_bytes) {
		/* Our own peers would refuse it; say so rather than send. */
		m = rpc_envelope_reply(c->request_id, RPC_RESOURCE_EXHAUSTED,
		    "reply larger than the message limit", NULL, 0);
	} else {
		protobuf_c_message_pack(response, buf);
		m = rpc_envelope_reply(c->request_id, RPC_OK, "", buf, len);
		code = RPC_OK;
	}
	if (buf != stackbuf)
		free(buf);
	rpc_call_finish(c, m, code);
}

void rpc_call_drop_connection(rpc_call *c)
{
	nng_pipe_close(c->pipe);
	/* The reply has nowhere to go: its send fails and the context is
	 * recycled as after any failed send. */
	rpc_call_finish(c,
	    rpc_envelope_reply(
	        c->request_id, RPC_UNAVAILABLE, "connection dropped", NULL, 0),
	    RPC_UNAVAILABLE);
}

void rpc_call_fail(rpc_call *c, rpc_code code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (code == RPC_OK)
		code = RPC_UNKNOWN; /* a failure is never OK */
	char rid[80];
	log_limited(&rpc_fail_log, LOG_LVL_INFO,
	    "method=%s request_id=\"%s\" peer_addr=%s code=%s",
	    c->method != NULL ? c->method->full_name : "",
	    log_mask_client(c->request_id, rid, sizeof rid), c->peer.addr,
	    rpc_code_name(code));
	rpc_call_finish(
	    c, rpc_envelope_reply(c->request_id, code, msg, NULL, 0), code);
}

void rpc_reaper_note(rpc_server *srv, nng_time deadline)
{
	bool kick = false;
	nng_mtx_lock(srv->reaper_mtx);
	if (deadline < srv->reaper_at) {
		srv->reaper_at = deadline;
		kick = srv->reaper_armed;
	}
	nng_mtx_unlock(srv->reaper_mtx);
	/* Wakes the reaper with NNG_ECANCELED; it looks again and sleeps
	 * until the new earliest deadline. */
	if (kick)
		nng_aio_cancel(srv->reaper);
}

/* Schedules the reaper for the earliest of next and any deadline noted
 * since it started looking. */
static void rpc_reaper_arm(rpc_server *srv, nng_time next)
{
	nng_mtx_lock(srv->reaper_mtx);
	if (srv->reaper_stopped) {
		nng_mtx_unlock(srv->reaper_mtx);
		return;
	}
	if (srv->reaper_at < next)
		next = srv->reaper_at;
	nng_time now = nng_clock();
	if (next > now + RPC_REAPER_MAX_MS)
		next = now + RPC_REAPER_MAX_MS;
	srv->reaper_at = next;
	srv->reaper_armed = true;
	/* Under the lock, so that a note after it finds the sleep scheduled
	 * and its cancel is not lost. */
	nng_sleep_aio(
	    next > now ? (nng_duration)(next - now) : 0, srv->reaper);
	nng_mtx_unlock(srv->reaper_mtx);
}

/* Answers DEADLINE_EXCEEDED for calls whose handler overran. */
static void rpc_reaper_cb(void *arg)
{
	rpc_server *srv = arg;
	nng_mtx_lock(srv->reaper_mtx);
	bool stopped = srv->reaper_stopped;
	srv->reaper_armed = false;
	srv->reaper_at = RPC_TIME_NEVER;
	nng_mtx_unlock(srv->reaper_mtx);
	if (stopped)
		return;
	nng_time now = nng_clock();
	nng_time next = RPC_TIME_NEVER;
	for (int i = 0; i < srv->ncalls; i++) {
		rpc_call *c = &srv->calls[i];
		nng_mtx_lock(c->mtx);
		bool running =
		    c->state == RPC_CALL_HANDLING && !c->handler_done;
		bool expired = running && now >= c->deadline;
		if (expired) {
			c->state = RPC_CALL_SENDING;
			c->timed_out = true;
		} else if (running && c->deadline < next) {
			next = c->deadline;
		}
		nng_mtx_unlock(c->mtx);
		if (expired) {
			char rid[80];
			log_limited(&rpc_deadline_log, LOG_LVL_INFO,
			    "method=%s request_id=\"%s\"",
			    c->method->full_name,
			    log_mask_client(c->request_id, rid, sizeof rid));
			rpc_server_metrics_call(srv, c->method,
			    RPC_DEADLINE_EXCEEDED, c->received_us);
			rpc_call_send(
			    c, rpc_envelope_reply(c->request_id,
			           RPC_DEADLINE_EXCEEDED,
			           "deadline exceeded while the server was "
			           "working",
			           NULL, 0));
		}
	}
	rpc_reaper_arm(srv, next);
}

/* --- accessors for handlers --------------------------------------------- */

const char *rpc_call_method(const rpc_call *c)
{
	return c->method != NULL ? c->method->full_name : c->env->method;
}

const char *rpc_call_request_id(const rpc_call *c)
{
	return c->request_id;
}

const char *rpc_call_metadata(const rpc_call *c, const char *key)
{
	for (size_t i = 0; i < c->env->n_metadata; i++)
		if (strcmp(c->env->metadata[i]->key, key) == 0)
			return c->env->metadata[i]->value;
	return NULL;
}

size_t rpc_call_metadata_count(const rpc_call *c)
{
	return c->env->n_metadata;
}

void rpc_call_metadata_at(
    const rpc_call *c, size_t i, const char **key, const char **value)
{
	*key = c->env->metadata[i]->key;
	*value = c->env->metadata[i]->value;
}

uint32_t rpc_call_remaining_ms(const rpc_call *c)
{
	nng_time now = nng_clock();
	return now >= c->deadline ? 0 : (uint32_t)(c->deadline - now);
}

const uint8_t *rpc_call_payload(const rpc_call *c, size_t *len)
{
	*len = c->env->payload.len;
	return c->env->payload.data;
}

rpc_server *rpc_call_server(const rpc_call *c)
{
	return c->srv;
}

const rpc_peer *rpc_call_peer(const rpc_call *c)
{
	return &c->peer;
}

/* --- contexts ---------------------------------------------------------- */

hd_err rpc_server_calls_start(rpc_server *srv)
{
	int rv;
	srv->ncalls = srv->opts.max_inflight + srv->opts.reject_contexts;
	srv->calls = calloc((size_t)srv->ncalls, sizeof *srv->calls);
	if (srv->calls == NULL)
		return HD_ENOMEM;
	for (int i = 0; i < srv->ncalls; i++) {
		rpc_call *c = &srv->calls[i];
		c->srv = srv;
		if ((rv = nng_mtx_alloc(&c->mtx)) != 0 ||
		    (rv = nng_aio_alloc(&c->aio, rpc_call_cb, c)) != 0 ||
		    (rv = nng_ctx_open(&c->ctx, srv->sock)) != 0) {
			log_error("rpc.start", "step=context error=\"%s\"",
			    nng_strerror(rv));
			return hd_err_from_nng(rv);
		}
		c->ctx_open = true;
	}
	if ((rv = nng_aio_alloc(&srv->reaper, rpc_reaper_cb, srv)) != 0 ||
	    (rv = nng_mtx_alloc(&srv->reaper_mtx)) != 0)
		return hd_err_from_nng(rv);
	srv->reaper_at = RPC_TIME_NEVER;
	for (int i = 0; i < srv->ncalls; i++)
		rpc_call_start_recv(&srv->calls[i]);
	rpc_reaper_arm(srv, RPC_TIME_NEVER);
	return HD_OK;
}

void rpc_server_calls_stop(rpc_server *srv)
{
	if (srv->reaper_mtx != NULL) {
		nng_mtx_lock(srv->reaper_mtx);
		srv->reaper_stopped = true;
		nng_mtx_unlock(srv->reaper_mtx);
	}
	if (srv->reaper != NULL)
		nng_aio_stop(srv->reaper);
	for (int i = 0; i < srv->ncalls; i++)
		if (srv->calls[i].aio != NULL)
			nng_aio_stop(srv->calls[i].aio);
}

void rpc_server_calls_free(rpc_server *srv)
{
	for (int i = 0; i < srv->ncalls; i++) {
		rpc_call *c = &srv->calls[i];
		if (c->ctx_open)
			nng_ctx_close(c->ctx);
		if (c->aio != NULL)
			nng_aio_free(c->aio);
		/* A handler that never answered still owns nothing of ours
		 * after the server is gone; free what the call held. */
		rpc_call_clear(c);
		if (c->mtx != NULL)
			nng_mtx_free(c->mtx);
	}
	free(srv->calls);
	srv->calls = NULL;
	srv->ncalls = 0;
	if (srv->reaper != NULL)
		nng_aio_free(srv->reaper);
	srv->reaper = NULL;
	if (srv->reaper_mtx != NULL)
		nng_mtx_free(srv->reaper_mtx);
	srv->reaper_mtx = NULL;
}
