/* SPDX-License-Identifier: MIT */
/*
 * rpc_builtin: the services every hedui server offers.
 *
 *   hedui.v1.Health/Check           SERVING / NOT_SERVING / SERVICE_UNKNOWN
 *   hedui.v1.Reflection/ListMethods the full names of every method served
 *   hedui.v1.Debug/Echo             only when asked for: echo, slow replies
 *                                   and chosen status codes, for tests,
 *                                   interop clients and the benchmark
 */
#ifndef HEDUI_RPC_BUILTIN_H
#define HEDUI_RPC_BUILTIN_H

#include <stdbool.h>

#include "rpc_server.h"

typedef struct rpc_builtin rpc_builtin;

/* Registers the services on srv (before rpc_server_start). */
rpc_builtin *rpc_builtin_add(rpc_server *srv, bool with_debug);

/* Cancels held Echo replies. Call before rpc_server_free. Accepts NULL. */
void rpc_builtin_free(rpc_builtin *b);

#endif
