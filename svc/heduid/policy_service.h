/* SPDX-License-Identifier: MIT */
/*
 * policy_service: hedui.v1.Policy (proto/hedui/v1/policy.proto), the
 * parameters heduid applies for a region on a date, for `hedui policy
 * show`. It answers from the very policy_book the verifications use,
 * which heduid reads once at start, so what it shows is what a report of
 * that region and date applies, policy_version and all.
 */
#ifndef HEDUI_POLICY_SERVICE_H
#define HEDUI_POLICY_SERVICE_H

#include "hd_err.h"
#include "rpc_server.h"
#include "verify_service.h"

#define POLICY_SHOW_METHOD "hedui.v1.Policy/Show"

/* Serves the policy book of vs (which must outlive srv's calls). Before
 * rpc_server_start. */
hd_err policy_service_register(const verify_service *vs, rpc_server *srv);

#endif
