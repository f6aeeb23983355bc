/* SPDX-License-Identifier: MIT */
/* The metrics registry (lib/metrics.h): families, series, the exposition
 * text, label escaping, and its bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static void families_and_text(void **state)
{
	(void)state;
	metrics *m = metrics_alloc();
	assert_non_null(m);
	static const double b[] = {0.1, 1};
	assert_int_equal(metrics_family(m, "t_calls_total", METRICS_COUNTER,
	                     "Calls.", NULL, 0),
	    HD_OK);
	assert_int_equal(metrics_family(m, "t_calls_total", METRICS_COUNTER,
	                     "Again.", NULL, 0),
	    HD_EEXIST);
	assert_int_equal(metrics_family(m, "t_seconds", METRICS_HISTOGRAM,
	                     "Time.", b, 2),
	    HD_OK);
	assert_int_equal(
	    metrics_family(m, "Bad-Name", METRICS_COUNTER, "x", NULL, 0),
	    HD_EINVAL);
	static const double down[] = {1, 0.1};
	assert_int_equal(metrics_family(m, "t_down", METRICS_HISTOGRAM, "x",
	                     down, 2),
	    HD_EINVAL);
	metrics_series *ok = metrics_get(m, "t_calls_total", "code=\"OK\"");
	metrics_inc(ok, 2);
	metrics_inc(metrics_get(m, "t_calls_total", "code=\"OK\""), 1);
	metrics_series *h = metrics_get(m, "t_seconds", "");
	metrics_observe(h, 0.05);
	metrics_observe(h, 0.5);
	metrics_observe(h, 7);
	/* Unknown family, malformed labels: no series, updates harmless. */
	assert_null(metrics_get(m, "t_nothing", ""));
	assert_null(metrics_get(m, "t_calls_total", "code=OK"));
	assert_null(metrics_get(m, "t_calls_total", "code=\"OK\"}x"));
	metrics_inc(NULL, 1);
	size_t len;
	char *t = metrics_render(m, &len);
	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	assert_non_null(strstr(t, "# TYPE t_calls_total counter\n"
	                          "t_calls_total{code=\"OK\"} 3\n"));
	assert_non_null(strstr(t, "t_seconds_bucket{le=\"0.1\"} 1\n"
	                          "t_seconds_bucket{le=\"1\"} 2\n"
	                          "t_seconds_bucket{le=\"+Inf\"} 3\n"
	                          "t_seconds_sum 7.550000\n"
	                          "t_seconds_count 3\n"));
	free(t);
	metrics_free(m);
}

static void labels_escaped(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(metrics_label(out, sizeof out, "k", "a\"b\\c\nd"),
	    "k=\"a\\\"b\\\\c\\nd\"");
	/* Too long for out: no label rather than half of one. */
	char small[8];
	assert_string_equal(
	    metrics_label(small, sizeof small, "k", "abcdefgh"), "");
	metrics *m = metrics_alloc();
	metrics_family(m, "t_total", METRICS_COUNTER, "x", NULL, 0);
	metrics_label(out, sizeof out, "v", "quote\" and } brace");
	metrics_inc(metrics_get(m, "t_total", out), 1);
	size_t len;
	char *t = metrics_render(m, &len);
	assert_non_null(strstr(t, "t_total{v=\"quote\\\" and } brace\"} 1\n"));
	free(t);
	metrics_free(m);
}

static void bounded(void **state)
{
	(void)state;
	metrics *m = metrics_alloc();
	metrics_family(m, "t_total", METRICS_COUNTER, "x", NULL, 0);
	char l[64];
	for (int i = 0; i < METRICS_MAX_SERIES + 10; i++) {
		snprintf(l, sizeof l, "n=\"%d\"", i);
		metrics_inc(metrics_get(m, "t_total", l), 1);
	}
	size_t len;
	char *t = metrics_render(m, &len);
	assert_non_null(strstr(t, "hedui_metrics_dropped_total 10\n"));
	free(t);
	metrics_free(m);
}

static int64_t forty_two(void *arg)
{
	(void)arg;
	return 42;
}

static void gauge_callbacks(void **state)
{
	(void)state;
	metrics *m = metrics_alloc();
	assert_int_equal(
	    metrics_gauge_fn(m, "t_now", "Now.", forty_two, NULL), HD_OK);
	assert_null(metrics_get(m, "t_now", "")); /* read, not set */
	size_t len;
	char *t = metrics_render(m, &len);
	assert_non_null(strstr(t, "# TYPE t_now gauge\nt_now 42\n"));
	free(t);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(families_and_text),
	    cmocka_unit_test(labels_escaped),
	    cmocka_unit_test(bounded),
	    cmocka_unit_test(gauge_callbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
