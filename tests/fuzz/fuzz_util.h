/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c). Each target is one
 * decoder that reads bytes from the network or from a file; see
 * docs/ATTACKS.md for the list and tests/fuzz/check-fuzz.sh for how make
 * check runs them.
 */
#ifndef HEDUI_FUZZ_UTIL_H
#define HEDUI_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hedui/v1/rpc.pb-c.h"
#include "log.h"
#include "rpc_peer.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A finding that is not a crash by itself: make it one. */
#define FUZZ_ASSERT(cond)                                                     \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", \
			    __FILE__, __LINE__, #cond);                       \
			abort();                                              \
		}                                                             \
	} while (0)

/* A path in the source tree: $HEDUI_SRC/rel, else rel from the current
 * directory (make runs the targets from the top of the tree). */
static inline const char *fuzz_path(const char *rel, char *buf, size_t len)
{
	const char *src = getenv("HEDUI_SRC");
	snprintf(
	    buf, len, "%s/%s", src != NULL && src[0] != '\0' ? src : ".", rel);
	return buf;
}

/* The TLS identity a connection made with the certificate at path (PEM)
 * has: what the targets give their in-process calls. */
static inline bool fuzz_peer_of(const char *path, rpc_peer *out)
{
	FILE *f = fopen(path, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int n = x != NULL ? i2d_X509(x, &der) : -1;
	bool ok = n > 0 && rpc_peer_from_der(der, (size_t)n, out);
	OPENSSL_free(der);
	X509_free(x);
	if (f != NULL)
		fclose(f);
	return ok;
}

/* The fuzzer's own output is what matters; errors only. */
static inline void fuzz_quiet(void)
{
	log_set_program("fuzz");
	log_set_level(LOG_LVL_ERROR);
}

/* A NUL-terminated copy for decoders that take C strings; free() it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static inline bool fuzz_str_utf8(const char *s)
{
	return s == NULL || utf8_valid(s, strlen(s));
}

/* Every reply we send must decode, with UTF-8 strings, for a strict
 * protobuf implementation. */
static inline void fuzz_check_reply(const uint8_t *buf, size_t len)
{
	Hedui__V1__RpcReply *r = hedui__v1__rpc_reply__unpack(NULL, len, buf);
	FUZZ_ASSERT(r != NULL);
	const char *field = NULL;
	FUZZ_ASSERT(utf8_message_valid(&r->base, &field));
	hedui__v1__rpc_reply__free_unpacked(r, NULL);
}

#endif
