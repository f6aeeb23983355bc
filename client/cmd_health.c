/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli.h"
#include "hedui/v1/health.pb-c.h"
#include "utf8.h"

static const char *health_status_name(int s)
{
	switch (s) {
	case HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING:
		return "SERVING";
	case HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING:
		return "NOT_SERVING";
	case HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN:
		return "SERVICE_UNKNOWN";
	default:
		return "UNKNOWN";
	}
}

int cmd_health(cli_ctx *ctx)
{
	Hedui__V1__HealthCheckRequest req =
	    HEDUI__V1__HEALTH_CHECK_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts;
	rpc_metadata md[2];
	char trace[33];
	rpc_status st;

	if (ctx->argc > 2) {
		fprintf(stderr, "usage: hedui health [SERVICE]\n");
		return CLI_EXIT_USAGE;
	}
	req.service = ctx->argc == 2 ? ctx->argv[1] : "";
	cli_call_opts(ctx, &opts, md, trace);
	rpc_code code = rpc_client_call(ctx->client, "hedui.v1.Health/Check",
	    &req.base, &hedui__v1__health_check_response__descriptor, &resp,
	    &opts, &st);
	if (code != RPC_OK)
		return cli_report_status("health", code, &st);
	int s = ((Hedui__V1__HealthCheckResponse *)resp)->status;
	protobuf_c_message_free_unpacked(resp, NULL);
	if (ctx->json)
		printf("{\"service\":\"%s\",\"status\":\"%s\"}\n", req.service,
		    health_status_name(s));
	else
		printf("%s%s%s\n", req.service, req.service[0] ? ": " : "",
		    health_status_name(s));
	return s == HEDUI__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
	           ? CLI_EXIT_OK
	           : CLI_EXIT_FAILURE;
}

int cmd_methods(cli_ctx *ctx)
{
	Hedui__V1__ListMethodsRequest req =
	    HEDUI__V1__LIST_METHODS_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts;
	rpc_metadata md[2];
	char trace[33];
	rpc_status st;

	cli_call_opts(ctx, &opts, md, trace);
	rpc_code code = rpc_client_call(ctx->client,
	    "hedui.v1.Reflection/ListMethods", &req.base,
	    &hedui__v1__list_methods_response__descriptor, &resp, &opts, &st);
	if (code != RPC_OK)
		return cli_report_status("methods", code, &st);
	Hedui__V1__ListMethodsResponse *r =
	    (Hedui__V1__ListMethodsResponse *)resp;
	for (size_t i = 0; i < r->n_methods; i++) {
		char name[256];
		printf("%s\n",
		    utf8_sanitize(r->methods[i], name, sizeof name, true));
	}
	protobuf_c_message_free_unpacked(resp, NULL);
	return CLI_EXIT_OK;
}
