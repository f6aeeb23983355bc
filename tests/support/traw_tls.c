/* SPDX-License-Identifier: MIT */
/*
 * traw_oversize: an over-limit SP frame sent by a TLS client that is not
 * nng.
 *
 * nng 1.5.2's own client can hang in nng_close when the server drops a
 * connection while the client is still sending (a partial-send completion
 * re-queued on an aio that the pipe close has already stopped: the aio
 * never completes, and the reaper waits for it forever). The server's
 * behaviour is what these tests are about, so they send with OpenSSL
 * directly. docs/ATTACKS.md has the details.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tsupport.h"

#define SP_REQ0 0x30 /* nng's protocol number for req0; rep0 is 0x31 */

static atomic_uint ttcp_spread_n, ttcp_spread_next;

void ttcp_spread(unsigned n)
{
	atomic_store(&ttcp_spread_n, n > 250 ? 250 : n);
}

int ttcp_connect(int port, uint32_t timeout_ms)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return -1;
	unsigned spread = atomic_load(&ttcp_spread_n);
	if (spread > 0) {
		/* All of 127/8 is loopback: many peers on one machine. */
		struct sockaddr_in src = {0};
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 +
		                            atomic_fetch_add(&ttcp_spread_next, 1) %
		                                spread);
		if (bind(s, (struct sockaddr *)&src, sizeof src) != 0) {
			close(s);
			return -1;
		}
	}
	if (timeout_ms > 0) {
		struct timeval tv = {.tv_sec = timeout_ms / 1000,
		    .tv_usec = (timeout_ms % 1000) * 1000};
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
		close(s);
		return -1;
	}
	return s;
}

static SSL_CTX *traw_ctx(const char *identity, const char *ca)
{
	char name[128], cafile[128];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		return NULL;
	snprintf(name, sizeof name, "%s.crt", identity);
	snprintf(cafile, sizeof cafile, "%s.crt", ca);
	if (SSL_CTX_load_verify_locations(ctx, tcert(cafile), NULL) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, tcert(name)) != 1)
		goto fail;
	snprintf(name, sizeof name, "%s.key", identity);
	if (SSL_CTX_use_PrivateKey_file(ctx, tcert(name), SSL_FILETYPE_PEM) !=
	    1)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static bool traw_write_all(SSL *ssl, const void *buf, size_t len)
{
	size_t done;
	return SSL_write_ex(ssl, buf, len, &done) == 1 && done == len;
}

int traw_oversize(int port, const char *identity, uint64_t frame_len,
    size_t send_bytes, uint32_t timeout_ms)
{
	int result = -1, s = -1;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	uint8_t hdr[8] = {0, 'S', 'P', 0, 0, SP_REQ0, 0, 0}, peer[8];
	size_t got;

	/* The server closes while we may still be writing. */
	signal(SIGPIPE, SIG_IGN);
	if ((ctx = traw_ctx(identity, "ca")) == NULL ||
	    (s = ttcp_connect(port, timeout_ms)) < 0 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, s) != 1 ||
	    SSL_connect(ssl) != 1 || !traw_write_all(ssl, hdr, sizeof hdr) ||
	    SSL_read_ex(ssl, peer, sizeof peer, &got) != 1 || got != 8 ||
	    memcmp(peer, "\0SP\0", 4) != 0)
		goto done;
	uint8_t len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(frame_len >> (56 - 8 * i));
	if (!traw_write_all(ssl, len, sizeof len))
		goto done;
	uint8_t chunk[16384] = {0};
	for (size_t sent = 0; sent < send_bytes; sent += sizeof chunk) {
		size_t n = send_bytes - sent;
		if (!traw_write_all(
		        ssl, chunk, n < sizeof chunk ? n : sizeof chunk))
			break; /* already closed: that is the point */
	}
	/* Closed means a read that ends (EOF, reset, close_notify) before
	 * the socket's timeout. */
	uint8_t b;
	result = 1;
	ERR_clear_error();
	if (SSL_read_ex(ssl, &b, 1, &got) != 1) {
		int e = SSL_get_error(ssl, 0);
		result = e == SSL_ERROR_WANT_READ ? 1 : 0;
	}
done:
	ERR_clear_error();
	SSL_free(ssl);
	if (s >= 0)
		close(s);
	SSL_CTX_free(ctx);
	return result;
}

struct traw_sp {
	int s;
	SSL_CTX *ctx;
	SSL *ssl;
};

static void traw_sp_free(traw_sp *c)
{
	SSL_free(c->ssl);
	if (c->s >= 0)
		close(c->s);
	SSL_CTX_free(c->ctx);
	ERR_clear_error();
	free(c);
}

