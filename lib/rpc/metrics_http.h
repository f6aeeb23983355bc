/* SPDX-License-Identifier: MIT */
/*
 * metrics_http: serves a metrics registry (metrics.h) as
 * GET /metrics on an http:// address of its own, through nng's HTTP
 * server. Plain HTTP and no authentication, as Prometheus scrapes: bind
 * it to loopback or a management network only (docs/CONFIG.md).
 */
#ifndef HEDUI_METRICS_HTTP_H
#define HEDUI_METRICS_HTTP_H

#include <stddef.h>

#include "hd_err.h"
#include "metrics.h"

typedef struct metrics_http metrics_http;

/* Starts serving m (borrowed: it must outlive the server) at url
 * ("http://127.0.0.1:9464"). NULL with the reason in err. */
metrics_http *metrics_http_start(
    metrics *m, const char *url, char *err, size_t errlen);
void metrics_http_stop(metrics_http *h); /* accepts NULL */

#endif
