/* SPDX-License-Identifier: MIT */
/*
 * stats_service: hedui.v1.Stats/Query (proto/hedui/v1/stats.proto), the
 * statistics of hedui stats, part of the verify_service: its agency
 * authentication, store and audit trail. An agency reads the counts of
 * its own jurisdiction only.
 */
#ifndef HEDUI_STATS_SERVICE_H
#define HEDUI_STATS_SERVICE_H

#include "rpc_server.h"
#include "verify_service.h"

#define STATS_METHOD "hedui.v1.Stats/Query"
/* The most (county, program) entries one answer holds. */
#define STATS_MAX_COUNTIES 20000

hd_err stats_service_register(verify_service *vs, rpc_server *srv);

#endif
