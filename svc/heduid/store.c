/* SPDX-License-Identifier: MIT */
/*
 * The store's queue, group commit, audit chaining and health (store.h);
 * the database itself is a backend (store_backend.h).
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "log.h"
#include "metrics.h"
#include "rpc_status.h"
#include "store_backend.h"
#include "store_url.h"

typedef struct store_item {
	struct store_item *next;
	bool has_report;
	/* The writer's, per group: the report is to be inserted; or it has
	 * the key of an earlier item of the group (dup_of), whose report it
	 * then gets once sealed; key hashes the idempotency key. */
	bool insert;
	struct store_item *dup_of;
	uint64_t key;
	store_report rep;
	store_audit audit;
	char *strbuf;         /* the audit's strings, copied into one block */
	store_write_fn write; /* another module's write, or NULL */
	void *write_arg;
	/* A write whose audit record counts what it did (store_purge):
	 * read after the write, NULL otherwise. */
	const int64_t *audit_count;
	store_done_fn done;
	void *arg;
	hd_err result;
	store_report existing;
} store_item;

struct store {
	const store_backend_ops *ops;
	/* The writer's metrics; NULL without a registry. */
	metrics_series *m_commit, *m_group, *m_failed;
	void *wdb; /* the writer thread's */
	void *rdb; /* readers', under rmu */
	pthread_mutex_t rmu;
	void *ldb; /* long reads' (store_read_long), under lmu */
	pthread_mutex_t lmu;
	uint8_t key[64];
	size_t keylen;
	audit_key *mac; /* key, prepared once */
	uint32_t probe_ms;
	int max_batch;
	void (*health_cb)(bool, void *);
	void *health_arg;
	hd_err (*seal)(store_report *const *, size_t, void *);
	void *seal_arg;
	store_report **sealing;   /* the writer's: max_batch entries */
	struct store_item **keys; /* the writer's: a group's new keys */
	size_t nkeys;             /* a power of two >= 2 max_batch */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	store_item *head, *tail;
	bool closing;
	bool healthy;
	int inject;
	bool held;
	bool read_failed; /* a shared store's read failed: the writer is to
	                     turn unhealthy and probe */
	store_stats stats;
	pthread_t writer;
	bool writer_started;

	/* The chain's last record: the writer's alone. */
	int64_t last_seq;
	uint8_t last_hash[AUDIT_HASH_LEN];
};

void store_report_clear(store_report *r)
{
	if (r == NULL)
		return;
	free(r->report);
	r->report = NULL;
	r->report_len = 0;
	free(r->proof);
	r->proof = NULL;
	r->proof_len = 0;
}

/* Items come and go by the thousand a second and are some 5 KiB (two
 * reports' fixed fields): kept on a free list rather than calloc'd and
 * freed each time (whose zeroing and large-chunk handling showed in the
 * profile of a batch). Fields are set one by one where an item is made. */
#define STORE_ITEMS_KEPT 1024
static pthread_mutex_t store_items_mu = PTHREAD_MUTEX_INITIALIZER;
static store_item *store_items_free;
static int store_items_nfree;

static store_item *store_item_new(void)
{
	pthread_mutex_lock(&store_items_mu);
	store_item *it = store_items_free;
	if (it != NULL) {
		store_items_free = it->next;
		store_items_nfree--;
	}
	pthread_mutex_unlock(&store_items_mu);
	if (it == NULL && (it = malloc(sizeof *it)) == NULL)
		return NULL;
	it->next = NULL;
	it->has_report = false;
	it->insert = false;
	it->dup_of = NULL;
	it->key = 0;
	it->strbuf = NULL;
	it->write = NULL;
	it->write_arg = NULL;
	it->audit_count = NULL;
	it->done = NULL;
	it->arg = NULL;
	it->result = HD_OK;
	it->rep.report = it->rep.proof = NULL;
	it->rep.report_len = it->rep.proof_len = 0;
	it->existing.report = it->existing.proof = NULL;
	it->existing.report_len = it->existing.proof_len = 0;
	return it;
}

static void store_item_free(store_item *it)
{
	if (it == NULL)
		return;
	store_report_clear(&it->rep);
	store_report_clear(&it->existing);
	free(it->strbuf);
	pthread_mutex_lock(&store_items_mu);
	if (store_items_nfree < STORE_ITEMS_KEPT) {
		it->next = store_items_free;
		store_items_free = it;
		store_items_nfree++;
		it = NULL;
	}
	pthread_mutex_unlock(&store_items_mu);
	free(it);
}

