/* SPDX-License-Identifier: MIT */
#include "rpc_listen_probe.h"

#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

struct rpc_listen_probe {
	char host[256];
	char port[16];
	SSL_CTX *ctx;
};

static int probe_password_cb(char *buf, int size, int rwflag, void *u)
{
	(void)rwflag;
	const char *pw = u;
	int n = (int)strlen(pw);
	if (n > size)
		return 0;
	memcpy(buf, pw, (size_t)n);
	return n;
}

/* "tls+tcp://HOST:PORT", "tls+tcp://[V6]:PORT"; wildcard hosts become
 * loopback. */
static bool probe_parse(
    const char *url, char *host, size_t hcap, char *port, size_t pcap)
{
	static const char pfx[] = "tls+tcp://";
	if (strncmp(url, pfx, sizeof pfx - 1) != 0)
		return false;
	const char *h = url + sizeof pfx - 1, *colon;
	size_t hl;
	if (*h == '[') {
		const char *end = strchr(h, ']');
		if (end == NULL || end[1] != ':')
			return false;
		h++;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(h, ':');
		if (colon == NULL)
			return false;
		hl = (size_t)(colon - h);
	}
	if (hl == 0 || hl >= hcap || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= pcap)
		return false;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, pcap, "%s", colon + 1);
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
		snprintf(host, hcap, "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		snprintf(host, hcap, "::1");
	return true;
}

rpc_listen_probe *rpc_listen_probe_alloc(const char *url, const tls_opts *tls)
{
	rpc_listen_probe *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	if (!probe_parse(
	        url, p->host, sizeof p->host, p->port, sizeof p->port) ||
	    (p->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		rpc_listen_probe_free(p);
		return NULL;
	}
	/* Who answers does not matter: that someone does. */
	SSL_CTX_set_verify(p->ctx, SSL_VERIFY_NONE, NULL);
	if (tls != NULL && tls->cert_file != NULL && tls->key_file != NULL) {
		if (tls->key_password != NULL) {
			SSL_CTX_set_default_passwd_cb(
			    p->ctx, probe_password_cb);
			SSL_CTX_set_default_passwd_cb_userdata(
			    p->ctx, (void *)tls->key_password);
		}
		if (SSL_CTX_use_certificate_chain_file(
		        p->ctx, tls->cert_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(
		        p->ctx, tls->key_file, SSL_FILETYPE_PEM) != 1) {
			/* Probe without a certificate: still a handshake. */
			SSL_CTX_free(p->ctx);
			p->ctx = SSL_CTX_new(TLS_client_method());
			if (p->ctx == NULL) {
				rpc_listen_probe_free(p);
				return NULL;
			}
			SSL_CTX_set_verify(p->ctx, SSL_VERIFY_NONE, NULL);
		}
	}
	ERR_clear_error();
	return p;
}

void rpc_listen_probe_free(rpc_listen_probe *p)
{
	if (p == NULL)
		return;
	SSL_CTX_free(p->ctx);
	free(p);
}

static int probe_connect(const rpc_listen_probe *p, unsigned bound_ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(p->host, p->port, &hints, &res) != 0 || res == NULL)
		return -1;
	int s = socket(res->ai_family, SOCK_STREAM, 0);
	if (s >= 0) {
		struct timeval tv = {.tv_sec = bound_ms / 1000,
		    .tv_usec = (bound_ms % 1000) * 1000};
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(s, res->ai_addr, res->ai_addrlen) != 0) {
			close(s);
			s = -1;
		}
	}
	freeaddrinfo(res);
	return s;
}

bool rpc_listen_probe_run(rpc_listen_probe *p, unsigned bound_ms)
{
	/* The SP header of a REQ peer (protocol 0x30). */
	static const uint8_t sp[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};
	bool answered = false;
	int s = probe_connect(p, bound_ms);
	SSL *ssl = s >= 0 ? SSL_new(p->ctx) : NULL;
	if (ssl != NULL && SSL_set_fd(ssl, s) == 1) {
		int ok = SSL_connect(ssl);
		/* The server's certificate comes in its first flight. */
		answered = SSL_get0_peer_certificate(ssl) != NULL;
		size_t n;
		uint8_t peer[8];
		if (ok == 1 && SSL_write_ex(ssl, sp, sizeof sp, &n) == 1)
			(void)SSL_read_ex(ssl, peer, sizeof peer, &n);
		if (ok == 1)
			(void)SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	if (s >= 0)
		close(s);
	ERR_clear_error();
	return answered;
}
