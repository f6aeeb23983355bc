/* SPDX-License-Identifier: MIT */
/*
 * hedui.v1.Stats/Query: the input is a StatsRequest, through the real
 * service over the in-process server (fuzz_server.h; its clock is real,
 * so fuzzed requests end at the timestamp check there), and straight
 * through the same steps with the seeds' clock: the query's decoding,
 * the agency signature and the period and prefix checks, whose bounds
 * must hold for whatever they let through.
 */
#include "fuzz_auth.h"
#include "fuzz_server.h"

#include "consent_form.h"
#include "hedui/v1/stats.pb-c.h"
#include "stats_query.h"

#define METHOD "hedui.v1.Stats/Query"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_server_start();
	fuzz_auth_start();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int code = fuzz_server_call(METHOD, data, size);
	FUZZ_ASSERT(code != RPC_INTERNAL);

	Hedui__V1__StatsRequest *req =
	    hedui__v1__stats_request__unpack(NULL, size, data);
	if (req == NULL)
		return 0;
	Hedui__V1__StatsQuery *q = hedui__v1__stats_query__unpack(
	    NULL, req->query.len, req->query.data);
	agency_identity who;
	if (q != NULL && fuzz_auth_check(req->auth, METHOD, req->query.data,
	                     req->query.len, FUZZ_NOW_MS, &who) == RPC_OK) {
		stats_query sq;
		char msg[256] = "";
		rpc_code c = stats_query_check(q, &who, &sq, msg, sizeof msg);
		if (c == RPC_OK) {
			FUZZ_ASSERT(sq.q.from <= sq.q.to);
			FUZZ_ASSERT(sq.q.to <= consent_date_add_days(sq.q.from,
			                           STATS_MAX_DAYS - 1));
			FUZZ_ASSERT(strncmp(sq.prefix, who.region_prefix,
			                strlen(who.region_prefix)) == 0);
			FUZZ_ASSERT(
			    strlen(sq.prefix) >= 2 && strlen(sq.prefix) <= 6);
			FUZZ_ASSERT(sq.q.region_prefix == sq.prefix);
		} else {
			FUZZ_ASSERT(c == RPC_INVALID_ARGUMENT ||
			            c == RPC_PERMISSION_DENIED);
			FUZZ_ASSERT(msg[0] != '\0' && fuzz_str_utf8(msg));
		}
	}
	if (q != NULL)
		hedui__v1__stats_query__free_unpacked(q, NULL);
	hedui__v1__stats_request__free_unpacked(req, NULL);
	return 0;
}