static void store_finish(store_item *it)
{
	store_report *stored = NULL;
	/* Another module's write (store_write_async) has no report: its
	 * HD_EEXIST comes with none. */
	if (it->result == HD_EEXIST && it->has_report)
		stored = &it->existing;
	else if (it->result == HD_OK && it->has_report)
		stored = &it->rep;
	if (it->done != NULL)
		it->done(it->result, stored, it->arg);
	store_item_free(it);
}

static void store_set_health(store *s, bool healthy)
{
	pthread_mutex_lock(&s->mu);
	bool changed = s->healthy != healthy;
	s->healthy = healthy;
	pthread_mutex_unlock(&s->mu);
	if (!changed)
		return;
	if (healthy)
		log_info("store.health", "healthy=true");
	else
		log_error("store.health", "healthy=false action=\"refusing "
		                          "verifications until a write "
		                          "succeeds again\"");
	if (s->health_cb != NULL)
		s->health_cb(healthy, s->health_arg);
}

/* FNV-1a over the idempotency key, to find two items of a group with
 * the same key without comparing every pair of strings. */
static uint64_t store_key_hash(const store_report *r)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[3] = {r->agency, r->region, r->request_id};
	for (int i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p != '\0'; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
		h = (h ^ 0xff) * 0x100000001b3ULL; /* a separator */
	}
	return h;
}

static bool store_same_key(const store_report *a, const store_report *b)
{
	return strcmp(a->agency, b->agency) == 0 &&
	       strcmp(a->region, b->region) == 0 &&
	       strcmp(a->request_id, b->request_id) == 0;
}

/* A copy of src's buffers into dst (an in-group duplicate's existing). */
static hd_err store_report_copy(store_report *dst, const store_report *src)
{
	*dst = *src;
	dst->report = malloc(src->report_len > 0 ? src->report_len : 1);
	dst->proof = src->proof_len > 0 ? malloc(src->proof_len) : NULL;
	if (dst->report == NULL ||
	    (src->proof_len > 0 && dst->proof == NULL)) {
		store_report_clear(dst);
		return HD_ENOMEM;
	}
	memcpy(dst->report, src->report, src->report_len);
	if (src->proof_len > 0)
		memcpy(dst->proof, src->proof, src->proof_len);
	return HD_OK;
}

/* First pass over a group, inside its transaction: which reports are
 * new, which keys are repeated within the group, and (when lookup) which
 * are taken already (HD_EEXIST with the stored report); then the seal of
 * the new ones. */
static hd_err store_prepare_reports(store *s, store_item *batch, bool lookup)
{
	const store_backend_ops *o = s->ops;
	size_t n = 0;
	hd_err e = HD_OK;
	memset(s->keys, 0, s->nkeys * sizeof *s->keys);
	for (store_item *it = batch; it != NULL; it = it->next) {
		it->result = HD_OK;
		it->insert = false;
		it->dup_of = NULL;
		store_report_clear(&it->existing);
		if (!it->has_report)
			continue;
		if (lookup) {
			e = o->find_by_request(s->wdb, it->rep.agency,
			    it->rep.region, it->rep.request_id, &it->existing);
			if (e == HD_OK) {
				it->result = HD_EEXIST;
				continue;
			}
			if (e != HD_ENOTFOUND)
				return e;
			e = HD_OK;
		}
		it->key = store_key_hash(&it->rep);
		/* Open addressing over the group's new keys; the table has
		 * twice as many slots as a group has items. */
		size_t mask = s->nkeys - 1, slot = (size_t)it->key & mask;
		for (; s->keys[slot] != NULL; slot = (slot + 1) & mask) {
			store_item *p = s->keys[slot];
			if (p->key == it->key &&
			    store_same_key(&p->rep, &it->rep)) {
				it->dup_of = p;
				break;
			}
		}
		if (it->dup_of != NULL) {
			it->result = HD_EEXIST;
			continue;
		}
		s->keys[slot] = it;
		it->insert = true;
		/* A group written again is sealed again: what an earlier
		 * seal gave is gone with that transaction. */
		free(it->rep.proof);
		it->rep.proof = NULL;
		it->rep.proof_len = 0;
		s->sealing[n++] = &it->rep;
	}
	if (n > 0 && s->seal != NULL &&
	    (e = s->seal(s->sealing, n, s->seal_arg)) != HD_OK)
		return e;
	/* A repeated key gets the report sealed for the first. */
	for (store_item *it = batch; it != NULL; it = it->next)
		if (it->dup_of != NULL && (e = store_report_copy(&it->existing,
		                               &it->dup_of->rep)) != HD_OK)
			return e;
	return HD_OK;
}