traw_sp *traw_sp_open(int port, const char *identity, uint32_t timeout_ms)
{
	return traw_sp_open_ca(port, identity, "ca", timeout_ms);
}

traw_sp *traw_sp_open_ca(
    int port, const char *identity, const char *ca, uint32_t timeout_ms)
{
	uint8_t hdr[8] = {0, 'S', 'P', 0, 0, SP_REQ0, 0, 0}, peer[8];
	size_t got;
	traw_sp *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	signal(SIGPIPE, SIG_IGN);
	if ((c->ctx = traw_ctx(identity, ca)) == NULL ||
	    (c->s = ttcp_connect(port, timeout_ms)) < 0 ||
	    (c->ssl = SSL_new(c->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->s) != 1 || SSL_connect(c->ssl) != 1 ||
	    !traw_write_all(c->ssl, hdr, sizeof hdr) ||
	    SSL_read_ex(c->ssl, peer, sizeof peer, &got) != 1 || got != 8 ||
	    memcmp(peer, "\0SP\0", 4) != 0) {
		traw_sp_free(c);
		return NULL;
	}
	return c;
}

bool traw_sp_send(traw_sp *c, uint32_t id, const void *body, size_t len)
{
	uint8_t *frame = malloc(12 + len);
	if (frame == NULL)
		return false;
	uint64_t n = 4 + (uint64_t)len;
	for (int i = 0; i < 8; i++)
		frame[i] = (uint8_t)(n >> (56 - 8 * i));
	id |= 0x80000000u; /* the last (only) word of a REQ backtrace */
	for (int i = 0; i < 4; i++)
		frame[8 + i] = (uint8_t)(id >> (24 - 8 * i));
	memcpy(frame + 12, body, len);
	bool ok = traw_write_all(c->ssl, frame, 12 + len);
	free(frame);
	return ok;
}

static bool traw_read_all(SSL *ssl, uint8_t *buf, size_t len)
{
	size_t done = 0, got;
	while (done < len) {
		if (SSL_read_ex(ssl, buf + done, len - done, &got) != 1)
			return false;
		done += got;
	}
	return true;
}

bool traw_sp_recv(traw_sp *c, uint8_t **body, size_t *len)
{
	uint8_t h[12];
	*body = NULL;
	if (!traw_read_all(c->ssl, h, sizeof h))
		return false;
	uint64_t n = 0;
	for (int i = 0; i < 8; i++)
		n = n << 8 | h[i];
	if (n < 4 || n > 64u << 20)
		return false;
	*len = (size_t)n - 4;
	if ((*body = malloc(*len > 0 ? *len : 1)) == NULL)
		return false;
	if (!traw_read_all(c->ssl, *body, *len)) {
		free(*body);
		*body = NULL;
		return false;
	}
	return true;
}

void traw_sp_reset(traw_sp *c)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	setsockopt(c->s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	traw_sp_free(c);
}

void traw_sp_close(traw_sp *c)
{
	(void)SSL_shutdown(c->ssl);
	traw_sp_free(c);
}

bool traw_tls_end_early(int port, const char *identity, traw_end how)
{
	static const uint8_t bad[8] = {0, 'S', 'Q', 0, 0, SP_REQ0, 0, 0};
	static const uint8_t partial[3] = {0, 'S', 'P'};
	traw_sp c = {.s = -1};
	signal(SIGPIPE, SIG_IGN);
	bool ok = (c.ctx = traw_ctx(identity, "ca")) != NULL &&
	          (c.s = ttcp_connect(port, 5000)) >= 0 &&
	          (c.ssl = SSL_new(c.ctx)) != NULL &&
	          SSL_set_fd(c.ssl, c.s) == 1 && SSL_connect(c.ssl) == 1;
	if (ok) {
		switch (how) {
		case TRAW_END_CLOSE_NOTIFY:
			(void)SSL_shutdown(c.ssl);
			break;
		case TRAW_END_PARTIAL_NOTIFY:
			(void)traw_write_all(c.ssl, partial, sizeof partial);
			(void)SSL_shutdown(c.ssl);
			break;
		case TRAW_END_BAD_SP_HEADER:
			(void)traw_write_all(c.ssl, bad, sizeof bad);
			break;
		case TRAW_END_RESET: {
			struct linger l = {.l_onoff = 1, .l_linger = 0};
			setsockopt(c.s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
			break;
		}
		}
		/* Let the server see it before the socket goes. */
		usleep(20 * 1000);
	}
	SSL_free(c.ssl);
	if (c.s >= 0)
		close(c.s);
	SSL_CTX_free(c.ctx);
	ERR_clear_error();
	return ok;
}

int traw_sp_fd(const traw_sp *c)
{
	return c->s;
}
