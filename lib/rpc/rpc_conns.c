/* SPDX-License-Identifier: MIT */
#include "rpc_conns.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <nng/supplemental/util/platform.h>

#include "log.h"
#include "log_limit.h"

/* A certificate larger than this is not one we issue; its peer stays
 * unknown. */
#define RPC_CONN_CERT_MAX 16384
#define RPC_RATE_SLOTS 1024 /* identities tracked for rate limits */
#define RPC_RATE_PROBE 4

typedef struct rpc_conn {
	uint32_t id;  /* nng pipe id; 0 free */
	bool closing; /* closed by us; REM_POST still to come */
	nng_sockaddr sa;
	nng_time last; /* last request in or reply out */
	int outstanding;
	rpc_peer peer;
} rpc_conn;

typedef struct rpc_rate {
	uint8_t key[32]; /* certificate SHA-256; all zero: free */
	nng_time last;
	uint64_t milli_tokens; /* tokens x 1000 */
} rpc_rate;

struct rpc_conns {
	rpc_conns_opts o;
	nng_mtx *mu;
	rpc_conn *slots; /* nslots entries; free ones have id 0 */
	int nslots;
	int *free_list; /* stack of free slot indexes */
	int nfree;
	int32_t *index; /* open addressing: pipe id -> slot, -1 empty */
	uint32_t mask;
	rpc_rate *rates;
	rpc_conns_stats st;
	uint64_t logged_idle, logged_rate;
	bool have_inproc_peer;
	rpc_peer inproc_peer;
};

static log_limit rpc_conn_limit_log = LOG_LIMIT_INIT("rpc.limit", 5, 10000);

static uint32_t rpc_conns_hash(uint32_t id)
{
	return id * 2654435761u;
}

rpc_conns *rpc_conns_alloc(const rpc_conns_opts *o)
{
	rpc_conns *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->o = *o;
	if (o->inproc_peer != NULL) {
		t->inproc_peer = *o->inproc_peer;
		t->have_inproc_peer = true;
	}
	/* Room for the bound, the connections above it that arrive before
	 * those closed to make room are gone, and some slack. */
	t->nslots = 2 * o->max_connections + 64;
	uint32_t cap = 1;
	while (cap < 2u * (uint32_t)t->nslots)
		cap <<= 1;
	t->mask = cap - 1;
	t->slots = calloc((size_t)t->nslots, sizeof *t->slots);
	t->free_list = calloc((size_t)t->nslots, sizeof *t->free_list);
	t->index = malloc(cap * sizeof *t->index);
	t->rates = calloc(RPC_RATE_SLOTS, sizeof *t->rates);
	if (t->slots == NULL || t->free_list == NULL || t->index == NULL ||
	    t->rates == NULL || nng_mtx_alloc(&t->mu) != 0) {
		rpc_conns_free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < cap; i++)
		t->index[i] = -1;
	for (int i = t->nslots - 1; i >= 0; i--)
		t->free_list[t->nfree++] = i;
	return t;
}

void rpc_conns_free(rpc_conns *t)
{
	if (t == NULL)
		return;
	if (t->mu != NULL)
		nng_mtx_free(t->mu);
	free(t->slots);
	free(t->free_list);
	free(t->index);
	free(t->rates);
	free(t);
}

/* Index position of id, or -1. Called locked. */
static int64_t rpc_conns_pos(const rpc_conns *t, uint32_t id)
{
	for (uint32_t i = rpc_conns_hash(id) & t->mask;;
	     i = (i + 1) & t->mask) {
		int32_t s = t->index[i];
		if (s < 0)
			return -1;
		if (t->slots[s].id == id)
			return i;
	}
}

static rpc_conn *rpc_conns_find(rpc_conns *t, uint32_t id)
{
	int64_t pos = rpc_conns_pos(t, id);
	return pos < 0 ? NULL : &t->slots[t->index[pos]];
}

static rpc_conn *rpc_conns_insert(rpc_conns *t, uint32_t id)
{
	if (t->nfree == 0)
		return NULL;
	int s = t->free_list[--t->nfree];
	uint32_t i = rpc_conns_hash(id) & t->mask;
	while (t->index[i] >= 0)
		i = (i + 1) & t->mask;
	t->index[i] = s;
	memset(&t->slots[s], 0, sizeof t->slots[s]);
	t->slots[s].id = id;
	return &t->slots[s];
}

/* Backward-shift deletion keeps every probe run unbroken. */
static void rpc_conns_remove(rpc_conns *t, uint32_t id)
{
	int64_t pos = rpc_conns_pos(t, id);
	if (pos < 0)
		return;
	uint32_t i = (uint32_t)pos;
	int s = t->index[i];
	t->slots[s].id = 0;
	t->free_list[t->nfree++] = s;
	for (uint32_t j = (i + 1) & t->mask; t->index[j] >= 0;
	     j = (j + 1) & t->mask) {
		uint32_t k =
		    rpc_conns_hash(t->slots[t->index[j]].id) & t->mask;
		/* Move j back to i unless its home k lies in (i, j]. */
		bool stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);
		if (stays)
			continue;
		t->index[i] = t->index[j];
		i = j;
	}
	t->index[i] = -1;
}

