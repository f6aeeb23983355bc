/* SPDX-License-Identifier: MIT */
/*
 * rpc_client: envelope encoding, deadlines and status mapping on the
 * calling side.
 *
 * Each call borrows a pending slot (an nng context with its aio) from a
 * pool and gives it back when done. Slots are reused rather than freed:
 * an aio cannot be freed from its own callback, and reuse saves the
 * allocations on every call.
 */
#include "rpc_client.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>
#include <openssl/rand.h>

#include "hedui/v1/rpc.pb-c.h"
#include "log.h"
#include "log_limit.h"
#include "pb_strcheck.h"
#include "rpc_close.h"
#include "rpc_envelope.h"
#include "rpc_peer.h"

#define RPC_CLIENT_DEFAULT_MAX (1024 * 1024)
#define RPC_CLIENT_CONNECT_WAIT_MS 3000
#define RPC_MAX_METADATA 32
/* Replicas one client may know (url "a,b,c"). */
#define RPC_CLIENT_MAX_URLS 8

typedef struct rpc_pending rpc_pending;

struct rpc_client {
	rpc_client_opts opts;
	char *url;
	char *expect_peer;
	nng_socket sock;
	bool sock_open;
	/* One dialer per address: nng's REQ socket sends each request on
	 * a connection that is up, so calls spread over the replicas that
	 * answer and skip those that do not. */
	nng_dialer dialers[RPC_CLIENT_MAX_URLS];
	int ndialers;
	nng_tls_config *tls;
	nng_mtx *mtx; /* guards the pool */
	rpc_pending *free_list;
	rpc_pending **all;
	size_t nall, capall;
	char id_prefix[17];
	atomic_uint_fast64_t next_id;
};

static int rpc_client_dial_all(rpc_client *c);

struct rpc_pending {
	rpc_pending *next;
	rpc_client *c;
	nng_ctx ctx;
	nng_aio *aio;
	bool receiving;
	bool has_deadline;
	nng_msg *again; /* a copy to send once more (idempotent calls) */
	nng_time deadline;
	char request_id[65];
	const ProtobufCMessageDescriptor *resp_desc; /* NULL: raw reply */
	ProtobufCAllocator *allocator;               /* the response's */
	rpc_client_done_fn done;
	void (*done_raw)(
	    rpc_code, const rpc_status *, uint8_t *, size_t, void *);
	void *arg;
};

static log_limit rpc_client_peer_log =
    LOG_LIMIT_INIT("rpc.client.peer", 5, 10000);

/* A new connection (NNG_PIPE_EV_ADD_PRE): closed unless the server is the
 * identity expected. Another source of the same source-plane CA must not
 * answer as this one. */
static void rpc_client_check_peer(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	rpc_client *c = arg;
	(void)ev;
	uint8_t der[8192];
	size_t sz = sizeof der;
	rpc_peer peer = {.known = false};
	if (nng_pipe_get(p, NNG_OPT_TLS_PEER_CERT, der, &sz) == 0 &&
	    rpc_peer_from_der(der, sz, &peer) &&
	    rpc_peer_matches(&peer, c->expect_peer))
		return;
	char who[RPC_PEER_SUBJECT_MAX];
	rpc_peer_log_safe(peer.known ? peer.subject : "", who, sizeof who);
	log_limited(&rpc_client_peer_log, LOG_LVL_ERROR,
	    "url=\"%s\" expected=\"%s\" peer=\"%s\" action=\"connection "
	    "closed\"",
	    c->url, c->expect_peer, who);
	nng_pipe_close(p);
}

