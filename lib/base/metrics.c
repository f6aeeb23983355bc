/* SPDX-License-Identifier: MIT */
/* metrics: the registry and its text exposition. */
#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_MAX_FAMILIES 64
#define METRICS_SLOTS (2 * METRICS_MAX_SERIES) /* open addressing */

typedef struct metrics_family_def {
	char name[64];
	char help[200];
	metrics_type type;
	double buckets[METRICS_MAX_BUCKETS];
	size_t n_buckets;
	int64_t (*fn)(void *arg);
	void *arg;
} metrics_family_def;

struct metrics_series {
	const metrics_family_def *fam;
	char labels[256];
	_Atomic uint64_t count; /* counter value; histogram observations */
	_Atomic int64_t gauge;
	/* Histogram: per bucket (not cumulative; the last is +Inf), and the
	 * sum in millionths so that it stays an atomic integer. */
	_Atomic uint64_t buckets[METRICS_MAX_BUCKETS + 1];
	_Atomic int64_t sum_micro;
};

struct metrics {
	pthread_mutex_t mu;
	metrics_family_def fams[METRICS_MAX_FAMILIES];
	size_t n_fams;
	metrics_series *series[METRICS_MAX_SERIES]; /* in creation order */
	size_t n_series;
	int slots[METRICS_SLOTS]; /* index + 1 into series; 0 empty */
	_Atomic uint64_t dropped;
};

metrics *metrics_alloc(void)
{
	metrics *m = calloc(1, sizeof *m);
	if (m != NULL)
		pthread_mutex_init(&m->mu, NULL);
	return m;
}

