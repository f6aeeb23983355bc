/* SPDX-License-Identifier: MIT */
#include "rpc_limits.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct rpc_limit_def {
	const char *flag; /* "max-connections"; the setting has '_' */
	size_t off;
	int min, max, dflt;
	bool can_be_off;
	const char *help;
} rpc_limit_def;

#define RPC_LIMIT(fl, field, mn, mx, df, off_ok, h)                           \
	{                                                                     \
		fl, offsetof(rpc_limits, field), mn, mx, df, off_ok, h        \
	}

static const rpc_limit_def rpc_limit_defs[] = {
    RPC_LIMIT("handshake-timeout-ms", handshake_timeout_ms, 100, 600000, 10000,
        false, "TLS and SP handshakes must end within (10000)"),
    RPC_LIMIT("max-handshakes", max_handshakes, 1, 1 << 20, 256, true,
        "connections in their handshakes at once (256)"),
    RPC_LIMIT("max-handshakes-per-peer", max_handshakes_per_peer, 1, 1 << 20,
        32, true, "... from one IP address (32)"),
    RPC_LIMIT("max-connections", max_connections, 1, 1 << 20, 1024, true,
        "established connections (1024)"),
    RPC_LIMIT("max-connections-per-peer", max_connections_per_peer, 1, 1 << 20,
        256, true, "... from one IP address (256)"),
    RPC_LIMIT("idle-timeout-ms", idle_timeout_ms, 100, 86400000, 120000, true,
        "close a connection idle this long (120000)"),
    RPC_LIMIT("rate-per-identity", rate_per_identity, 1, 10000000, 1000, true,
        "requests a second per client certificate (1000)"),
    RPC_LIMIT("rate-burst", rate_burst, 1, 100000000, 0, false,
        "bursts above that rate (2 x rate)"),
    RPC_LIMIT("health-inflight", health_inflight, 1, 1024, 8, false,
        "health checks at once, apart from max-inflight (8)"),
};
#define RPC_NLIMITS (sizeof rpc_limit_defs / sizeof rpc_limit_defs[0])

static int *rpc_limit_field(rpc_limits *l, const rpc_limit_def *d)
{
	return (int *)((char *)l + d->off);
}

static bool rpc_limit_name_is(const rpc_limit_def *d, const char *name)
{
	size_t i = 0;
	for (; d->flag[i] != '\0' && name[i] != '\0'; i++) {
		char c = name[i] == '_' ? '-' : name[i];
		if (c != d->flag[i])
			return false;
	}
	return d->flag[i] == '\0' && name[i] == '\0';
}

const char *rpc_limits_set(rpc_limits *l, const char *name, const char *value)
{
	for (size_t i = 0; i < RPC_NLIMITS; i++) {
		const rpc_limit_def *d = &rpc_limit_defs[i];
		if (!rpc_limit_name_is(d, name))
			continue;
		if (d->can_be_off && strcmp(value, "off") == 0) {
			*rpc_limit_field(l, d) = -1;
			return "";
		}
		char *end;
		errno = 0;
		long n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || n < d->min ||
		    n > d->max)
			return d->can_be_off ? "must be a number in range, "
			                       "or off"
			                     : "must be a number in range";
		*rpc_limit_field(l, d) = (int)n;
		return "";
	}
	return NULL;
}

void rpc_limits_resolve(rpc_limits *l)
{
	for (size_t i = 0; i < RPC_NLIMITS; i++) {
		const rpc_limit_def *d = &rpc_limit_defs[i];
		int *v = rpc_limit_field(l, d);
		if (*v == 0)
			*v = d->dflt;
		else if (*v < 0)
			*v = 0;
	}
	if (l->rate_burst == 0)
		l->rate_burst = 2 * l->rate_per_identity;
	if (l->handshake_timeout_ms == 0)
		l->handshake_timeout_ms = 10000;
}

const char *rpc_limits_flag(size_t i)
{
	return i < RPC_NLIMITS ? rpc_limit_defs[i].flag : NULL;
}

void rpc_limits_usage(FILE *f)
{
	for (size_t i = 0; i < RPC_NLIMITS; i++)
		fprintf(f, "      --%-25s %s\n", rpc_limit_defs[i].flag,
		    rpc_limit_defs[i].help);
}
