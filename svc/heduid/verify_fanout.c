/* SPDX-License-Identifier: MIT */
#include "verify_fanout.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "hedui/v1/source.pb-c.h"
#include "log.h"
#include "metrics.h"
#include "pb_arena.h"
#include "rpc_client.h"

typedef struct verify_job verify_job;
typedef struct verify_lane verify_lane;

/* One household's lookup at one source, queued for a batch. */
typedef struct verify_leg {
	verify_job *job;
	policy_source source;
	nng_time deadline; /* absolute, nng_clock() */
	nng_time queued_at;
	struct verify_leg *next;
} verify_leg;

struct verify_job {
	policy_household *h;
	const char *as_of, *case_ref; /* the caller's, live until done */
	atomic_int pending;
	verify_fanout_done_fn done;
	void *arg;
	verify_leg legs[POLICY_SOURCE_COUNT];
};

/* One source: its connection and the households waiting for a batch. */
struct verify_lane {
	struct verify_sources *s;
	policy_source src;
	rpc_client *client;
	int batch_max;
	pthread_mutex_t mu;
	verify_leg *head, *tail;
	int queued;
	size_t queued_ids;
	int inflight;
	struct verify_batch *out; /* requests under way */
	bool closing;
	uint64_t batches, households;
	metrics_series *m_latency; /* NULL without metrics */
};

struct verify_sources {
	verify_lane lanes[POLICY_SOURCE_COUNT];
	/* The ticker: sends what has waited VERIFY_BATCH_MAX_WAIT_MS for a
	 * request that does not come back (a hung source). It ticks only
	 * while households queue, and sleeps after a second without. */
	pthread_t ticker;
	bool ticker_started;
	pthread_mutex_t tick_mu;
	pthread_cond_t tick_cv;
	atomic_bool ticking;
	bool stop;
	metrics *metrics;
};

/* Households in one request go out as one batch. */
typedef struct verify_batch {
	verify_lane *lane;
	pb_arena arena; /* the answer decodes into it (pb_arena.h) */
	struct verify_batch *next, *prev; /* in lane->out */
	nng_time deadline;                /* the earliest of its legs' */
	nng_time sent_at;
	size_t n;
	verify_leg *legs[VERIFY_BATCH_MAX_HOUSEHOLDS];
} verify_batch;

static const char *const verify_methods[POLICY_SOURCE_COUNT] = {
    [POLICY_SOURCE_BANK] = "hedui.v1.BankSource/Lookup",
    [POLICY_SOURCE_TAX] = "hedui.v1.TaxSource/Lookup",
    [POLICY_SOURCE_PROPERTY] = "hedui.v1.PropertySource/Lookup",
};

static void verify_lane_flush(verify_lane *l);

static void *verify_ticker(void *arg)
{
	verify_sources *s = arg;
	int idle = 0;
	pthread_mutex_lock(&s->tick_mu);
	while (!s->stop) {
		if (!atomic_load(&s->ticking)) {
			pthread_cond_wait(&s->tick_cv, &s->tick_mu);
			idle = 0;
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += VERIFY_BATCH_MAX_WAIT_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->tick_cv, &s->tick_mu, &ts);
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->tick_mu);
		nng_time now = nng_clock();
		bool any = false;
		for (int i = 0; i < POLICY_SOURCE_COUNT; i++) {
			verify_lane *l = &s->lanes[i];
			pthread_mutex_lock(&l->mu);
			bool old =
			    l->head != NULL && now - l->head->queued_at >=
			                           VERIFY_BATCH_MAX_WAIT_MS;
			any |= l->head != NULL;
			pthread_mutex_unlock(&l->mu);
			if (old)
				verify_lane_flush(l);
		}
		pthread_mutex_lock(&s->tick_mu);
		idle = any ? 0 : idle + 1;
		if (idle * VERIFY_BATCH_MAX_WAIT_MS >= 1000) {
			atomic_store(&s->ticking, false);
			/* A household queued just before sees ticking still
			 * set and does not wake us: look once more. */
			for (int i = 0; i < POLICY_SOURCE_COUNT; i++) {
				pthread_mutex_lock(&s->lanes[i].mu);
				if (s->lanes[i].head != NULL)
					atomic_store(&s->ticking, true);
				pthread_mutex_unlock(&s->lanes[i].mu);
			}
		}
	}
	pthread_mutex_unlock(&s->tick_mu);
	return NULL;
}