rpc_client *rpc_client_alloc(const rpc_client_opts *opts)
{
	rpc_client *c = calloc(1, sizeof *c);
	int rv = 0;
	if (c == NULL)
		return NULL;
	c->opts = *opts;
	if (c->opts.recv_max_bytes == 0)
		c->opts.recv_max_bytes = RPC_CLIENT_DEFAULT_MAX;
	if (c->opts.send_max_bytes == 0)
		c->opts.send_max_bytes = RPC_CLIENT_DEFAULT_MAX;
	c->url = strdup(opts->url != NULL ? opts->url : "");
	if (c->url == NULL || nng_mtx_alloc(&c->mtx) != 0)
		goto fail;
	if (opts->expect_peer != NULL && opts->expect_peer[0] != '\0' &&
	    (c->expect_peer = strdup(opts->expect_peer)) == NULL)
		goto fail;
	c->opts.expect_peer = c->expect_peer;
	c->opts.url = c->url;

	unsigned char rnd[8];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		goto fail;
	for (int i = 0; i < 8; i++)
		snprintf(c->id_prefix + 2 * i, 3, "%02x", rnd[i]);
	atomic_init(&c->next_id, 1);

	if (tls_setup_config(NNG_TLS_MODE_CLIENT, &c->opts.tls, &c->tls) !=
	    HD_OK)
		goto fail;
	if ((rv = nng_req0_open(&c->sock)) != 0)
		goto fail;
	c->sock_open = true;
	/* Our own deadlines and retries replace nng's resend: its timers are
	 * O(n^2) with many outstanding contexts. */
	if ((rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME,
	         NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_size(
	         c->sock, NNG_OPT_RECVMAXSZ, c->opts.recv_max_bytes)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 50)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 1000)) != 0 ||
	    (c->expect_peer != NULL &&
	        (rv = nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_PRE,
	             rpc_client_check_peer, c)) != 0) ||
	    (rv = rpc_client_dial_all(c)) != 0)
		goto fail;
	return c;

fail:
	if (rv != 0)
		log_error("rpc.client", "url=\"%s\" error=\"%s\"",
		    c->url != NULL ? c->url : "", nng_strerror(rv));
	rpc_client_free(c);
	return NULL;
}

void rpc_client_free(rpc_client *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nall; i++)
		nng_aio_stop(c->all[i]->aio);
	/* An abandoned close leaves nng using all of it: leak, not free. */
	if (c->sock_open &&
	    !rpc_close_bounded(c->sock, RPC_CLOSE_BOUND_MS, "rpc.client"))
		return;
	for (size_t i = 0; i < c->nall; i++) {
		nng_aio_free(c->all[i]->aio);
		free(c->all[i]);
	}
	free(c->all);
	free(c->expect_peer);
	if (c->tls != NULL)
		nng_tls_config_free(c->tls);
	if (c->mtx != NULL)
		nng_mtx_free(c->mtx);
	free(c->url);
	free(c);
}

static void rpc_pending_cb(void *arg);

static int rpc_client_dial_all(rpc_client *c)
{
	char *urls = strdup(c->url);
	if (urls == NULL)
		return NNG_ENOMEM;
	int rv = 0;
	for (char *save = NULL, *u = strtok_r(urls, ",", &save);
	     u != NULL && rv == 0; u = strtok_r(NULL, ",", &save)) {
		while (*u == ' ')
			u++;
		if (*u == '\0')
			continue;
		if (c->ndialers == RPC_CLIENT_MAX_URLS) {
			rv = NNG_EINVAL;
			break;
		}
		nng_dialer *d = &c->dialers[c->ndialers];
		if ((rv = nng_dialer_create(d, c->sock, u)) == 0 &&
		    (rv = nng_dialer_set_ptr(*d, NNG_OPT_TLS_CONFIG, c->tls)) ==
		        0 &&
		    (rv = nng_dialer_start(*d, NNG_FLAG_NONBLOCK)) == 0)
			c->ndialers++;
	}
	free(urls);
	return rv == 0 && c->ndialers == 0 ? NNG_EADDRINVAL : rv;
}

