/* SPDX-License-Identifier: MIT */
/*
 * consent_call: one signed call to heduid's consent registry
 * (hedui.v1.Consents), for `hedui consent` and `hedui monitor`.
 */
#ifndef HEDUI_CONSENT_CALL_H
#define HEDUI_CONSENT_CALL_H

#include <protobuf-c/protobuf-c.h>

#include "agency_sig.h"
#include "cli.h"

#define CONSENT_SERVICE "hedui.v1.Consents/"

/* Signs body for hedui.v1.Consents/METHOD as the agency and calls over
 * ctx's connected client; the exit code: CLI_EXIT_OK with *resp set (the
 * caller frees it with protobuf_c_message_free_unpacked), else the status
 * reported on stderr with what as the command's name. */
int consent_call(cli_ctx *ctx, agency_signer *signer, const char *method,
    const ProtobufCMessage *body, ProtobufCMessage **resp, const char *what);

#endif