/* The statistics' counts of the group's new reports, in its transaction
 * (store_counts.h): once per group, so that the backend can add up the
 * reports of one county and day before it writes. */
static hd_err store_insert_summaries(store *s, store_item *batch)
{
	size_t n = 0;
	if (s->ops->insert_summaries == NULL)
		return HD_OK;
	for (store_item *it = batch; it != NULL; it = it->next)
		if (it->insert && it->rep.summary.program[0] != '\0')
			s->sealing[n++] = &it->rep;
	if (n == 0)
		return HD_OK;
	return s->ops->insert_summaries(
	    s->wdb, (const store_report *const *)s->sealing, n);
}

/* Writes one batch in one transaction; sets every item's result. */
static void store_write_batch(store *s, store_item *batch, int n)
{
	const store_backend_ops *o = s->ops;
	int64_t seq = s->last_seq;
	uint8_t hash[AUDIT_HASH_LEN];
	memcpy(hash, s->last_hash, sizeof hash);
	hd_err e = HD_OK;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	pthread_mutex_lock(&s->mu);
	bool inject = s->inject > 0;
	if (inject)
		s->inject--;
	pthread_mutex_unlock(&s->mu);
	if (inject) {
		log_error("store.commit", "error=\"injected failure\"");
		e = HD_EDB;
		goto out;
	}
	/* Callers looked for their key before they built their report, so a
	 * key is nearly never taken by now (a concurrent retry): the group
	 * is written without looking each key up first, and the insert says
	 * when one was taken. Then, and only then, the group is written
	 * again, looking every key up (lookup). */
	bool lookup = false;
again:
	seq = s->last_seq;
	memcpy(hash, s->last_hash, sizeof hash);
	if ((e = o->begin(s->wdb)) != HD_OK)
		goto out;
	/* Other processes may have appended since (replicas on one
	 * database): the chain goes on from its head as of now. */
	if (o->audit_head_locked != NULL &&
	    (e = o->audit_head_locked(s->wdb, &seq, hash)) != HD_OK) {
		o->rollback(s->wdb);
		goto out;
	}
	e = store_prepare_reports(s, batch, lookup);
	for (store_item *it = batch; it != NULL && e == HD_OK; it = it->next) {
		store_audit a = it->audit;
		if (it->insert)
			e = o->insert_report(s->wdb, &it->rep);
		if (e == HD_EEXIST && !lookup) {
			o->rollback(s->wdb);
			lookup = true;
			goto again;
		}
		if (e != HD_OK)
			break;
		if (it->result == HD_EEXIST)
			a.report_id = it->existing.report_id;
		if (it->write != NULL) {
			hd_err we =
			    it->write(s->wdb, o, it->write_arg, &a.outcome);
			if (we == HD_EDB) {
				e = we;
				break;
			}
			it->result = we;
			if (it->audit_count != NULL)
				a.count = *it->audit_count;
		}
		audit_record r = {
		    .seq = ++seq,
		    .time_ms = a.time_ms,
		    .agency = a.agency,
		    .operator_id = a.operator_id,
		    .case_id = a.case_id,
		    .method = a.method,
		    .report_id = a.report_id,
		    .persons = a.persons,
		    .outcome = a.outcome,
		    /* As stored: a record of one is count 1. */
		    .count = a.count > 1 ? a.count : 1,
		    .peer = a.peer,
		    .reason = a.reason,
		    .consents = a.consents,
		};
		if (it->result == HD_EEXIST &&
		    memcmp(it->existing.household_hash, it->rep.household_hash,
		        STORE_HASH_LEN) != 0)
			/* ALREADY_EXISTS is what the caller gets. */
			r.outcome = RPC_ALREADY_EXISTS;
		memcpy(r.prev, hash, sizeof hash);
		audit_chain_hash_k(s->mac, &r, r.hash);
		memcpy(hash, r.hash, sizeof hash);
		e = o->insert_audit(s->wdb, &r);
	}
	if (e == HD_OK)
		e = store_insert_summaries(s, batch);
	if (e == HD_OK)
		e = o->commit(s->wdb);
	if (e != HD_OK)
		o->rollback(s->wdb);
out:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (e == HD_OK) {
		metrics_observe(
		    s->m_commit, (double)(t1.tv_sec - t0.tv_sec) +
		                     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		metrics_observe(s->m_group, (double)n);
	} else {
		metrics_inc(s->m_failed, 1);
	}
	pthread_mutex_lock(&s->mu);
	if (e == HD_OK) {
		s->stats.batches++;
		s->stats.items += (uint64_t)n;
		if ((uint64_t)n > s->stats.max_batch)
			s->stats.max_batch = (uint64_t)n;
	} else {
		s->stats.failures++;
	}
	pthread_mutex_unlock(&s->mu);
	if (e == HD_OK) {
		s->last_seq = seq;
		memcpy(s->last_hash, hash, sizeof hash);
		return;
	}
	log_error("store.commit", "items=%d error=\"%s\"", n, hd_strerror(e));
	for (store_item *it = batch; it != NULL; it = it->next)
		it->result = e == HD_ECRYPTO ? HD_ECRYPTO : HD_EDB;
	/* A seal that could not sign says nothing about the disk. */
	if (e != HD_ECRYPTO)
		store_set_health(s, false);
}

/* Whether the store can write again; reloads the chain's head since a
 * failed commit may or may not have reached the disk. */
static void store_probe(store *s)
{
	int64_t seq;
	uint8_t hash[AUDIT_HASH_LEN];
	if (s->ops->probe(s->wdb) != HD_OK)
		return;
	if (s->ops->audit_head(s->wdb, &seq, hash) != HD_OK)
		return;
	s->last_seq = seq;
	memcpy(s->last_hash, hash, sizeof hash);
	store_set_health(s, true);
}

static void *store_writer(void *arg)
{
	store *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (s->head == NULL && s->closing)
			break;
		if (s->held && !s->closing) {
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		if (s->read_failed) {
			/* Here, not in the reader: health changes (and their
			 * callbacks) stay in one thread, in order. */
			s->read_failed = false;
			pthread_mutex_unlock(&s->mu);
			store_set_health(s, false);
			pthread_mutex_lock(&s->mu);
			continue;
		}
		if (s->head == NULL) {
			if (s->healthy) {
				pthread_cond_wait(&s->cv, &s->mu);
				continue;
			}
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += s->probe_ms / 1000;
			ts.tv_nsec += (long)(s->probe_ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) ==
			    ETIMEDOUT) {
				pthread_mutex_unlock(&s->mu);
				store_probe(s);
				pthread_mutex_lock(&s->mu);
			}
			continue;
		}
		store_item *batch = s->head, *last = s->head;
		int n = 1;
		while (last->next != NULL && n < s->max_batch) {
			last = last->next;
			n++;
		}
		s->head = last->next;
		if (s->head == NULL)
			s->tail = NULL;
		last->next = NULL;
		bool healthy = s->healthy;
		pthread_mutex_unlock(&s->mu);

		if (healthy) {
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			store_write_batch(s, batch, n);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			uint64_t us =
			    (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000u +
			    (uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000);
			pthread_mutex_lock(&s->mu);
			s->stats.busy_us += us;
			pthread_mutex_unlock(&s->mu);
		} else {
			for (store_item *it = batch; it != NULL; it = it->next)
				it->result = HD_EUNAVAIL;
		}
		while (batch != NULL) {
			store_item *next = batch->next;
			store_finish(batch);
			batch = next;
		}
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static int64_t store_metric_healthy(void *arg)
{
	return store_healthy(arg) ? 1 : 0;
}

static void store_metrics_declare(store *s, metrics *m)
{
	/* From an fsync on a fast disk to a stalled one. */
	static const double secs[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
	    0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
	static const double sizes[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
	if (m == NULL)
		return;
	metrics_family(m, "hedui_store_commit_duration_seconds",
	    METRICS_HISTOGRAM,
	    "One group commit: its reports and audit records in one "
	    "transaction, synchronously durable.",
	    secs, sizeof secs / sizeof secs[0]);
	metrics_family(m, "hedui_store_group_size", METRICS_HISTOGRAM,
	    "Reports and records committed together in one transaction.",
	    sizes, sizeof sizes / sizeof sizes[0]);
	metrics_family(m, "hedui_store_commit_failures_total", METRICS_COUNTER,
	    "Group commits that failed (their callers got UNAVAILABLE).", NULL,
	    0);
	metrics_gauge_fn(m, "hedui_store_healthy",
	    "1 while the store can write; 0 while heduid refuses work "
	    "(Health NOT_SERVING) until a probe write succeeds.",
	    store_metric_healthy, s);
	s->m_commit =
	    metrics_get(m, "hedui_store_commit_duration_seconds", "");
	s->m_group = metrics_get(m, "hedui_store_group_size", "");
	s->m_failed = metrics_get(m, "hedui_store_commit_failures_total", "");
}

store *store_open(const store_opts *o, char *err, size_t errlen)
{
	store *s = calloc(1, sizeof *s);
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	switch (store_url_kind_of(o->path)) {
	case STORE_URL_POSTGRESQL:
		s->ops = &store_pg_ops;
		break;
	case STORE_URL_SQLITE:
		s->ops = &store_sqlite_ops;
		break;
	default:
		snprintf(err, errlen,
		    "unknown kind of store (a file path or "
		    "postgresql://...)");
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->rmu, NULL);
	pthread_mutex_init(&s->lmu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->healthy = true;
	s->probe_ms = o->probe_ms > 0 ? o->probe_ms : 1000;
	s->max_batch = o->max_batch > 0 ? o->max_batch : 512;
	s->health_cb = o->health_cb;
	s->health_arg = o->health_arg;
	s->seal = o->seal;
	s->seal_arg = o->seal_arg;
	store_metrics_declare(s, o->metrics);
	for (s->nkeys = 2; s->nkeys < 2 * (size_t)s->max_batch; s->nkeys *= 2)
		;
	if ((s->sealing = calloc((size_t)s->max_batch, sizeof *s->sealing)) ==
	        NULL ||
	    (s->keys = calloc(s->nkeys, sizeof *s->keys)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (o->audit_key_len == 0 || o->audit_key_len > sizeof s->key) {
		snprintf(err, errlen, "the audit key must be 1 to %zu bytes",
		    sizeof s->key);
		goto fail;
	}
	memcpy(s->key, o->audit_key, o->audit_key_len);
	s->keylen = o->audit_key_len;
	if ((s->mac = audit_key_new(s->key, s->keylen)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((s->wdb = s->ops->open(o->path, err, errlen)) == NULL)
		goto fail;
	if ((s->rdb = s->ops->open(o->path, err, errlen)) == NULL)
		goto fail;
	if ((s->ldb = s->ops->open(o->path, err, errlen)) == NULL)
		goto fail;
	if (s->ops->audit_head(s->wdb, &s->last_seq, s->last_hash) != HD_OK) {
		char shown[256];
		store_url_mask(o->path, shown, sizeof shown);
		snprintf(
		    err, errlen, "%s: cannot read the audit trail", shown);
		goto fail;
	}
	if (pthread_create(&s->writer, NULL, store_writer, s) != 0) {
		snprintf(err, errlen, "cannot start the store writer");
		goto fail;
	}
	s->writer_started = true;
	return s;
fail:
	store_close(s);
	return NULL;
}

void store_close(store *s)
{
	if (s == NULL)
		return;
	if (s->writer_started) {
		pthread_mutex_lock(&s->mu);
		s->closing = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->writer, NULL);
		log_info("store.close",
		    "batches=%llu items=%llu max_batch=%llu failures=%llu "
		    "busy_ms=%llu",
		    (unsigned long long)s->stats.batches,
		    (unsigned long long)s->stats.items,
		    (unsigned long long)s->stats.max_batch,
		    (unsigned long long)s->stats.failures,
		    (unsigned long long)s->stats.busy_us / 1000);
	}
	if (s->ops != NULL) {
		s->ops->close(s->ldb);
		s->ops->close(s->rdb);
		s->ops->close(s->wdb);
	}
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->lmu);
	pthread_mutex_destroy(&s->rmu);
	pthread_mutex_destroy(&s->mu);
	free(s->sealing);
	free(s->keys);
	audit_key_free(s->mac);
	free(s);
}

bool store_healthy(store *s)
{
	if (s == NULL)
		return false;
	pthread_mutex_lock(&s->mu);
	bool h = s->healthy;
	pthread_mutex_unlock(&s->mu);
	return h;
}

static bool store_copy_audit(store_item *it, const store_audit *a)
{
	const char *src[9] = {a->agency, a->operator_id, a->case_id, a->method,
	    a->report_id, a->persons, a->peer, a->reason, a->consents};
	size_t len[9], total = 0;
	for (int i = 0; i < 9; i++) {
		len[i] = src[i] != NULL ? strlen(src[i]) : 0;
		total += len[i] + 1;
	}
	if ((it->strbuf = malloc(total)) == NULL)
		return false;
	const char *dst[9];
	char *p = it->strbuf;
	for (int i = 0; i < 9; i++) {
		if (len[i] > 0)
			memcpy(p, src[i], len[i]);
		p[len[i]] = '\0';
		dst[i] = p;
		p += len[i] + 1;
	}
	it->audit = *a;
	it->audit.agency = dst[0];
	it->audit.operator_id = dst[1];
	it->audit.case_id = dst[2];
	it->audit.method = dst[3];
	it->audit.report_id = dst[4];
	it->audit.persons = dst[5];
	it->audit.peer = dst[6];
	it->audit.reason = dst[7];
	it->audit.consents = dst[8];
	return true;
}

static void store_enqueue(store *s, store_item *it)
{
	if (s == NULL) {
		it->result = HD_EUNAVAIL;
		store_finish(it);
		return;
	}
	pthread_mutex_lock(&s->mu);
	if (s->closing) {
		pthread_mutex_unlock(&s->mu);
		it->result = HD_EUNAVAIL;
		store_finish(it);
		return;
	}
	if (s->tail != NULL)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void store_put_report_async(store *s, const store_report *r,
    const store_audit *a, store_done_fn done, void *arg)
{
	store_item *it = store_item_new();
	if (it == NULL) {
		if (done != NULL)
			done(HD_ENOMEM, NULL, arg);
		return;
	}
	it->done = done;
	it->arg = arg;
	it->has_report = true;
	it->rep = *r;
	it->rep.proof = NULL;
	it->rep.proof_len = 0;
	it->rep.report = malloc(r->report_len > 0 ? r->report_len : 1);
	if (it->rep.report == NULL || !store_copy_audit(it, a)) {
		it->result = HD_ENOMEM;
		store_finish(it);
		return;
	}
	memcpy(it->rep.report, r->report, r->report_len);
	if (r->proof_len > 0) {
		if ((it->rep.proof = malloc(r->proof_len)) == NULL) {
			it->result = HD_ENOMEM;
			store_finish(it);
			return;
		}
		memcpy(it->rep.proof, r->proof, r->proof_len);
		it->rep.proof_len = r->proof_len;
	}
	store_enqueue(s, it);
}

void store_append_audit_async(
    store *s, const store_audit *a, store_done_fn done, void *arg)
{
	store_write_async(s, NULL, NULL, a, done, arg);
}

void store_write_async(store *s, store_write_fn fn, void *fn_arg,
    const store_audit *a, store_done_fn done, void *arg)
{
	store_item *it = store_item_new();
	if (it == NULL) {
		if (done != NULL)
			done(HD_ENOMEM, NULL, arg);
		return;
	}
	it->done = done;
	it->arg = arg;
	/* NULL: an audit record alone. */
	it->write = fn;
	it->write_arg = fn_arg;
	if (!store_copy_audit(it, a)) {
		it->result = HD_ENOMEM;
		store_finish(it);
		return;
	}
	store_enqueue(s, it);
}

hd_err store_read(store *s, store_read_fn fn, void *arg)
{
	if (s == NULL)
		return HD_ECLOSED;
	pthread_mutex_lock(&s->rmu);
	hd_err e = fn(s->rdb, s->ops, arg);
	pthread_mutex_unlock(&s->rmu);
	return e;
}

hd_err store_read_long(store *s, store_read_fn fn, void *arg)
{
	if (s == NULL)
		return HD_ECLOSED;
	if (pthread_mutex_trylock(&s->lmu) != 0)
		return HD_EBUSY;
	hd_err e = fn(s->ldb, s->ops, arg);
	pthread_mutex_unlock(&s->lmu);
	return e;
}

typedef struct store_waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	hd_err err;
	store_report *stored;
} store_waiter;

static void store_wake(hd_err err, store_report *stored, void *arg)
{
	store_waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->err = err;
	if (stored != NULL && w->stored != NULL) {
		*w->stored = *stored;
		stored->report = NULL; /* taken */
		stored->proof = NULL;
	}
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static hd_err store_wait(store_waiter *w)
{
	pthread_mutex_lock(&w->mu);
	while (!w->done)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	return w->err;
}

hd_err store_put_report(store *s, const store_report *r, const store_audit *a,
    store_report *stored)
{
	store_waiter w = {.stored = stored};
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	store_put_report_async(s, r, a, store_wake, &w);
	return store_wait(&w);
}

hd_err store_append_audit(store *s, const store_audit *a)
{
	store_waiter w = {0};
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	store_append_audit_async(s, a, store_wake, &w);
	return store_wait(&w);
}

hd_err store_get_report(store *s, const char *report_id, store_report *out)
{
	if (s == NULL)
		return HD_ECLOSED;
	pthread_mutex_lock(&s->rmu);
	hd_err e = s->ops->get_report(s->rdb, report_id, out);
	pthread_mutex_unlock(&s->rmu);
	return e;
}

hd_err store_find_by_request(store *s, const char *agency, const char *region,
    const char *request_id, store_report *out)
{
	if (s == NULL)
		return HD_ECLOSED;
	pthread_mutex_lock(&s->rmu);
	hd_err e =
	    s->ops->find_by_request(s->rdb, agency, region, request_id, out);
	pthread_mutex_unlock(&s->rmu);
	return e;
}

bool store_shared(store *s)
{
	return s != NULL && s->ops->replay_record != NULL;
}

hd_err store_replay_record(
    store *s, const uint8_t key[32], int64_t now_ms, int64_t expires_ms)
{
	if (s == NULL)
		return HD_ECLOSED;
	if (s->ops->replay_record == NULL)
		return HD_OK;
	pthread_mutex_lock(&s->rmu);
	hd_err e = s->ops->replay_record(s->rdb, key, now_ms, expires_ms);
	pthread_mutex_unlock(&s->rmu);
	if (e == HD_EDB) {
		/* Every request asks this first: when the database is away,
		 * no write may come to tell the writer so. */
		pthread_mutex_lock(&s->mu);
		s->read_failed = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	return e;
}

void store_get_stats(store *s, store_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->stats;
	pthread_mutex_unlock(&s->mu);
}

void store_hold(store *s, bool held)
{
	pthread_mutex_lock(&s->mu);
	s->held = held;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void store_inject_failures(store *s, int n)
{
	pthread_mutex_lock(&s->mu);
	s->inject = n;
	pthread_mutex_unlock(&s->mu);
}

hd_err store_audit_key_load(const char *path, uint8_t *key, size_t cap,
    size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* Written aside and linked into place, so that a crash never
		 * leaves a short key behind and two starts agree on one. */
		uint8_t fresh[32];
		char tmp[1100];
		snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
		if (RAND_bytes(fresh, sizeof fresh) != 1) {
			snprintf(err, errlen,
			    "no randomness for a new audit "
			    "key");
			return HD_ECRYPTO;
		}
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, errlen,
			    "cannot create the audit key %s: "
			    "%s",
			    path, strerror(errno));
			return HD_EIO;
		}
		bool ok = write(fd, fresh, sizeof fresh) == sizeof fresh &&
		          fsync(fd) == 0;
		close(fd);
		if (ok && link(tmp, path) != 0 && errno != EEXIST)
			ok = false;
		unlink(tmp);
		if (!ok) {
			snprintf(err, errlen, "cannot write the audit key %s",
			    path);
			return HD_EIO;
		}
		log_info("store.audit_key", "path=\"%s\" created=true", path);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot read the audit key %s: %s", path,
		    strerror(errno));
		return HD_EIO;
	}
	ssize_t n = read(fd, key, cap);
	close(fd);
	if (n < 16) {
		snprintf(err, errlen,
		    "the audit key %s is too short (at least 16 bytes)", path);
		return HD_EINVAL;
	}
	*len = (size_t)n;
	return HD_OK;
}

/* --- retention and counts of before ---------------------------------- */

/* The service's own write: fn in the writer's queue with an audit record
 * of method (no agency, no operator; reason why; count *count, read
 * after fn ran), waited for. */
static hd_err store_write_counted(store *s, store_write_fn fn, void *arg,
    const char *method, const char *why, const int64_t *count)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	store_audit a = {
	    .time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
	    .agency = "heduid",
	    .method = method,
	    .reason = why,
	};
	store_item *it = store_item_new();
	if (it == NULL)
		return HD_ENOMEM;
	store_waiter w = {0};
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	it->done = store_wake;
	it->arg = &w;
	it->write = fn;
	it->write_arg = arg;
	it->audit_count = count;
	if (!store_copy_audit(it, &a)) {
		it->result = HD_ENOMEM;
		store_finish(it);
	} else {
		store_enqueue(s, it);
	}
	return store_wait(&w);
}

typedef struct store_purge_op {
	int64_t before_ms;
	int limit;
	store_conclude_fn conclude;
	int64_t purged; /* the audit record's count */
} store_purge_op;

static hd_err store_purge_write(
    void *db, const store_backend_ops *ops, void *arg, int *outcome)
{
	store_purge_op *op = arg;
	int n = 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	hd_err e = ops->purge_reports(
	    db, op->before_ms, now_ms, op->limit, op->conclude, &n);
	op->purged = n;
	/* Replicas on one database: another one's retention purged what
	 * this batch was for between its look and its write. Its record
	 * (count 1, as every record of none) says NOT_FOUND: nothing
	 * purged, so that the purges' records add up to what went. */
	if (e == HD_OK && n == 0)
		*outcome = RPC_NOT_FOUND;
	/* Any failure fails the group: a purge half done is not committed. */
	return e == HD_OK ? HD_OK : HD_EDB;
}

hd_err store_purge(store *s, int64_t before_ms, int limit,
    store_conclude_fn conclude, int *purged)
{
	*purged = 0;
	if (s == NULL)
		return HD_ECLOSED;
	if (s->ops->purge_reports == NULL)
		return HD_ENOTSUP;
	/* Nothing due: no write, and no audit record of nothing. */
	hd_err e = store_purge_due(s, before_ms);
	if (e != HD_OK)
		return e == HD_ENOTFOUND ? HD_OK : e;
	store_purge_op op = {
	    .before_ms = before_ms, .limit = limit, .conclude = conclude};
	/* The audit record's count is the number of reports purged. */
	e = store_write_counted(s, store_purge_write, &op, STORE_PURGE_METHOD,
	    "retention", &op.purged);
	if (e == HD_OK)
		*purged = (int)op.purged;
	return e;
}

static hd_err store_purge_due_fn(
    void *db, const store_backend_ops *ops, void *arg)
{
	if (ops->purge_due == NULL)
		return HD_ENOTSUP;
	return ops->purge_due(db, *(const int64_t *)arg);
}

hd_err store_purge_due(store *s, int64_t before_ms)
{
	return store_read(s, store_purge_due_fn, &before_ms);
}

static hd_err store_scrub_fn(void *db, const store_backend_ops *ops, void *arg)
{
	(void)arg;
	return ops->scrub != NULL ? ops->scrub(db) : HD_ENOTSUP;
}

hd_err store_scrub(store *s)
{
	/* The long reads' connection: PostgreSQL's VACUUM of the report
	 * table may take minutes on a large store, and the readers'
	 * connection answers every verification's replay check. A
	 * statistics query running makes it HD_EBUSY: tried again later. */
	return store_read_long(s, store_scrub_fn, NULL);
}

typedef struct store_backfill_op {
	int limit;
	store_summarize_fn summarize;
	int64_t done; /* the audit record's count */
} store_backfill_op;

static hd_err store_backfill_write(
    void *db, const store_backend_ops *ops, void *arg, int *outcome)
{
	store_backfill_op *op = arg;
	int n = 0;
	hd_err e = ops->backfill_counts(db, op->limit, op->summarize, &n);
	op->done = n;
	/* Another replica counted the rest first (as store_purge_write). */
	if (e == HD_OK && n == 0)
		*outcome = RPC_NOT_FOUND;
	return e == HD_OK ? HD_OK : HD_EDB;
}

hd_err store_backfill_counts(
    store *s, int limit, store_summarize_fn summarize, int *done)
{
	*done = 0;
	if (s == NULL)
		return HD_ECLOSED;
	if (s->ops->backfill_counts == NULL)
		return HD_ENOTSUP;
	/* Nothing left: no write, and no audit record of nothing. */
	hd_err e = store_backfill_due(s);
	if (e != HD_OK)
		return e == HD_ENOTFOUND ? HD_OK : e;
	store_backfill_op op = {.limit = limit, .summarize = summarize};
	e = store_write_counted(s, store_backfill_write, &op,
	    STORE_BACKFILL_METHOD, "counts of before", &op.done);
	if (e == HD_OK)
		*done = (int)op.done;
	return e;
}

static hd_err store_backfill_due_fn(
    void *db, const store_backend_ops *ops, void *arg)
{
	(void)arg;
	return ops->backfill_due != NULL ? ops->backfill_due(db) : HD_ENOTSUP;
}

hd_err store_backfill_due(store *s)
{
	return store_read(s, store_backfill_due_fn, NULL);
}