void metrics_free(metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_series; i++)
		free(m->series[i]);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static bool metrics_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len >= sizeof((metrics_family_def *)0)->name)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		bool ok = (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
		          (i > 0 && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

/* k="v",k="v": what the exposition puts between braces. Values are
 * escaped already (metrics_label), so a quote inside one is \". */
static bool metrics_labels_ok(const char *l)
{
	const char *p = l;
	while (*p != '\0') {
		const char *k = p;
		while ((*p >= 'a' && *p <= 'z') || *p == '_' ||
		       (p > k && *p >= '0' && *p <= '9'))
			p++;
		if (p == k || *p++ != '=' || *p++ != '"')
			return false;
		while (*p != '"') {
			if (*p == '\0' || *p == '\n')
				return false;
			if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
		}
		p++;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return false;
	}
	return true;
}

static metrics_family_def *metrics_find_family(metrics *m, const char *name)
{
	for (size_t i = 0; i < m->n_fams; i++)
		if (strcmp(m->fams[i].name, name) == 0)
			return &m->fams[i];
	return NULL;
}

static hd_err metrics_declare(metrics *m, const char *name,
    metrics_type type, const char *help, const double *buckets, size_t nb,
    int64_t (*fn)(void *), void *arg)
{
	if (m == NULL || !metrics_name_ok(name) || nb > METRICS_MAX_BUCKETS ||
	    (type == METRICS_HISTOGRAM && (nb == 0 || buckets == NULL)))
		return HD_EINVAL;
	for (size_t i = 1; i < nb; i++)
		if (!(buckets[i] > buckets[i - 1]))
			return HD_EINVAL;
	hd_err e = HD_OK;
	pthread_mutex_lock(&m->mu);
	if (metrics_find_family(m, name) != NULL)
		e = HD_EEXIST;
	else if (m->n_fams == METRICS_MAX_FAMILIES)
		e = HD_ENOMEM;
	if (e == HD_OK) {
		metrics_family_def *f = &m->fams[m->n_fams++];
		snprintf(f->name, sizeof f->name, "%s", name);
		snprintf(f->help, sizeof f->help, "%s", help);
		/* HELP text: one line. */
		for (char *c = f->help; *c != '\0'; c++)
			if (*c == '\n' || *c == '\\')
				*c = ' ';
		f->type = type;
		f->n_buckets = type == METRICS_HISTOGRAM ? nb : 0;
		if (f->n_buckets > 0)
			memcpy(f->buckets, buckets, nb * sizeof *buckets);
		f->fn = fn;
		f->arg = arg;
	}
	pthread_mutex_unlock(&m->mu);
	return e;
}

hd_err metrics_family(metrics *m, const char *name, metrics_type type,
    const char *help, const double *buckets, size_t n_buckets)
{
	return metrics_declare(
	    m, name, type, help, buckets, n_buckets, NULL, NULL);
}

hd_err metrics_gauge_fn(metrics *m, const char *name, const char *help,
    int64_t (*fn)(void *arg), void *arg)
{
	if (fn == NULL)
		return HD_EINVAL;
	return metrics_declare(m, name, METRICS_GAUGE, help, NULL, 0, fn, arg);
}

static uint32_t metrics_hash(const char *a, const char *b)
{
	uint32_t h = 2166136261u;
	for (const char *p = a; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ 0xffu) * 16777619u;
	for (const char *p = b; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

metrics_series *metrics_get(metrics *m, const char *name, const char *labels)
{
	if (m == NULL || name == NULL)
		return NULL;
	if (labels == NULL)
		labels = "";
	if (strlen(labels) >= sizeof((metrics_series *)0)->labels ||
	    !metrics_labels_ok(labels))
		return NULL;
	metrics_series *s = NULL;
	pthread_mutex_lock(&m->mu);
	metrics_family_def *f = metrics_find_family(m, name);
	if (f == NULL || f->fn != NULL)
		goto out;
	uint32_t h = metrics_hash(name, labels) % METRICS_SLOTS;
	for (;; h = (h + 1) % METRICS_SLOTS) {
		int i = m->slots[h];
		if (i == 0)
			break;
		metrics_series *x = m->series[i - 1];
		if (x->fam == f && strcmp(x->labels, labels) == 0) {
			s = x;
			goto out;
		}
	}
	if (m->n_series == METRICS_MAX_SERIES ||
	    (s = calloc(1, sizeof *s)) == NULL) {
		atomic_fetch_add(&m->dropped, 1);
		goto out;
	}
	s->fam = f;
	snprintf(s->labels, sizeof s->labels, "%s", labels);
	m->series[m->n_series++] = s;
	m->slots[h] = (int)m->n_series;
out:
	pthread_mutex_unlock(&m->mu);
	return s;
}

void metrics_inc(metrics_series *s, uint64_t n)
{
	if (s != NULL && s->fam->type == METRICS_COUNTER)
		atomic_fetch_add_explicit(&s->count, n, memory_order_relaxed);
}

void metrics_set(metrics_series *s, int64_t v)
{
	if (s != NULL && s->fam->type == METRICS_GAUGE)
		atomic_store_explicit(&s->gauge, v, memory_order_relaxed);
}

void metrics_observe(metrics_series *s, double v)
{
	if (s == NULL || s->fam->type != METRICS_HISTOGRAM || isnan(v))
		return;
	size_t b = 0;
	while (b < s->fam->n_buckets && v > s->fam->buckets[b])
		b++;
	atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(
	    &s->sum_micro, (int64_t)llround(v * 1e6), memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

char *metrics_label(char *out, size_t cap, const char *key, const char *value)
{
	size_t o = (size_t)snprintf(out, cap, "%s=\"", key);
	const char *p = value;
	for (; *p != '\0' && o + 4 < cap; p++) {
		if (*p == '\\' || *p == '"') {
			out[o++] = '\\';
			out[o++] = *p;
		} else if (*p == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *p;
		}
	}
	if (*p == '\0' && o + 2 <= cap) {
		out[o++] = '"';
		out[o] = '\0';
	} else if (cap > 0) {
		out[0] = '\0'; /* too long: no label rather than a broken one */
	}
	return out;
}

typedef struct metrics_buf {
	char *p;
	size_t len, cap;
	bool failed;
} metrics_buf;

static void metrics_put(metrics_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void metrics_put(metrics_buf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n) * 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

/* name{labels} or name{labels,extra} or name{extra} or name. */
static void metrics_put_name(metrics_buf *b, const char *name,
    const char *suffix, const char *labels, const char *extra)
{
	bool l = labels[0] != '\0', x = extra != NULL && extra[0] != '\0';
	metrics_put(b, "%s%s%s%s%s%s%s", name, suffix, l || x ? "{" : "",
	    labels, l && x ? "," : "", x ? extra : "", l || x ? "}" : "");
}

static void metrics_put_series(metrics_buf *b, const metrics_series *s)
{
	const metrics_family_def *f = s->fam;
	if (f->type == METRICS_COUNTER) {
		metrics_put_name(b, f->name, "", s->labels, NULL);
		metrics_put(b, " %llu\n",
		    (unsigned long long)atomic_load(&s->count));
	} else if (f->type == METRICS_GAUGE) {
		metrics_put_name(b, f->name, "", s->labels, NULL);
		metrics_put(b, " %lld\n", (long long)atomic_load(&s->gauge));
	} else {
		uint64_t cum = 0;
		char le[48];
		for (size_t i = 0; i <= f->n_buckets; i++) {
			cum += atomic_load(&s->buckets[i]);
			if (i < f->n_buckets)
				snprintf(le, sizeof le, "le=\"%g\"", f->buckets[i]);
			else
				snprintf(le, sizeof le, "le=\"+Inf\"");
			metrics_put_name(b, f->name, "_bucket", s->labels, le);
			metrics_put(b, " %llu\n", (unsigned long long)cum);
		}
		metrics_put_name(b, f->name, "_sum", s->labels, NULL);
		metrics_put(b, " %.6f\n", (double)atomic_load(&s->sum_micro) / 1e6);
		/* The count is the +Inf bucket's: the same observations. */
		metrics_put_name(b, f->name, "_count", s->labels, NULL);
		metrics_put(b, " %llu\n", (unsigned long long)cum);
	}
}

static const char *const metrics_type_names[] = {
    "counter", "gauge", "histogram"};

char *metrics_render(metrics *m, size_t *len)
{
	metrics_buf b = {.cap = 4096};
	if (m == NULL || (b.p = malloc(b.cap)) == NULL)
		return NULL;
	b.p[0] = '\0';
	/* Copies of what the lock guards; the values are atomics. The
	 * callbacks run outside the lock. */
	pthread_mutex_lock(&m->mu);
	size_t nf = m->n_fams, ns = m->n_series;
	metrics_family_def *fams = malloc((nf ? nf : 1) * sizeof *fams);
	metrics_series **series = malloc((ns ? ns : 1) * sizeof *series);
	if (fams != NULL && series != NULL) {
		memcpy(fams, m->fams, nf * sizeof *fams);
		memcpy(series, m->series, ns * sizeof *series);
	}
	pthread_mutex_unlock(&m->mu);
	if (fams == NULL || series == NULL) {
		free(fams);
		free(series);
		free(b.p);
		return NULL;
	}
	for (size_t i = 0; i < nf; i++) {
		const metrics_family_def *f = &fams[i];
		metrics_put(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name,
		    f->help, f->name, metrics_type_names[f->type]);
		if (f->fn != NULL) {
			metrics_put(&b, "%s %lld\n", f->name,
			    (long long)f->fn(f->arg));
			continue;
		}
		for (size_t k = 0; k < ns; k++)
			if (strcmp(series[k]->fam->name, f->name) == 0)
				metrics_put_series(&b, series[k]);
	}
	metrics_put(&b,
	    "# HELP hedui_metrics_dropped_total Metric updates dropped: the "
	    "registry was full.\n# TYPE hedui_metrics_dropped_total "
	    "counter\nhedui_metrics_dropped_total %llu\n",
	    (unsigned long long)atomic_load(&m->dropped));
	free(fams);
	free(series);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
