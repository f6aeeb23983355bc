/* SPDX-License-Identifier: MIT */
/* metrics_http: GET /metrics over nng's HTTP server. */
#include "metrics_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

struct metrics_http {
	nng_http_server *srv;
	nng_url *url;
};

static void metrics_http_cb(nng_aio *aio)
{
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	metrics *m = nng_http_handler_get_data(h);
	nng_http_res *res = NULL;
	size_t len = 0;
	char *text = metrics_render(m, &len);
	int rv = text == NULL ? NNG_ENOMEM : nng_http_res_alloc(&res);
	if (rv == 0)
		rv = nng_http_res_set_header(res, "Content-Type",
		    "text/plain; version=0.0.4; charset=utf-8");
	if (rv == 0)
		rv = nng_http_res_copy_data(res, text, len);
	free(text);
	if (rv != 0) {
		/* nng answers 500 and closes. */
		if (res != NULL)
			nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

metrics_http *metrics_http_start(
    metrics *m, const char *url, char *err, size_t errlen)
{
	metrics_http *h = calloc(1, sizeof *h);
	nng_http_handler *hd = NULL;
	int rv = h == NULL ? NNG_ENOMEM : nng_url_parse(&h->url, url);
	if (rv == 0 && strcmp(h->url->u_scheme, "http") != 0)
		rv = NNG_EADDRINVAL;
	if (rv == 0)
		rv = nng_http_server_hold(&h->srv, h->url);
	if (rv == 0)
		rv = nng_http_handler_alloc(&hd, "/metrics", metrics_http_cb);
	if (rv == 0)
		rv = nng_http_handler_set_data(hd, m, NULL);
	if (rv == 0 && (rv = nng_http_server_add_handler(h->srv, hd)) == 0)
		hd = NULL; /* the server's now */
	if (rv == 0)
		rv = nng_http_server_start(h->srv);
	if (rv == 0)
		return h;
	snprintf(err, errlen, "%s: %s", url, nng_strerror(rv));
	if (hd != NULL)
		nng_http_handler_free(hd);
	metrics_http_stop(h);
	return NULL;
}

void metrics_http_stop(metrics_http *h)
{
	if (h == NULL)
		return;
	if (h->srv != NULL) {
		nng_http_server_stop(h->srv);
		nng_http_server_release(h->srv);
	}
	if (h->url != NULL)
		nng_url_free(h->url);
	free(h);
}