static rpc_pending *rpc_pending_take(rpc_client *c)
{
	nng_mtx_lock(c->mtx);
	rpc_pending *p = c->free_list;
	if (p != NULL) {
		c->free_list = p->next;
		nng_mtx_unlock(c->mtx);
		return p;
	}
	if (c->nall == c->capall) {
		size_t cap = c->capall == 0 ? 16 : c->capall * 2;
		rpc_pending **na = realloc(c->all, cap * sizeof *na);
		if (na == NULL)
			goto fail;
		c->all = na;
		c->capall = cap;
	}
	p = calloc(1, sizeof *p);
	if (p == NULL)
		goto fail;
	p->c = c;
	if (nng_aio_alloc(&p->aio, rpc_pending_cb, p) != 0 ||
	    nng_ctx_open(&p->ctx, c->sock) != 0) {
		if (p->aio != NULL)
			nng_aio_free(p->aio);
		free(p);
		goto fail;
	}
	c->all[c->nall++] = p;
	nng_mtx_unlock(c->mtx);
	return p;
fail:
	nng_mtx_unlock(c->mtx);
	return NULL;
}

static void rpc_pending_give(rpc_pending *p)
{
	rpc_client *c = p->c;
	nng_mtx_lock(c->mtx);
	p->next = c->free_list;
	c->free_list = p;
	nng_mtx_unlock(c->mtx);
}

/* Reports the outcome and recycles p. p is not touched after it is back
 * in the pool: the callback may start the next call on it. */
static void rpc_pending_finish(rpc_pending *p, rpc_code code,
    const rpc_status *st, uint8_t *payload, size_t len)
{
	ProtobufCMessage *resp = NULL;
	rpc_status local = *st;
	rpc_client_done_fn done = p->done;
	void (*done_raw)(rpc_code, const rpc_status *, uint8_t *, size_t,
	    void *) = p->done_raw;
	void *arg = p->arg;

	if (code == RPC_OK && p->resp_desc != NULL) {
		pb_strcheck_problem prob;
		resp = protobuf_c_message_unpack(
		    p->resp_desc, p->allocator, len, payload);
		if (resp == NULL) {
			code = RPC_INTERNAL;
			rpc_status_set(&local, code,
			    "reply payload does not decode as %s",
			    p->resp_desc->name);
			local.local = true;
		} else if (!pb_strcheck_message(
		               p->resp_desc, payload, len, &prob)) {
			/* A string cut at a NUL would be read as its first
			 * part (an ID number a source answers for, say). */
			protobuf_c_message_free_unpacked(resp, p->allocator);
			resp = NULL;
			code = RPC_INTERNAL;
			rpc_status_set(&local, code,
			    "reply payload field %s %s", prob.field,
			    prob.reason);
			local.local = true;
		}
	}
	if (p->again != NULL) {
		nng_msg_free(p->again);
		p->again = NULL;
	}
	rpc_pending_give(p);
	if (done_raw != NULL)
		done_raw(code, &local, payload, len, arg);
	else
		done(code, &local, resp, arg);
}

static void rpc_pending_fail(rpc_pending *p, rpc_code code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void rpc_pending_fail(
    rpc_pending *p, rpc_code code, const char *fmt, ...)
{
	rpc_status st;
	st.code = code;
	st.local = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st.message, sizeof st.message, fmt, ap);
	va_end(ap);
	rpc_pending_finish(p, code, &st, NULL, 0);
}

static bool rpc_pending_expired(const rpc_pending *p)
{
	return p->has_deadline && nng_clock() >= p->deadline;
}

