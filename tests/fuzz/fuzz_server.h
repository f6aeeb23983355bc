/* SPDX-License-Identifier: MIT */
/*
 * A real rpc_server in the fuzz target's own process, over inproc:// (no
 * sockets, no TLS): Health, Reflection, Debug/Echo, the Verifier (the real
 * service with the committed test PKI, a report store in a temporary
 * directory, no sources configured), Policy (the Verifier's built-in
 * policy book) and the bank source (from the test fixtures), with the
 * consent registry's hedui.v1.Consents. Targets send it raw envelopes, or
 * their input wrapped as one method's payload, and check that every
 * request gets a reply that a strict decoder accepts, within the deadline.
 */
#ifndef HEDUI_FUZZ_SERVER_H
#define HEDUI_FUZZ_SERVER_H

#include "fuzz_util.h"

#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include "fixtures.h"
#include "hedui/v1/consent.pb-c.h"
#include "policy_service.h"
#include "hedui/v1/health.pb-c.h"
#include "hedui/v1/policy.pb-c.h"
#include "hedui/v1/source.pb-c.h"
#include "hedui/v1/verifier.pb-c.h"
#include "rpc_builtin.h"
#include "rpc_server.h"
#include "source_service.h"
#include "verify_service.h"

static nng_socket fuzz_req;

static inline void fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz: set-up failed: %s\n", what);
	exit(1);
}

/* The report store lives in a directory of its own, removed at exit. */
static char fuzz_store_dir[64];

static inline void fuzz_store_cleanup(void)
{
	static const char *const files[] = {"heduid.db", "heduid.db-wal",
	    "heduid.db-shm", "heduid.db.audit-key", "heduid.db-journal"};
	char path[128];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", fuzz_store_dir, files[i]);
		unlink(path);
	}
	rmdir(fuzz_store_dir);
}

static rpc_server *fuzz_srv;
static rpc_builtin *fuzz_builtin;
static verify_service *fuzz_vs;
static source_service *fuzz_ss;
static srcdb *fuzz_bank_db;

/* At exit, in heduid's own order: the store's and the pool's threads must
 * be gone before OpenSSL's and the C library's exit handlers run (they
 * were registered before this one, so they run after it). */
static inline void fuzz_server_stop(void)
{
	/* A shutdown that hangs fails the run rather than the whole make
	 * check. */
	alarm(20);
	nng_close(fuzz_req);
	rpc_server_drain(fuzz_srv);
	for (int waited = 0;
	     rpc_server_inflight(fuzz_srv) > 0 && waited < 2000; waited += 10)
		nng_msleep(10);
	source_service_release(fuzz_ss);
	verify_service_stop(fuzz_vs);
	rpc_builtin_free(fuzz_builtin);
	rpc_server_free(fuzz_srv);
	verify_service_free(fuzz_vs);
	source_service_free(fuzz_ss);
	srcdb_close(fuzz_bank_db);
	fuzz_store_cleanup();
	alarm(0);
}

