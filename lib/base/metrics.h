/* SPDX-License-Identifier: MIT */
/*
 * metrics: counters, gauges and histograms for operators, rendered in
 * Prometheus's text exposition format (version 0.0.4) and served by
 * metrics_http.h. heduid and the sources each keep one registry.
 *
 * A series is a family's name with a fixed set of labels, given as the
 * text between the braces (`method="hedui.v1.Verifier/VerifyHousehold",
 * code="OK"`). Label values come from bounded sets only (method names the
 * server registered, status code names, source kinds, refusal kinds):
 * never from what a client sends, or a client could grow the registry
 * without bound. The registry caps its series (METRICS_MAX_SERIES); past
 * it, updates of new series are dropped and counted in
 * hedui_metrics_dropped_total.
 *
 * Updates are lock-free atomics on a series found once; finding a series
 * takes the registry's lock. Thread-safe throughout.
 */
#ifndef HEDUI_METRICS_H
#define HEDUI_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"

#define METRICS_MAX_SERIES 4096
#define METRICS_MAX_BUCKETS 16

typedef enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
} metrics_type;

typedef struct metrics metrics;
typedef struct metrics_series metrics_series;

metrics *metrics_alloc(void);
void metrics_free(metrics *m); /* accepts NULL */

/*
 * Declares a family before its series are used: name ([a-z_:][a-z0-9_:]*),
 * type, help text, and for a histogram its bucket upper bounds
 * (ascending; +Inf is implied). HD_EINVAL for a bad name or buckets,
 * HD_EEXIST when declared already.
 */
hd_err metrics_family(metrics *m, const char *name, metrics_type type,
    const char *help, const double *buckets, size_t n_buckets);

/* A gauge whose value is asked at each rendering (in-flight calls, open
 * connections): fn(arg) is called under no lock of ours. */
hd_err metrics_gauge_fn(metrics *m, const char *name, const char *help,
    int64_t (*fn)(void *arg), void *arg);

/*
 * The series of family name with labels (NULL or "" for none), made on
 * first use. NULL when the family is unknown, labels are not of the form
 * k="v",... or the registry is full; every update below accepts NULL and
 * does nothing, so that metrics never stop a call. m NULL: NULL.
 */
metrics_series *metrics_get(metrics *m, const char *name, const char *labels);

void metrics_inc(metrics_series *s, uint64_t n);    /* counter */
void metrics_set(metrics_series *s, int64_t v);     /* gauge */
void metrics_observe(metrics_series *s, double v);  /* histogram */

/* The text exposition into a malloc'd, NUL-terminated buffer (*len its
 * length); NULL when out of memory. */
char *metrics_render(metrics *m, size_t *len);

/* Writes `key="value"` into out, value escaped as the format asks (\\,
 * \", \n). Returns out. */
char *metrics_label(char *out, size_t cap, const char *key, const char *value);

#endif