static void rpc_pending_on_reply(rpc_pending *p, nng_msg *m)
{
	pb_strcheck_problem prob;
	Hedui__V1__RpcReply *r = hedui__v1__rpc_reply__unpack(
	    NULL, nng_msg_len(m), nng_msg_body(m));
	if (r != NULL &&
	    !pb_strcheck_message(&hedui__v1__rpc_reply__descriptor,
	        nng_msg_body(m), nng_msg_len(m), &prob)) {
		hedui__v1__rpc_reply__free_unpacked(r, NULL);
		nng_msg_free(m);
		rpc_pending_fail(p, RPC_INTERNAL, "reply envelope field %s %s",
		    prob.field, prob.reason);
		return;
	}
	nng_msg_free(m);
	if (r == NULL) {
		rpc_pending_fail(p, RPC_INTERNAL,
		    "reply envelope does not decode as hedui.v1.RpcReply");
		return;
	}
	rpc_status st;
	rpc_envelope_reply_status(r, &st);
	if (st.code == RPC_OK && r->request_id != NULL &&
	    strcmp(r->request_id, p->request_id) != 0) {
		hedui__v1__rpc_reply__free_unpacked(r, NULL);
		rpc_pending_fail(
		    p, RPC_INTERNAL, "reply is for another request id");
		return;
	}
	uint8_t *payload = NULL;
	size_t len = 0;
	if (st.code == RPC_OK && p->done_raw != NULL) {
		len = r->payload.len;
		payload = malloc(len > 0 ? len : 1);
		if (payload == NULL) {
			hedui__v1__rpc_reply__free_unpacked(r, NULL);
			rpc_pending_fail(
			    p, RPC_RESOURCE_EXHAUSTED, "out of memory");
			return;
		}
		memcpy(payload, r->payload.data, len);
		rpc_pending_finish(p, st.code, &st, payload, len);
	} else {
		rpc_pending_finish(
		    p, st.code, &st, r->payload.data, r->payload.len);
	}
	hedui__v1__rpc_reply__free_unpacked(r, NULL);
}

static void rpc_pending_cb(void *arg)
{
	rpc_pending *p = arg;
	int rv = nng_aio_result(p->aio);

	if (!p->receiving) {
		if (rv != 0) {
			nng_msg *m = nng_aio_get_msg(p->aio);
			if (m != NULL)
				nng_msg_free(m);
			nng_aio_set_msg(p->aio, NULL);
			if (rpc_pending_expired(p))
				rpc_pending_fail(p, RPC_DEADLINE_EXCEEDED,
				    "deadline exceeded before the request "
				    "could be sent");
			else
				rpc_pending_fail(p, RPC_UNAVAILABLE,
				    "no connection to %s (%s)", p->c->url,
				    nng_strerror(rv));
			return;
		}
		p->receiving = true;
		nng_duration left = NNG_DURATION_INFINITE;
		if (p->has_deadline) {
			nng_time now = nng_clock();
			left = now >= p->deadline
			           ? 1
			           : (nng_duration)(p->deadline - now);
		}
		nng_aio_set_timeout(p->aio, left);
		nng_ctx_recv(p->ctx, p->aio);
		return;
	}
	if (rv == 0) {
		rpc_pending_on_reply(p, nng_aio_get_msg(p->aio));
		return;
	}
	if (rv == NNG_ECONNRESET && p->again != NULL &&
	    !rpc_pending_expired(p)) {
		/* The connection went after the request did: idempotent, so
		 * ask again, once, on whatever connection comes next. */
		nng_msg *m = p->again;
		p->again = NULL;
		p->receiving = false;
		nng_duration wait = RPC_CLIENT_CONNECT_WAIT_MS;
		if (p->has_deadline) {
			nng_time now = nng_clock();
			nng_duration left =
			    now >= p->deadline
			        ? 1
			        : (nng_duration)(p->deadline - now);
			if (left < wait)
				wait = left;
		}
		nng_aio_set_timeout(p->aio, wait);
		nng_aio_set_msg(p->aio, m);
		nng_ctx_send(p->ctx, p->aio);
		return;
	}
	if (rv == NNG_ETIMEDOUT)
		rpc_pending_fail(p, RPC_DEADLINE_EXCEEDED,
		    "deadline exceeded waiting for the reply");
	else if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		rpc_pending_fail(p, RPC_CANCELLED, "call cancelled");
	else
		rpc_pending_fail(p, RPC_UNAVAILABLE,
		    "connection to %s lost (%s)", p->c->url, nng_strerror(rv));
}