static bool rpc_same_addr(const nng_sockaddr *a, const nng_sockaddr *b)
{
	if (a->s_family != b->s_family)
		return false;
	switch (a->s_family) {
	case NNG_AF_INET:
		return a->s_in.sa_addr == b->s_in.sa_addr;
	case NNG_AF_INET6:
		return memcmp(a->s_in6.sa_addr, b->s_in6.sa_addr,
		           sizeof a->s_in6.sa_addr) == 0;
	default:
		return false; /* inproc and the like: no per-peer bound */
	}
}

static void rpc_addr_text(const nng_sockaddr *sa, char *out, size_t cap)
{
	out[0] = '\0';
	if (sa->s_family == NNG_AF_INET)
		inet_ntop(AF_INET, &sa->s_in.sa_addr, out, (socklen_t)cap);
	else if (sa->s_family == NNG_AF_INET6)
		inet_ntop(AF_INET6, sa->s_in6.sa_addr, out, (socklen_t)cap);
}

/* Who is on pipe p: its certificate, read once. */
static void rpc_conns_identify(rpc_conns *t, nng_pipe p, rpc_conn *c)
{
	uint8_t stackbuf[4096];
	uint8_t *buf = stackbuf;
	size_t sz = sizeof stackbuf;
	int rv = nng_pipe_get(p, NNG_OPT_TLS_PEER_CERT, buf, &sz);
	if (rv == NNG_EINVAL && sz <= RPC_CONN_CERT_MAX &&
	    (buf = malloc(sz)) != NULL)
		rv = nng_pipe_get(p, NNG_OPT_TLS_PEER_CERT, buf, &sz);
	if (rv == 0)
		(void)rpc_peer_from_der(buf, sz, &c->peer);
	else if (rv == NNG_ENOTSUP && t->have_inproc_peer)
		c->peer = t->inproc_peer; /* inproc://: no TLS */
	if (buf != stackbuf)
		free(buf);
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &c->sa) != 0)
		memset(&c->sa, 0, sizeof c->sa);
	rpc_addr_text(&c->sa, c->peer.addr, sizeof c->peer.addr);
}

/* The longest-idle connection with nothing outstanding, of the address
 * when same_as is not NULL. Called locked. */
static rpc_conn *rpc_conns_victim(
    rpc_conns *t, const nng_sockaddr *same_as, uint32_t except)
{
	rpc_conn *v = NULL;
	for (int i = 0; i < t->nslots; i++) {
		rpc_conn *c = &t->slots[i];
		if (c->id == 0 || c->id == except || c->closing ||
		    c->outstanding > 0)
			continue;
		if (same_as != NULL && !rpc_same_addr(&c->sa, same_as))
			continue;
		if (v == NULL || c->last < v->last)
			v = c;
	}
	return v;
}

/* A new connection: identify it, and keep the bounds. */
static void rpc_conns_add(rpc_conns *t, nng_pipe p)
{
	uint32_t close_ids[2];
	int nclose = 0;
	bool refuse = false;
	rpc_conn fresh = {.id = nng_pipe_id(p)};
	rpc_conns_identify(t, p, &fresh);
	fresh.last = nng_clock();

	nng_mtx_lock(t->mu);
	int total = 0, same = 0;
	for (int i = 0; i < t->nslots; i++) {
		const rpc_conn *c = &t->slots[i];
		if (c->id == 0 || c->closing)
			continue;
		total++;
		if (rpc_same_addr(&c->sa, &fresh.sa))
			same++;
	}
	if (t->o.max_per_peer > 0 && same >= t->o.max_per_peer) {
		rpc_conn *v = rpc_conns_victim(t, &fresh.sa, 0);
		if (v == NULL) {
			refuse = true;
		} else {
			v->closing = true;
			close_ids[nclose++] = v->id;
			total--;
		}
	}
	if (!refuse && t->o.max_connections > 0 &&
	    total >= t->o.max_connections) {
		rpc_conn *v = rpc_conns_victim(t, NULL, 0);
		if (v == NULL) {
			refuse = true;
		} else {
			v->closing = true;
			close_ids[nclose++] = v->id;
		}
	}
	rpc_conn *c = refuse ? NULL : rpc_conns_insert(t, fresh.id);
	if (c != NULL)
		*c = fresh;
	else
		refuse = true;
	t->st.evicted += (uint64_t)nclose;
	if (refuse)
		t->st.refused++;
	nng_mtx_unlock(t->mu);

	if (nclose > 0 || refuse) {
		char who[160];
		rpc_peer_log_safe(fresh.peer.subject, who, sizeof who);
		log_limited(&rpc_conn_limit_log, LOG_LVL_WARN,
		    "url=\"%s\" bound=connections peer_addr=%s peer=\"%s\" "
		    "action=\"%s\"",
		    t->o.who, fresh.peer.addr, who,
		    refuse ? "refused (every connection busy)"
		           : "closed the longest-idle connection");
	}
	for (int i = 0; i < nclose; i++) {
		nng_pipe v;
		v.id = close_ids[i];
		nng_pipe_close(v);
	}
	if (refuse)
		nng_pipe_close(p);
}