/* Wakes the ticker if it sleeps; nearly always a load and nothing more. */
static void verify_ticker_wake(verify_sources *s)
{
	if (atomic_load(&s->ticking))
		return;
	pthread_mutex_lock(&s->tick_mu);
	atomic_store(&s->ticking, true);
	pthread_cond_signal(&s->tick_cv);
	pthread_mutex_unlock(&s->tick_mu);
}

verify_sources *verify_sources_alloc(
    const char *const urls[POLICY_SOURCE_COUNT],
    const char *const peers[POLICY_SOURCE_COUNT], const tls_opts *tls,
    int batch_max)
{
	verify_sources *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	if (batch_max <= 0)
		batch_max = VERIFY_BATCH_MAX_HOUSEHOLDS;
	if (batch_max > VERIFY_BATCH_MAX_HOUSEHOLDS)
		batch_max = VERIFY_BATCH_MAX_HOUSEHOLDS;
	pthread_mutex_init(&s->tick_mu, NULL);
	pthread_cond_init(&s->tick_cv, NULL);
	atomic_init(&s->ticking, false);
	for (int i = 0; i < POLICY_SOURCE_COUNT; i++)
		pthread_mutex_init(&s->lanes[i].mu, NULL);
	if (batch_max > 1) {
		if (pthread_create(&s->ticker, NULL, verify_ticker, s) != 0) {
			verify_sources_free(s);
			return NULL;
		}
		s->ticker_started = true;
	}
	for (int i = 0; i < POLICY_SOURCE_COUNT; i++) {
		verify_lane *l = &s->lanes[i];
		l->s = s;
		l->src = (policy_source)i;
		l->batch_max = batch_max;
		if (urls[i] == NULL || urls[i][0] == '\0') {
			log_warn("fanout.source", "source=%s configured=no",
			    policy_source_name((policy_source)i));
			continue;
		}
		rpc_client_opts o = {.url = urls[i],
		    .tls = *tls,
		    .recv_max_bytes = 4 * 1024 * 1024,
		    .expect_peer = peers != NULL ? peers[i] : NULL};
		l->client = rpc_client_alloc(&o);
		if (l->client == NULL) {
			verify_sources_free(s);
			return NULL;
		}
	}
	return s;
}

static void verify_leg_done(verify_leg *leg);
static void verify_leg_fail_all(verify_job *job, policy_source src);