/* Encodes the envelope and sends it; every outcome reaches the callback. */
static hd_err rpc_pending_start(rpc_pending *p, const char *method,
    const uint8_t *payload, size_t len, const rpc_call_opts *opts)
{
	rpc_client *c = p->c;
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	Hedui__V1__Timeout timeout = HEDUI__V1__TIMEOUT__INIT;
	Hedui__V1__Metadata md[RPC_MAX_METADATA];
	Hedui__V1__Metadata *mdp[RPC_MAX_METADATA];
	nng_msg *m = NULL;

	p->receiving = false;
	p->has_deadline = opts != NULL && opts->deadline_ms > 0;
	p->deadline = p->has_deadline ? nng_clock() + opts->deadline_ms : 0;
	if (opts != NULL && opts->request_id != NULL)
		snprintf(p->request_id, sizeof p->request_id, "%s",
		    opts->request_id);
	else
		snprintf(p->request_id, sizeof p->request_id, "%s-%llx",
		    c->id_prefix,
		    (unsigned long long)atomic_fetch_add(&c->next_id, 1));

	env.method = (char *)method;
	env.request_id = p->request_id;
	if (p->has_deadline) {
		timeout.ms = opts->deadline_ms;
		env.timeout = &timeout;
	}
	size_t nmd = opts != NULL ? opts->metadata_count : 0;
	if (nmd > RPC_MAX_METADATA)
		return HD_EINVAL;
	for (size_t i = 0; i < nmd; i++) {
		hedui__v1__metadata__init(&md[i]);
		md[i].key = (char *)opts->metadata[i].key;
		md[i].value = (char *)opts->metadata[i].value;
		mdp[i] = &md[i];
	}
	env.metadata = mdp;
	env.n_metadata = nmd;
	env.payload.data = (uint8_t *)payload;
	env.payload.len = len;

	size_t size = hedui__v1__rpc_request__get_packed_size(&env);
	if (size > c->opts.send_max_bytes)
		return HD_ETOOBIG;
	if (nng_msg_alloc(&m, size) != 0)
		return HD_ENOMEM;
	hedui__v1__rpc_request__pack(&env, nng_msg_body(m));

	/* Sending waits for a connection; never longer than the deadline,
	 * nor so long that an unreachable server looks like a slow one. */
	nng_duration wait = RPC_CLIENT_CONNECT_WAIT_MS;
	if (p->has_deadline && opts->deadline_ms < (uint32_t)wait)
		wait = (nng_duration)opts->deadline_ms;
	if (opts != NULL && opts->idempotent && nng_msg_dup(&p->again, m) != 0)
		p->again = NULL; /* no copy: no second try, nothing else */
	nng_aio_set_timeout(p->aio, wait);
	nng_aio_set_msg(p->aio, m);
	nng_ctx_send(p->ctx, p->aio);
	return HD_OK;
}

static hd_err rpc_client_start(rpc_client *c, const char *method,
    const uint8_t *payload, size_t len, const rpc_call_opts *opts,
    const ProtobufCMessageDescriptor *resp_desc, rpc_client_done_fn done,
    void (*done_raw)(rpc_code, const rpc_status *, uint8_t *, size_t, void *),
    void *arg)
{
	rpc_pending *p = rpc_pending_take(c);
	if (p == NULL)
		return HD_ENOMEM;
	p->resp_desc = resp_desc;
	p->allocator = opts != NULL ? opts->allocator : NULL;
	p->done = done;
	p->done_raw = done_raw;
	p->arg = arg;
	hd_err err = rpc_pending_start(p, method, payload, len, opts);
	if (err != HD_OK)
		rpc_pending_give(p);
	return err;
}

hd_err rpc_client_call_async(rpc_client *c, const char *method,
    const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *resp_desc, const rpc_call_opts *opts,
    rpc_client_done_fn done, void *arg)
{
	size_t len = protobuf_c_message_get_packed_size(request);
	uint8_t stackbuf[2048];
	uint8_t *buf = len <= sizeof stackbuf ? stackbuf : malloc(len);
	if (buf == NULL)
		return HD_ENOMEM;
	protobuf_c_message_pack(request, buf);
	hd_err err = rpc_client_start(
	    c, method, buf, len, opts, resp_desc, done, NULL, arg);
	if (buf != stackbuf)
		free(buf);
	return err;
}