/* Everything started here lives until the process ends. */
static inline void fuzz_server_start(void)
{
	char ca[512], key[512], fx[512], store[128], err[256] = "";
	/* Every refusal is audited, durably: in memory (/dev/shm) the store
	 * costs the fuzzer a third of what a disk does. */
	const char *tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) >= 40)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fuzz_store_dir, sizeof fuzz_store_dir, "%s/hedui-fuzz-XXXXXX",
	    tmp);
	if (mkdtemp(fuzz_store_dir) == NULL)
		fuzz_die("mkdtemp");
	snprintf(store, sizeof store, "%s/heduid.db", fuzz_store_dir);
	/* Calls carry the seeds' agency as their TLS identity, so that
	 * seeded signed requests get past the binding of the two. */
	static rpc_peer peer;
	char agency[512];
	if (!fuzz_peer_of(fuzz_path("tests/fuzz/pki/agency-330106.crt", agency,
	                      sizeof agency),
	        &peer))
		fuzz_die("the test agency's certificate");
	rpc_server_opts o = {.url = "inproc://hedui-fuzz",
	    .max_inflight = 8,
	    .reject_contexts = 4,
	    .max_deadline_ms = 100,
	    /* One identity sends everything, faster than any agency:
	     * the per-identity rate limit is not under test here. */
	    .limits = {.rate_per_identity = -1},
	    .inproc_peer = &peer};
	rpc_server *srv = fuzz_srv = rpc_server_alloc(&o);
	if (srv == NULL || (fuzz_builtin = rpc_builtin_add(srv, true)) == NULL)
		fuzz_die("server");
	verify_service_opts vo = {
	    .ca_file = fuzz_path("tests/fuzz/pki/ca.crt", ca, sizeof ca),
	    .sign_key =
	        fuzz_path("tests/fuzz/pki/heduid.key", key, sizeof key),
	    .store_path = store,
	};
	verify_service *vs = fuzz_vs =
	    verify_service_alloc(&vo, err, sizeof err);
	if (vs == NULL || verify_service_register(vs, srv) != HD_OK ||
	    policy_service_register(vs, srv) != HD_OK)
		fuzz_die(err);
	srcdb *db = NULL;
	if (fixtures_open_memory(
	        fuzz_path("tests/fixtures/households.json", fx, sizeof fx),
	        SRCDB_BANK, &db, NULL, err, sizeof err) != HD_OK)
		fuzz_die(err);
	source_service_opts so = {.db = db, .max_waiting = 8, .max_held = 4};
	fuzz_bank_db = db;
	source_service *ss = fuzz_ss = source_service_alloc(&so);
	if (ss == NULL || source_service_register(ss, srv) != HD_OK)
		fuzz_die("source service");
	if (rpc_server_start(srv) != HD_OK)
		fuzz_die("start");
	if (nng_req0_open(&fuzz_req) != 0 ||
	    nng_socket_set_ms(fuzz_req, NNG_OPT_RECVTIMEO, 5000) != 0 ||
	    nng_socket_set_ms(fuzz_req, NNG_OPT_REQ_RESENDTIME,
	        NNG_DURATION_INFINITE) != 0 ||
	    nng_dial(fuzz_req, "inproc://hedui-fuzz", NULL, 0) != 0)
		fuzz_die("client");
	atexit(fuzz_server_stop);
}

/* The response type of a method the server serves, NULL if none. */
static inline const ProtobufCMessageDescriptor *fuzz_output_desc(
    const char *method)
{
	static const ProtobufCServiceDescriptor *const services[] = {
	    &hedui__v1__health__descriptor, &hedui__v1__reflection__descriptor,
	    &hedui__v1__debug__descriptor, &hedui__v1__verifier__descriptor,
	    &hedui__v1__policy__descriptor,
	    &hedui__v1__bank_source__descriptor,
	    &hedui__v1__consents__descriptor};
	if (method == NULL)
		return NULL;
	if (method[0] == '/')
		method++;
	for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
		size_t n = strlen(services[i]->name);
		if (strncmp(method, services[i]->name, n) != 0 ||
		    method[n] != '/')
			continue;
		for (unsigned m = 0; m < services[i]->n_methods; m++)
			if (strcmp(method + n + 1,
			        services[i]->methods[m].name) == 0)
				return services[i]->methods[m].output;
	}
	return NULL;
}

/* An OK reply's payload must decode as the method's response, with UTF-8
 * strings (the verdict inside a VerifyHouseholdResponse's report too). */
static inline void fuzz_check_payload(
    const char *method, const ProtobufCBinaryData *payload)
{
	const ProtobufCMessageDescriptor *d = fuzz_output_desc(method);
	const char *field = NULL;
	FUZZ_ASSERT(d != NULL);
	ProtobufCMessage *m =
	    protobuf_c_message_unpack(d, NULL, payload->len, payload->data);
	FUZZ_ASSERT(m != NULL);
	FUZZ_ASSERT(utf8_message_valid(m, &field));
	if (d == &hedui__v1__verify_household_response__descriptor) {
		const Hedui__V1__VerifyHouseholdResponse *r =
		    (const Hedui__V1__VerifyHouseholdResponse *)m;
		Hedui__V1__Verdict *v = hedui__v1__verdict__unpack(
		    NULL, r->report.len, r->report.data);
		FUZZ_ASSERT(v != NULL);
		FUZZ_ASSERT(utf8_message_valid(&v->base, &field));
		hedui__v1__verdict__free_unpacked(v, NULL);
	}
	protobuf_c_message_free_unpacked(m, NULL);
}