void verify_sources_set_metrics(verify_sources *s, metrics *m)
{
	static const double secs[] = {0.001, 0.0025, 0.005, 0.01, 0.025,
	    0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
	if (m == NULL)
		return;
	metrics_family(m, "hedui_source_requests_total", METRICS_COUNTER,
	    "Requests to the sources (each up to batch_max households), by "
	    "source and status code; not OK: those households' facts from "
	    "that source are missing (needs_review).",
	    NULL, 0);
	metrics_family(m, "hedui_source_households_total", METRICS_COUNTER,
	    "Households looked up at the sources, by source and the status "
	    "code of their request.",
	    NULL, 0);
	metrics_family(m, "hedui_source_request_duration_seconds",
	    METRICS_HISTOGRAM, "A source request's round trip, by source.",
	    secs, sizeof secs / sizeof secs[0]);
	s->metrics = m;
	for (int i = 0; i < POLICY_SOURCE_COUNT; i++) {
		char l1[48];
		metrics_label(l1, sizeof l1, "source",
		    policy_source_name((policy_source)i));
		s->lanes[i].m_latency = metrics_get(
		    m, "hedui_source_request_duration_seconds", l1);
	}
}

void verify_sources_free(verify_sources *s)
{
	if (s == NULL)
		return;
	if (s->ticker_started) {
		pthread_mutex_lock(&s->tick_mu);
		s->stop = true;
		pthread_cond_signal(&s->tick_cv);
		pthread_mutex_unlock(&s->tick_mu);
		pthread_join(s->ticker, NULL);
	}
	for (int i = 0; i < POLICY_SOURCE_COUNT; i++) {
		verify_lane *l = &s->lanes[i];
		pthread_mutex_lock(&l->mu);
		l->closing = true;
		pthread_mutex_unlock(&l->mu);
		/* Nothing is queued once the server has drained; fail what
		 * might be, so that every household is still answered. */
		pthread_mutex_lock(&l->mu);
		verify_leg *q = l->head;
		l->head = l->tail = NULL;
		pthread_mutex_unlock(&l->mu);
		while (q != NULL) {
			verify_leg *next = q->next;
			verify_leg_fail_all(q->job, q->source);
			verify_leg_done(q);
			q = next;
		}
		rpc_client_free(l->client);
		if (l->batches > 0)
			log_info("fanout.batches",
			    "source=%s requests=%llu households=%llu",
			    policy_source_name(l->src),
			    (unsigned long long)l->batches,
			    (unsigned long long)l->households);
		pthread_mutex_destroy(&l->mu);
	}
	pthread_cond_destroy(&s->tick_cv);
	pthread_mutex_destroy(&s->tick_mu);
	free(s);
}

static void verify_leg_fail_all(verify_job *job, policy_source src)
{
	for (size_t m = 0; m < job->h->n_members; m++)
		job->h->members[m].lookup[src] = POLICY_LOOKUP_FAILED;
}

static void verify_leg_done(verify_leg *leg)
{
	verify_job *job = leg->job;
	if (atomic_fetch_sub(&job->pending, 1) != 1)
		return;
	verify_fanout_done_fn done = job->done;
	void *arg = job->arg;
	policy_household *h = job->h;
	free(job);
	done(h, arg);
}

/* Would leg fit into b, whose first leg is first? Same as_of; deadlines
 * close enough that sending with the earliest costs none of them more
 * than a tenth of its time (at least 20 ms); and the ID cap. */
static bool verify_batch_fits(const verify_batch *b, size_t ids,
    const verify_leg *leg, nng_time lo, nng_time hi, nng_time now)
{
	const verify_leg *first = b->legs[0];
	if (b->n >= (size_t)b->lane->batch_max ||
	    ids + leg->job->h->n_members > VERIFY_BATCH_MAX_IDS)
		return false;
	if (strcmp(first->job->as_of, leg->job->as_of) != 0)
		return false;
	nng_time d = leg->deadline;
	nng_time span = (d > hi ? d : hi) - (d < lo ? d : lo);
	nng_time left = first->deadline > now ? first->deadline - now : 0;
	nng_time tol = left / 10 > 20 ? left / 10 : 20;
	return span <= tol;
}

/* b goes out (mu held). */
static void verify_lane_out(verify_lane *l, verify_batch *b)
{
	b->prev = NULL;
	b->next = l->out;
	if (l->out != NULL)
		l->out->prev = b;
	l->out = b;
	l->inflight++;
	l->batches++;
	l->households += b->n;
}

/* Takes the next batch off the queue (mu held): the oldest household
 * and those that fit with it. NULL when the queue is empty. */
static verify_batch *verify_lane_take(verify_lane *l)
{
	if (l->head == NULL)
		return NULL;
	verify_batch *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	b->lane = l;
	nng_time now = nng_clock();
	verify_leg **pp = &l->head, *prev = NULL;
	nng_time lo = l->head->deadline, hi = lo;
	size_t ids = 0;
	while (*pp != NULL) {
		verify_leg *leg = *pp;
		if (b->n == 0 || verify_batch_fits(b, ids, leg, lo, hi, now)) {
			*pp = leg->next;
			leg->next = NULL;
			b->legs[b->n++] = leg;
			ids += leg->job->h->n_members;
			lo = leg->deadline < lo ? leg->deadline : lo;
			hi = leg->deadline > hi ? leg->deadline : hi;
			l->queued--;
			l->queued_ids -= leg->job->h->n_members;
		} else {
			prev = leg;
			pp = &leg->next;
		}
	}
	l->tail = prev;
	b->deadline = lo;
	verify_lane_out(l, b);
	return b;
}

static void verify_batch_send(verify_batch *b);

/* Sends everything queued, batch by batch. */
static void verify_lane_flush(verify_lane *l)
{
	for (;;) {
		pthread_mutex_lock(&l->mu);
		verify_batch *b = l->closing ? NULL : verify_lane_take(l);
		verify_leg *lost = NULL;
		if (b == NULL && !l->closing && l->head != NULL) {
			/* Out of memory: fail what waits rather than strand
			 * it. */
			lost = l->head;
			l->head = l->tail = NULL;
			l->queued = 0;
			l->queued_ids = 0;
		}
		pthread_mutex_unlock(&l->mu);
		for (verify_leg *q = lost, *next; q != NULL; q = next) {
			next = q->next;
			verify_leg_fail_all(q->job, q->source);
			verify_leg_done(q);
		}
		if (b == NULL)
			return;
		verify_batch_send(b);
	}
}

static void verify_batch_cb(
    rpc_code code, const rpc_status *st, ProtobufCMessage *resp, void *arg)
{
	verify_batch *b = arg;
	verify_lane *l = b->lane;
	policy_source src = l->src;
	if (l->s->metrics != NULL) {
		char l1[48], l2[64], labels[120];
		metrics_label(l1, sizeof l1, "source", policy_source_name(src));
		metrics_label(l2, sizeof l2, "code", rpc_code_name(code));
		snprintf(labels, sizeof labels, "%s,%s", l1, l2);
		metrics_inc(metrics_get(l->s->metrics,
		                "hedui_source_requests_total", labels),
		    1);
		metrics_inc(metrics_get(l->s->metrics,
		                "hedui_source_households_total", labels),
		    b->n);
		metrics_observe(l->m_latency,
		    (double)(nng_clock() - b->sent_at) / 1000.0);
	}
	if (code != RPC_OK)
		log_warn("fanout.leg",
		    "source=%s households=%zu code=%s message=\"%s\"",
		    policy_source_name(src), b->n, rpc_code_name(code),
		    st->message);
	size_t at = 0;
	for (size_t i = 0; i < b->n; i++) {
		verify_leg *leg = b->legs[i];
		if (code != RPC_OK)
			verify_leg_fail_all(leg->job, src);
		else
			at = verify_fanout_take_at(leg->job->h, src, resp, at);
	}
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, &b->arena.allocator);
	pb_arena_release(&b->arena);
	pthread_mutex_lock(&l->mu);
	if (b->prev != NULL)
		b->prev->next = b->next;
	else
		l->out = b->next;
	if (b->next != NULL)
		b->next->prev = b->prev;
	l->inflight--;
	bool more = l->head != NULL;
	pthread_mutex_unlock(&l->mu);
	for (size_t i = 0; i < b->n; i++)
		verify_leg_done(b->legs[i]);
	free(b);
	/* Whatever queued while this was out goes now. */
	if (more)
		verify_lane_flush(l);
}