/* --- synchronous calls: the async path and a condition variable -------- */

typedef struct rpc_waiter {
	nng_mtx *mtx;
	nng_cv *cv;
	bool done;
	rpc_code code;
	rpc_status st;
	ProtobufCMessage *resp;
	uint8_t *raw;
	size_t raw_len;
} rpc_waiter;

static void rpc_waiter_signal(rpc_waiter *w)
{
	nng_mtx_lock(w->mtx);
	w->done = true;
	nng_cv_wake(w->cv);
	nng_mtx_unlock(w->mtx);
}

static void rpc_waiter_done(
    rpc_code code, const rpc_status *st, ProtobufCMessage *resp, void *arg)
{
	rpc_waiter *w = arg;
	w->code = code;
	w->st = *st;
	w->resp = resp;
	rpc_waiter_signal(w);
}

static void rpc_waiter_done_raw(rpc_code code, const rpc_status *st,
    uint8_t *payload, size_t len, void *arg)
{
	rpc_waiter *w = arg;
	w->code = code;
	w->st = *st;
	w->raw = payload;
	w->raw_len = len;
	rpc_waiter_signal(w);
}

static rpc_code rpc_client_wait(rpc_client *c, const char *method,
    const uint8_t *payload, size_t len, const rpc_call_opts *opts,
    const ProtobufCMessageDescriptor *resp_desc, rpc_waiter *w, rpc_status *st)
{
	memset(w, 0, sizeof *w);
	if (nng_mtx_alloc(&w->mtx) != 0 || nng_cv_alloc(&w->cv, w->mtx) != 0) {
		if (w->mtx != NULL)
			nng_mtx_free(w->mtx);
		rpc_status_set(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return st->code;
	}
	hd_err err = rpc_client_start(c, method, payload, len, opts, resp_desc,
	    resp_desc != NULL ? rpc_waiter_done : NULL,
	    resp_desc != NULL ? NULL : rpc_waiter_done_raw, w);
	if (err == HD_OK) {
		nng_mtx_lock(w->mtx);
		while (!w->done)
			nng_cv_wait(w->cv);
		nng_mtx_unlock(w->mtx);
	} else if (err == HD_ETOOBIG) {
		rpc_status_set(&w->st, RPC_RESOURCE_EXHAUSTED,
		    "request larger than the %zu-byte message limit",
		    c->opts.send_max_bytes);
		w->st.local = true;
		w->code = w->st.code;
	} else {
		rpc_status_set(
		    &w->st, rpc_code_from_err(err), "%s", hd_strerror(err));
		w->st.local = true;
		w->code = w->st.code;
	}
	nng_cv_free(w->cv);
	nng_mtx_free(w->mtx);
	if (st != NULL)
		*st = w->st;
	return w->code;
}

rpc_code rpc_client_call(rpc_client *c, const char *method,
    const ProtobufCMessage *request,
    const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **response,
    const rpc_call_opts *opts, rpc_status *st)
{
	size_t len = protobuf_c_message_get_packed_size(request);
	uint8_t stackbuf[2048];
	uint8_t *buf = len <= sizeof stackbuf ? stackbuf : malloc(len);
	rpc_waiter w;
	*response = NULL;
	if (buf == NULL) {
		rpc_status_set(st, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return RPC_RESOURCE_EXHAUSTED;
	}
	protobuf_c_message_pack(request, buf);
	rpc_code code =
	    rpc_client_wait(c, method, buf, len, opts, resp_desc, &w, st);
	if (buf != stackbuf)
		free(buf);
	*response = w.resp;
	return code;
}

rpc_code rpc_client_call_raw(rpc_client *c, const char *method,
    const uint8_t *payload, size_t len, uint8_t **reply, size_t *reply_len,
    const rpc_call_opts *opts, rpc_status *st)
{
	rpc_waiter w;
	rpc_code code =
	    rpc_client_wait(c, method, payload, len, opts, NULL, &w, st);
	*reply = w.raw;
	*reply_len = w.raw_len;
	return code;
}
