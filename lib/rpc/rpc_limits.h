/* SPDX-License-Identifier: MIT */
/*
 * rpc_limits: the bounds on what a server's clients can hold, and their
 * names as settings. heduid reads them from [limits] in its INI file and
 * from --NAME flags (docs/CONFIG.md); hedui-source from --NAME flags.
 * One table here keeps the names, ranges and defaults the same for both.
 */
#ifndef HEDUI_RPC_LIMITS_H
#define HEDUI_RPC_LIMITS_H

#include <stddef.h>
#include <stdio.h>

typedef struct rpc_limits {
	/* 0 is the default; -1 turns a bound off (not the timeout). */
	int handshake_timeout_ms;     /* TCP accept to the end of the TLS and
	                                 SP handshakes; default 10000 */
	int max_handshakes;           /* in their handshakes at once; 256 */
	int max_handshakes_per_peer;  /* ... from one IP address; 32 */
	int max_connections;          /* established; 1024 */
	int max_connections_per_peer; /* ... from one IP address; 256 */
	int idle_timeout_ms;          /* nothing outstanding for; 120000 */
	int rate_per_identity;        /* requests a second per TLS
	                                 identity (certificate); 1000 */
	int rate_burst;               /* default 2 x rate_per_identity */
	int health_inflight;          /* Health calls at once, apart from
	                                 max_inflight; 8 */
} rpc_limits;

/* Sets one bound from text. name is the setting ("max_connections") or
 * the flag's spelling ("max-connections"). Returns NULL when the name is
 * not a bound, "" when set, else what is wrong with the value. */
const char *rpc_limits_set(rpc_limits *l, const char *name, const char *value);

/* Replaces 0 by the default and -1 by 0 (off), in place. */
void rpc_limits_resolve(rpc_limits *l);

/* The bounds, for getopt tables and help texts: name i ("max-connections"
 * style), NULL past the last. */
const char *rpc_limits_flag(size_t i);
/* Prints one help line per bound. */
void rpc_limits_usage(FILE *f);

#endif