/* One household: the single form every source understands. Several: the
 * households form (source.proto). */
static void verify_batch_send(verify_batch *b)
{
	verify_lane *l = b->lane;
	char *ids[VERIFY_BATCH_MAX_IDS];
	Hedui__V1__LookupHousehold groups[VERIFY_BATCH_MAX_HOUSEHOLDS];
	Hedui__V1__LookupHousehold *gp[VERIFY_BATCH_MAX_HOUSEHOLDS];
	Hedui__V1__LookupRequest req = HEDUI__V1__LOOKUP_REQUEST__INIT;
	nng_time deadline = b->deadline;
	size_t k = 0;
	for (size_t i = 0; i < b->n; i++) {
		policy_household *h = b->legs[i]->job->h;
		hedui__v1__lookup_household__init(&groups[i]);
		groups[i].id_numbers = &ids[k];
		groups[i].n_id_numbers = h->n_members;
		groups[i].case_ref = (char *)b->legs[i]->job->case_ref;
		gp[i] = &groups[i];
		for (size_t m = 0; m < h->n_members; m++)
			ids[k++] = h->members[m].id_number;
	}
	req.as_of = (char *)b->legs[0]->job->as_of;
	if (b->n == 1) {
		req.id_numbers = groups[0].id_numbers;
		req.n_id_numbers = groups[0].n_id_numbers;
		req.case_ref = groups[0].case_ref;
	} else {
		req.households = gp;
		req.n_households = b->n;
	}
	nng_time now = nng_clock();
	b->sent_at = now;
	/* About 300 bytes of decoded facts per person. */
	pb_arena_init(&b->arena, 512 * (size_t)k + 1024);
	/* A lookup reads: asking again is harmless, and a source closing
	 * an idle connection just as the request went out must not cost a
	 * verdict its source. */
	rpc_call_opts opts = {
	    .deadline_ms = deadline > now ? (uint32_t)(deadline - now) : 1,
	    .idempotent = true,
	    .allocator = &b->arena.allocator};
	hd_err err = rpc_client_call_async(l->client, verify_methods[l->src],
	    &req.base, verify_fanout_response_desc(l->src), &opts,
	    verify_batch_cb, b);
	if (err != HD_OK) {
		rpc_status st = {0};
		snprintf(
		    st.message, sizeof st.message, "%s", hd_strerror(err));
		verify_batch_cb(RPC_UNAVAILABLE, &st, NULL, b);
	}
}

