/* SPDX-License-Identifier: MIT */
/* The RPC envelope both ways: a request as the server decodes and checks
 * it, a reply as the client decodes it, and the reply the server builds
 * from a request's fields. */
#include "fuzz_util.h"

#include "rpc_envelope.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hedui__V1__RpcRequest *req =
	    hedui__v1__rpc_request__unpack(NULL, size, data);
	if (req != NULL) {
		char why[160];
		bool ok = rpc_envelope_request_ok(req, why, sizeof why);
		bool expired;
		uint64_t dl =
		    rpc_envelope_deadline(1000, req->timeout, 30000, &expired);
		FUZZ_ASSERT(expired || (dl > 1000 && dl <= 31000));
		if (ok) {
			FUZZ_ASSERT(fuzz_str_utf8(req->method));
			FUZZ_ASSERT(fuzz_str_utf8(req->request_id));
		}
		/* The server echoes request_id and puts words about the
		 * request into the status message. */
		nng_msg *m =
		    rpc_envelope_reply(req->request_id, RPC_INVALID_ARGUMENT,
		        req->method, req->payload.data, req->payload.len);
		if (m != NULL) {
			fuzz_check_reply(nng_msg_body(m), nng_msg_len(m));
			nng_msg_free(m);
		}
		hedui__v1__rpc_request__free_unpacked(req, NULL);
	}

	Hedui__V1__RpcReply *rep =
	    hedui__v1__rpc_reply__unpack(NULL, size, data);
	if (rep != NULL) {
		rpc_status st;
		rpc_code c = rpc_envelope_reply_status(rep, &st);
		FUZZ_ASSERT(c >= 0 && c < RPC_CODE_COUNT);
		FUZZ_ASSERT(
		    memchr(st.message, '\0', sizeof st.message) != NULL);
		hedui__v1__rpc_reply__free_unpacked(rep, NULL);
	}
	return 0;
}