/* Sends one raw request envelope; returns the decoded reply's status code
 * (the reply is checked, then freed). */
static inline int fuzz_server_send(const uint8_t *data, size_t size)
{
	nng_msg *m;
	/* Debug/Echo with drop_connection closes the connection instead of
	 * answering (a test aid, rpc_builtin.c): no reply is the right
	 * outcome there, not a lost request; not sent. */
	Hedui__V1__RpcRequest *env =
	    hedui__v1__rpc_request__unpack(NULL, size, data);
	bool drops = false;
	if (env != NULL && env->method != NULL &&
	    strcmp(env->method, "hedui.v1.Debug/Echo") == 0) {
		Hedui__V1__EchoRequest *e = hedui__v1__echo_request__unpack(
		    NULL, env->payload.len, env->payload.data);
		drops = e != NULL && e->drop_connection != 0;
		if (e != NULL)
			hedui__v1__echo_request__free_unpacked(e, NULL);
	}
	if (env != NULL)
		hedui__v1__rpc_request__free_unpacked(env, NULL);
	if (drops)
		return RPC_OK;
	if (nng_msg_alloc(&m, 0) != 0 || nng_msg_append(m, data, size) != 0)
		abort();
	if (nng_sendmsg(fuzz_req, m, 0) != 0)
		abort();
	int rv = nng_recvmsg(fuzz_req, &m, 0);
	/* No reply within 5 s when the server's longest deadline is 100 ms:
	 * a request was lost or a handler hangs. */
	FUZZ_ASSERT(rv == 0);
	fuzz_check_reply(nng_msg_body(m), nng_msg_len(m));
	Hedui__V1__RpcReply *r = hedui__v1__rpc_reply__unpack(
	    NULL, nng_msg_len(m), nng_msg_body(m));
	int code = r->status != NULL ? (int)r->status->code : 0;
	if (code == RPC_OK) {
		Hedui__V1__RpcRequest *req =
		    hedui__v1__rpc_request__unpack(NULL, size, data);
		FUZZ_ASSERT(req != NULL);
		fuzz_check_payload(req->method, &r->payload);
		hedui__v1__rpc_request__free_unpacked(req, NULL);
	}
	hedui__v1__rpc_reply__free_unpacked(r, NULL);
	nng_msg_free(m);
	return code;
}

/* The input as the payload of one method, in a well-formed envelope. */
static inline int fuzz_server_call(
    const char *method, const uint8_t *payload, size_t len)
{
	Hedui__V1__RpcRequest env = HEDUI__V1__RPC_REQUEST__INIT;
	Hedui__V1__Timeout t = HEDUI__V1__TIMEOUT__INIT;
	Hedui__V1__Metadata md = HEDUI__V1__METADATA__INIT;
	Hedui__V1__Metadata *mdp[1] = {&md};
	t.ms = 100;
	md.key = "trace-id";
	md.value = "fuzz";
	env.method = (char *)method;
	env.request_id = "fuzz-1";
	env.timeout = &t;
	env.metadata = mdp;
	env.n_metadata = 1;
	env.payload.data = (uint8_t *)payload;
	env.payload.len = len;
	size_t n = hedui__v1__rpc_request__get_packed_size(&env);
	uint8_t *buf = malloc(n > 0 ? n : 1);
	if (buf == NULL)
		abort();
	hedui__v1__rpc_request__pack(&env, buf);
	int code = fuzz_server_send(buf, n);
	free(buf);
	return code;
}

#endif