/* Could leg wait for a request under way (mu held)? Only if one of them
 * must end (answered or timed out) before leg's own deadline, so that
 * waiting never makes a household late. */
static bool verify_lane_can_wait(const verify_lane *l, const verify_leg *leg)
{
	for (const verify_batch *b = l->out; b != NULL; b = b->next)
		if (b->deadline <= leg->deadline)
			return true;
	return false;
}

/* Sends leg at once when nothing is out at its source (or batching is
 * off, or it cannot wait); otherwise queues it until a request to that
 * source comes back or the queue is full, and the queue goes out in as
 * few requests as fit. */
static void verify_lane_submit(verify_lane *l, verify_leg *leg)
{
	pthread_mutex_lock(&l->mu);
	if (l->batch_max <= 1 || l->inflight == 0 ||
	    !verify_lane_can_wait(l, leg)) {
		verify_batch *b = calloc(1, sizeof *b);
		if (b != NULL) {
			b->lane = l;
			b->legs[b->n++] = leg;
			b->deadline = leg->deadline;
			verify_lane_out(l, b);
		}
		pthread_mutex_unlock(&l->mu);
		if (b != NULL) {
			verify_batch_send(b);
		} else {
			verify_leg_fail_all(leg->job, l->src);
			verify_leg_done(leg);
		}
		return;
	}
	leg->queued_at = nng_clock();
	if (l->tail != NULL)
		l->tail->next = leg;
	else
		l->head = leg;
	l->tail = leg;
	l->queued++;
	l->queued_ids += leg->job->h->n_members;
	bool full = l->queued >= l->batch_max ||
	            l->queued_ids + POLICY_MAX_MEMBERS > VERIFY_BATCH_MAX_IDS;
	pthread_mutex_unlock(&l->mu);
	if (full)
		verify_lane_flush(l);
	else
		verify_ticker_wake(l->s);
}

hd_err verify_fanout_start(verify_sources *s, policy_household *h,
    const char *as_of, const char *case_ref, uint32_t deadline_ms,
    verify_fanout_done_fn done, void *arg)
{
	verify_job *job = calloc(1, sizeof *job);
	if (job == NULL)
		return HD_ENOMEM;
	job->h = h;
	job->as_of = as_of != NULL ? as_of : "";
	job->case_ref = case_ref != NULL ? case_ref : "";
	job->done = done;
	job->arg = arg;
	nng_time deadline = nng_clock() + (deadline_ms > 0 ? deadline_ms : 1);

	/* One extra count held while starting, so that no leg finishing early
	 * frees the job under us. */
	atomic_init(&job->pending, POLICY_SOURCE_COUNT + 1);
	for (int i = 0; i < POLICY_SOURCE_COUNT; i++) {
		verify_leg *leg = &job->legs[i];
		leg->job = job;
		leg->source = (policy_source)i;
		leg->deadline = deadline;
		if (s->lanes[i].client == NULL) {
			verify_leg_fail_all(job, (policy_source)i);
			verify_leg_done(leg);
			continue;
		}
		verify_lane_submit(&s->lanes[i], leg);
	}
	verify_leg_done(&job->legs[0]);
	return HD_OK;
}
