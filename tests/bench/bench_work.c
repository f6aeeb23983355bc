/* SPDX-License-Identifier: MIT */
/*
 * hedui-bench's pieces: the population's ID numbers, signed requests,
 * the latency histogram, /proc sampling and free ports.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sqlite3.h>

bool bench_pop_load(const char *dir, size_t limit, bench_pop *pop)
{
	char path[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	bool ok = false;

	memset(pop, 0, sizeof *pop);
	snprintf(path, sizeof path, "%s/bank.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT id FROM person", -1, &st, NULL) !=
	        SQLITE_OK) {
		fprintf(stderr, "hedui-bench: cannot read %s: %s\n", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(st, 0);
		if (id == NULL || strlen((const char *)id) != IDNUM_LEN)
			continue;
		if (pop->n == cap) {
			size_t ncap = cap != 0 ? cap * 2 : 4096;
			void *p = realloc(pop->ids, ncap * sizeof *pop->ids);
			if (p == NULL) {
				fprintf(
				    stderr, "hedui-bench: out of memory\n");
				goto out;
			}
			pop->ids = p;
			cap = ncap;
		}
		memcpy(pop->ids[pop->n++], id, IDNUM_LEN + 1);
		if (limit != 0 && pop->n == limit)
			break;
	}
	if (pop->n < HOUSEHOLD_MAX_MEMBERS) {
		fprintf(stderr, "hedui-bench: %s holds only %zu persons\n",
		    path, pop->n);
		goto out;
	}
	ok = true;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (!ok)
		bench_pop_free(pop);
	return ok;
}

void bench_pop_free(bench_pop *pop)
{
	free(pop->ids);
	pop->ids = NULL;
	pop->n = 0;
}

static uint64_t bench_rand(uint64_t *s)
{
	/* splitmix64: each caller has its own state, no locking. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

bool bench_req_make(bench_req *r, const bench_pop *pop, size_t size,
    agency_signer *signer, uint64_t seq)
{
	static const char *const relations[] = {"spouse", "child", "parent",
	    "sibling", "grandparent", "grandchild", "other"};
	if (size < 1 || size > HOUSEHOLD_MAX_MEMBERS)
		return false;
	hedui__v1__household__init(&r->hh);
	/* The household's region is the signing agency's (agency-330106);
	 * the members come from anywhere in the population. */
	r->hh.case_id = "330106-2026-bench";
	snprintf(r->request_id, sizeof r->request_id, "bench-%d-%llu",
	    (int)getpid(), (unsigned long long)seq);
	r->hh.request_id = r->request_id;
	r->hh.region_code = "330106";
	r->hh.area = "urban";
	r->hh.program = "dibao";
	r->hh.n_members = size;
	r->hh.members = r->mp;
	for (size_t i = 0; i < size; i++) {
		/* Distinct members: the service refuses a repeated one. */
		for (;;) {
			const char *id =
			    pop->ids[bench_rand(&r->rng) % pop->n];
			bool dup = false;
			for (size_t j = 0; j < i; j++)
				dup = dup || strcmp(r->ids[j], id) == 0;
			if (!dup) {
				memcpy(r->ids[i], id, IDNUM_LEN + 1);
				break;
			}
		}
		Hedui__V1__Member *m = &r->m[i];
		hedui__v1__member__init(m);
		m->id_number = r->ids[i];
		m->name = "bench";
		m->relation =
		    i == 0 ? "applicant" : (char *)relations[(i - 1) % 7];
		m->consent_ref = "SQ-bench";
		r->mp[i] = m;
	}
	size_t len = hedui__v1__household__get_packed_size(&r->hh);
	if (len > sizeof r->body)
		return false;
	hedui__v1__verify_household_request__init(&r->req);
	hedui__v1__agency_auth__init(&r->auth);
	r->req.household.data = r->body;
	r->req.household.len = hedui__v1__household__pack(&r->hh, r->body);
	if (signer == NULL)
		return true; /* a batch's household: the batch is signed */
	if (agency_signer_sign(signer, BENCH_VERIFY_METHOD, r->request_id, "",
	        r->body, r->req.household.len, agency_sig_now_ms(),
	        &r->auth) != HD_OK)
		return false;
	r->req.auth = &r->auth;
	return true;
}

void bench_req_done(bench_req *r)
{
	agency_auth_release(&r->auth);
}

/* Grows *buf to hold need bytes; false when out of memory. */
static bool bench_grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return true;
	uint8_t *p = realloc(*buf, need);
	if (p == NULL)
		return false;
	*buf = p;
	*cap = need;
	return true;
}

