/* SPDX-License-Identifier: MIT */
#include "tls_fixture.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/transport/tls/tls.h>

/* Large enough for the 1 MiB test message with its headers. */
#define TLSFX_MAX_MSG (4u << 20)

const char *tlsfx_cert(const char *name)
{
	static char bufs[8][PATH_MAX];
	static atomic_uint next;
	char *b = bufs[atomic_fetch_add(&next, 1) % 8];
	const char *dir = getenv("HEDUI_CERTS");
	snprintf(b, PATH_MAX, "%s/%s", dir != NULL ? dir : "certs", name);
	return b;
}

bool tlsfx_have_certs(void)
{
	return getenv("HEDUI_CERTS") != NULL &&
	       access(tlsfx_cert("ca.crt"), R_OK) == 0;
}

void tlsfx_id_init(tlsfx_id *id, const char *name, bool with_crl)
{
	memset(id, 0, sizeof *id);
	snprintf(id->ca, sizeof id->ca, "%s", tlsfx_cert("ca.crt"));
	snprintf(id->crl, sizeof id->crl, "%s", tlsfx_cert("ca.crl"));
	snprintf(id->cert, sizeof id->cert, "%s.crt", tlsfx_cert(name));
	snprintf(id->key, sizeof id->key, "%s.key", tlsfx_cert(name));
	id->o.ca_file = id->ca;
	id->o.crl_file = with_crl ? id->crl : NULL;
	id->o.cert_file = id->cert;
	id->o.key_file = id->key;
}

int tlsfx_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int port = -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = calloc(1, 1 << 16);
	if (buf != NULL)
		(void)fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

nng_tls_config *tlsfx_config_no_cert(nng_tls_mode mode, const tlsfx_id *id)
{
	nng_tls_config *cfg = NULL;
	char *ca = read_text(id->ca);
	char *crl = id->o.crl_file != NULL ? read_text(id->crl) : NULL;
	if (ca == NULL || nng_tls_config_alloc(&cfg, mode) != 0)
		goto done;
	if (nng_tls_config_ca_chain(cfg, ca, crl) != 0 ||
	    nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED) != 0 ||
	    (mode == NNG_TLS_MODE_CLIENT &&
	        nng_tls_config_server_name(cfg, "127.0.0.1") != 0)) {
		nng_tls_config_free(cfg);
		cfg = NULL;
	}
done:
	free(ca);
	free(crl);
	return cfg;
}

struct tlsfx_echo {
	nng_socket sock;
	pthread_t thread;
	atomic_int served;
	atomic_bool last_verified;
};

static void *echo_main(void *arg)
{
	tlsfx_echo *e = arg;
	for (;;) {
		nng_msg *msg;
		if (nng_recvmsg(e->sock, &msg, 0) != 0)
			break; /* closed */
		bool v = false;
		(void)nng_pipe_get_bool(
		    nng_msg_get_pipe(msg), NNG_OPT_TLS_VERIFIED, &v);
		atomic_store(&e->last_verified, v);
		if (nng_sendmsg(e->sock, msg, 0) != 0)
			nng_msg_free(msg);
		else
			atomic_fetch_add(&e->served, 1);
	}
	return NULL;
}

int tlsfx_echo_start(
    const tls_opts *o, nng_tls_config *cfg, tlsfx_echo **out, int *port)
{
	nng_listener l;
	int rv;
	tlsfx_echo *e = calloc(1, sizeof *e);
	if (e == NULL)
		return NNG_ENOMEM;
	if (o != NULL) {
		if (tls_setup_config(NNG_TLS_MODE_SERVER, o, &cfg) != HD_OK) {
			free(e);
			return -1;
		}
	} else {
		nng_tls_config_hold(cfg);
	}
	if ((rv = nng_rep0_open(&e->sock)) != 0) {
		nng_tls_config_free(cfg);
		free(e);
		return rv;
	}
	if ((rv = nng_socket_set_size(
	         e->sock, NNG_OPT_RECVMAXSZ, TLSFX_MAX_MSG)) != 0 ||
	    (rv = nng_listener_create(&l, e->sock, "tls+tcp://127.0.0.1:0")) !=
	        0 ||
	    (rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg)) != 0 ||
	    (rv = nng_listener_start(l, 0)) != 0 ||
	    (rv = nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, port)) != 0)
		goto fail;
	nng_tls_config_free(cfg); /* the listener holds it */
	cfg = NULL;
	if (pthread_create(&e->thread, NULL, echo_main, e) != 0) {
		rv = NNG_ENOMEM;
		goto fail;
	}
	*out = e;
	return 0;
fail:
	if (cfg != NULL)
		nng_tls_config_free(cfg);
	nng_close(e->sock);
	free(e);
	return rv;
}

int tlsfx_echo_served(tlsfx_echo *e)
{
	return atomic_load(&e->served);
}

bool tlsfx_echo_last_verified(tlsfx_echo *e)
{
	return atomic_load(&e->last_verified);
}

void tlsfx_echo_stop(tlsfx_echo *e)
{
	if (e == NULL)
		return;
	nng_close(e->sock);
	pthread_join(e->thread, NULL);
	free(e);
}

int tlsfx_echo_request(const tls_opts *o, nng_tls_config *cfg, int port,
    const void *data, size_t len, int timeout_ms)
{
	nng_socket s;
	nng_dialer d;
	nng_msg *req = NULL, *rep = NULL;
	char url[64];
	int rv;

	if (o != NULL) {
		if (tls_setup_config(NNG_TLS_MODE_CLIENT, o, &cfg) != HD_OK)
			return -1;
	} else {
		nng_tls_config_hold(cfg);
	}
	snprintf(url, sizeof url, "tls+tcp://127.0.0.1:%d", port);
	if ((rv = nng_req0_open(&s)) != 0) {
		nng_tls_config_free(cfg);
		return rv;
	}
	if ((rv = nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms)) != 0 ||
	    (rv = nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms)) != 0 ||
	    (rv = nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, TLSFX_MAX_MSG)) !=
	        0 ||
	    (rv = nng_dialer_create(&d, s, url)) != 0 ||
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)) != 0 ||
	    (rv = nng_dialer_start(d, 0)) != 0)
		goto done;
	if ((rv = nng_msg_alloc(&req, 0)) != 0 ||
	    (rv = nng_msg_append(req, data, len)) != 0)
		goto done;
	if ((rv = nng_sendmsg(s, req, 0)) != 0)
		goto done;
	req = NULL;
	if ((rv = nng_recvmsg(s, &rep, 0)) != 0)
		goto done;
	if (nng_msg_len(rep) != len || memcmp(nng_msg_body(rep), data, len))
		rv = NNG_EPROTO;
done:
	if (req != NULL)
		nng_msg_free(req);
	if (rep != NULL)
		nng_msg_free(rep);
	nng_close(s);
	nng_tls_config_free(cfg);
	return rv;
}