void rpc_conns_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	rpc_conns *t = arg;
	if (ev == NNG_PIPE_EV_ADD_PRE) {
		rpc_conns_add(t, p);
	} else if (ev == NNG_PIPE_EV_REM_POST) {
		nng_mtx_lock(t->mu);
		rpc_conns_remove(t, nng_pipe_id(p));
		nng_mtx_unlock(t->mu);
	}
}

/* Token bucket of the identity; false when it is empty. Called locked. */
static bool rpc_conns_rate_take(rpc_conns *t, const rpc_peer *peer)
{
	if (t->o.rate == 0 || !peer->known)
		return true;
	uint32_t h = (uint32_t)peer->cert_sha256[0] |
	             (uint32_t)peer->cert_sha256[1] << 8 |
	             (uint32_t)peer->cert_sha256[2] << 16;
	nng_time now = nng_clock();
	rpc_rate *r = NULL, *oldest = NULL;
	for (int i = 0; i < RPC_RATE_PROBE; i++) {
		rpc_rate *e = &t->rates[(h + (uint32_t)i) % RPC_RATE_SLOTS];
		if (memcmp(e->key, peer->cert_sha256, 32) == 0) {
			r = e;
			break;
		}
		if (oldest == NULL || e->last < oldest->last)
			oldest = e;
	}
	uint64_t cap =
	    (uint64_t)(t->o.burst > 0 ? t->o.burst : t->o.rate) * 1000;
	if (r == NULL) {
		/* A new identity (or one not seen for a while) starts full. */
		r = oldest;
		memcpy(r->key, peer->cert_sha256, 32);
		r->milli_tokens = cap;
	} else {
		uint64_t add = (now - r->last) * t->o.rate;
		r->milli_tokens =
		    r->milli_tokens + add > cap ? cap : r->milli_tokens + add;
	}
	r->last = now;
	if (r->milli_tokens < 1000)
		return false;
	r->milli_tokens -= 1000;
	return true;
}

bool rpc_conns_begin(rpc_conns *t, nng_pipe pipe, bool exempt, rpc_peer *peer)
{
	bool ok = true;
	nng_mtx_lock(t->mu);
	rpc_conn *c = rpc_conns_find(t, nng_pipe_id(pipe));
	if (c != NULL) {
		*peer = c->peer;
		c->outstanding++;
		c->last = nng_clock();
	} else {
		memset(peer, 0, sizeof *peer);
	}
	if (!exempt && !rpc_conns_rate_take(t, peer)) {
		ok = false;
		t->st.rate_limited++;
	}
	nng_mtx_unlock(t->mu);
	return ok;
}

void rpc_conns_done(rpc_conns *t, nng_pipe pipe)
{
	nng_mtx_lock(t->mu);
	rpc_conn *c = rpc_conns_find(t, nng_pipe_id(pipe));
	if (c != NULL) {
		if (c->outstanding > 0)
			c->outstanding--;
		c->last = nng_clock();
	}
	nng_mtx_unlock(t->mu);
}

void rpc_conns_sweep(rpc_conns *t)
{
	enum { SWEEP_MAX = 256 }; /* closed per sweep; the rest next time */
	uint32_t ids[SWEEP_MAX];
	int n = 0;
	nng_time now = nng_clock();
	nng_mtx_lock(t->mu);
	for (int i = 0; i < t->nslots && n < SWEEP_MAX; i++) {
		rpc_conn *c = &t->slots[i];
		if (c->id == 0 || c->closing || c->outstanding > 0 ||
		    t->o.idle_timeout_ms == 0 ||
		    now - c->last < t->o.idle_timeout_ms)
			continue;
		c->closing = true;
		ids[n++] = c->id;
	}
	t->st.idle_closed += (uint64_t)n;
	uint64_t idle = t->st.idle_closed - t->logged_idle;
	uint64_t rate = t->st.rate_limited - t->logged_rate;
	t->logged_idle = t->st.idle_closed;
	t->logged_rate = t->st.rate_limited;
	nng_mtx_unlock(t->mu);
	for (int i = 0; i < n; i++) {
		nng_pipe p;
		p.id = ids[i];
		nng_pipe_close(p);
	}
	if (idle > 0)
		log_info("rpc.idle_closed",
		    "url=\"%s\" count=%llu idle_timeout_ms=%u", t->o.who,
		    (unsigned long long)idle, t->o.idle_timeout_ms);
	if (rate > 0)
		log_warn("rpc.rate_limited",
		    "url=\"%s\" count=%llu rate=%u burst=%u "
		    "(requests refused RESOURCE_EXHAUSTED in the last second)",
		    t->o.who, (unsigned long long)rate, t->o.rate, t->o.burst);
}

void rpc_conns_get_stats(rpc_conns *t, rpc_conns_stats *st)
{
	nng_mtx_lock(t->mu);
	*st = t->st;
	st->open = 0;
	for (int i = 0; i < t->nslots; i++)
		if (t->slots[i].id != 0 && !t->slots[i].closing)
			st->open++;
	nng_mtx_unlock(t->mu);
}