bool bench_batch_make(bench_batch *b, const bench_pop *pop, size_t n,
    size_t size, agency_signer *signer, uint64_t seq)
{
	if (n < 1 || n > BENCH_MAX_BATCH || size < 1 ||
	    size > HOUSEHOLD_MAX_MEMBERS)
		return false;
	if (b->hh == NULL &&
	    (b->hh = calloc(BENCH_MAX_BATCH, sizeof *b->hh)) == NULL)
		return false;
	/* Each household as bench_req_make builds it (without its own
	 * signature), its request_id made unique within the batch. */
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		bench_req *r = &b->one;
		if (!bench_req_make(r, pop, size, NULL, seq))
			return false;
		snprintf(r->request_id, sizeof r->request_id,
		    "bench-%d-%llu-%zu", (int)getpid(),
		    (unsigned long long)seq, i);
		r->hh.request_id = r->request_id;
		size_t len = hedui__v1__household__get_packed_size(&r->hh);
		if (!bench_grow(&b->bytes, &b->cap, used + len))
			return false;
		hedui__v1__household__pack(&r->hh, b->bytes + used);
		b->hh[i].len = len;
		used += len;
	}
	/* Pointers only once the buffer no longer moves. */
	used = 0;
	for (size_t i = 0; i < n; i++) {
		b->hh[i].data = b->bytes + used;
		used += b->hh[i].len;
	}
	b->n = n;
	Hedui__V1__HouseholdBatch hb = HEDUI__V1__HOUSEHOLD_BATCH__INIT;
	hb.households = b->hh;
	hb.n_households = n;
	size_t blen = hedui__v1__household_batch__get_packed_size(&hb);
	if (!bench_grow(&b->batch, &b->batch_cap, blen))
		return false;
	hedui__v1__household_batch__pack(&hb, b->batch);
	snprintf(b->request_id, sizeof b->request_id, "bench-%d-%llu",
	    (int)getpid(), (unsigned long long)seq);
	hedui__v1__verify_batch_request__init(&b->req);
	hedui__v1__agency_auth__init(&b->auth);
	b->req.batch.data = b->batch;
	b->req.batch.len = blen;
	if (agency_signer_sign(signer, BENCH_BATCH_METHOD, b->request_id, "",
	        b->batch, blen, agency_sig_now_ms(), &b->auth) != HD_OK)
		return false;
	b->req.auth = &b->auth;
	return true;
}

void bench_batch_done(bench_batch *b)
{
	agency_auth_release(&b->auth);
}

void bench_batch_free(bench_batch *b)
{
	free(b->bytes);
	free(b->batch);
	free(b->hh);
	memset(b, 0, sizeof *b);
}

static size_t bench_hist_index(uint64_t us)
{
	if (us < 2048)
		return (size_t)us;
	int msb = 63 - __builtin_clzll(us);
	if (msb > 32)
		return BENCH_HIST_BUCKETS - 1;
	return 2048 + (size_t)(msb - 11) * 1024 + ((us >> (msb - 10)) & 1023);
}

/* The lowest value of a bucket. */
static uint64_t bench_hist_value(size_t i)
{
	if (i < 2048)
		return i;
	size_t k = i - 2048;
	int msb = (int)(k / 1024) + 11;
	return ((uint64_t)1 << msb) | ((uint64_t)(k % 1024) << (msb - 10));
}

void bench_hist_add(bench_hist *h, uint64_t us)
{
	atomic_fetch_add(&h->b[bench_hist_index(us)], 1);
	atomic_fetch_add(&h->n, 1);
	uint64_t m = atomic_load(&h->max_us);
	while (us > m && !atomic_compare_exchange_weak(&h->max_us, &m, us))
		;
}

uint64_t bench_hist_quantile(const bench_hist *h, double q)
{
	uint64_t n = atomic_load(&h->n);
	if (n == 0)
		return 0;
	uint64_t want = (uint64_t)(q * (double)n);
	if (want >= n)
		want = n - 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += atomic_load(&h->b[i]);
		if (seen > want)
			return bench_hist_value(i);
	}
	return atomic_load(&h->max_us);
}

bool bench_proc_read(int pid, bench_proc_sample *s)
{
	char path[64], buf[2048];
	memset(s, 0, sizeof *s);
	if (pid == 0) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		s->cpu_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 +
		            (uint64_t)ru.ru_utime.tv_usec +
		            (uint64_t)ru.ru_stime.tv_sec * 1000000 +
		            (uint64_t)ru.ru_stime.tv_usec;
		snprintf(path, sizeof path, "/proc/self/status");
	} else {
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			return false;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* Fields 14 and 15 (utime, stime) count after the ")" that
		 * ends the command name, which may hold spaces. */
		char *p = strrchr(buf, ')');
		unsigned long long ut = 0, st = 0;
		if (p == NULL || sscanf(p + 2,
		                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
		                     "%*u %llu %llu",
		                     &ut, &st) != 2)
			return false;
		long hz = sysconf(_SC_CLK_TCK);
		s->cpu_us = (ut + st) * 1000000ULL / (uint64_t)hz;
		snprintf(path, sizeof path, "/proc/%d/status", pid);
	}
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (fgets(buf, sizeof buf, f) != NULL) {
		unsigned long long v;
		if (sscanf(buf, "VmHWM: %llu", &v) == 1)
			s->hwm_kib = v;
		else if (sscanf(buf, "VmRSS: %llu", &v) == 1)
			s->rss_kib = v;
	}
	fclose(f);
	return true;
}

int bench_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int port = 0;
	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}
