/* SPDX-License-Identifier: MIT */
/*
 * hedui/hedui.h: the whole public API of libhedui (docs/API.md).
 */
#ifndef HEDUI_PUBLIC_HEDUI_H
#define HEDUI_PUBLIC_HEDUI_H

#include <hedui/agency.h>
#include <hedui/client.h>
#include <hedui/err.h>
#include <hedui/export.h>
#include <hedui/log.h>
#include <hedui/status.h>
#include <hedui/tls.h>

#endif
