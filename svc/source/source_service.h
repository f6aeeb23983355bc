/* SPDX-License-Identifier: MIT */
/*
 * source_service: the Lookup method of one source (hedui.v1.BankSource,
 * TaxSource or PropertySource) on an rpc_server.
 *
 * Answers come from source_lookup; the source-wide chaos (latency, failure
 * rate, hang) and the per-person timeout fault are applied here. A delayed
 * answer waits on an nng timer; a held call (timeout fault or hang) waits
 * until its deadline has passed, when the server has already told the
 * caller DEADLINE_EXCEEDED, and is then released. At most max_held calls
 * are held at once (more are answered RESOURCE_EXHAUSTED), and every
 * waiting call is answered UNAVAILABLE at shutdown.
 */
#ifndef HEDUI_SOURCE_SERVICE_H
#define HEDUI_SOURCE_SERVICE_H

#include "rpc_server.h"
#include "source_chaos.h"
#include "srcdb.h"

typedef struct source_service_opts {
	srcdb *db;          /* answers from here; not owned */
	source_chaos chaos; /* source-wide misbehaviour */
	int max_waiting;    /* calls delayed or held at once: the server's
	                       max_inflight */
	int max_held;       /* of which held until their deadline */
} source_service_opts;

typedef struct source_service source_service;

source_service *source_service_alloc(const source_service_opts *o);

/* Registers the store kind's service on srv, before rpc_server_start. */
hd_err source_service_register(source_service *s, rpc_server *srv);

/* The service name served: "hedui.v1.BankSource" etc. */
const char *source_service_name(srcdb_kind kind);

/* Calls held right now (timeout faults and hang). */
int source_service_held(source_service *s);

/*
 * Answers every delayed or held call now (UNAVAILABLE: shutting down) and
 * every later one at once. Call after rpc_server_drain and before
 * rpc_server_free; returns when no callback of ours runs any more.
 */
void source_service_release(source_service *s);

/* Releases first if that has not been done. Accepts NULL. */
void source_service_free(source_service *s);

#endif
