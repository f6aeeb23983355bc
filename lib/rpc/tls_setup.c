/* SPDX-License-Identifier: MIT */
#include "tls_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tls_engine_openssl.h"

static const char *tls_engine_in_use = "mbedtls";

/* Reads a whole PEM file into a NUL-terminated buffer the caller frees. */
static hd_err tls_read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		log_error(
		    "tls.file", "path=\"%s\" error=\"cannot open\"", path);
		return HD_EIO;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return HD_ENOMEM;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, 4096, f);
		len += n;
		if (n == 0)
			break;
		if (len > 4 * 1024 * 1024) {
			free(buf);
			fclose(f);
			log_error("tls.file",
			    "path=\"%s\" error=\"too large\"", path);
			return HD_ETOOBIG;
		}
	}
	fclose(f);
	buf[len] = '\0';
	*out = buf;
	return HD_OK;
}

hd_err tls_setup_engine(const char *which)
{
	if (which == NULL)
		which = getenv("HEDUI_TLS_ENGINE");
	if (which == NULL || which[0] == '\0')
		which = "openssl";
	if (strcmp(which, "mbedtls") == 0) {
		/* nng has no way to put its own engine back once ours is in.
		 */
		if (strcmp(tls_engine_in_use, "openssl") == 0) {
			log_error("tls.engine",
			    "engine=mbedtls error=\"openssl "
			    "is already registered\"");
			return HD_EINVAL;
		}
		tls_engine_in_use = "mbedtls";
		return HD_OK;
	}
	if (strcmp(which, "openssl") != 0) {
		log_error("tls.engine",
		    "engine=\"%s\" error=\"unknown engine\"", which);
		return HD_EINVAL;
	}
	/* nng 1.5.2's start-up (nni_init -> nni_tls_sys_init) resets the
	 * engine and registers mbedTLS, overwriting anything registered
	 * before it; allocating a configuration forces that start-up first.
	 * nng_fini() would run it again: programs must not call it. */
	nng_tls_config *probe = NULL;
	int rv = nng_tls_config_alloc(&probe, NNG_TLS_MODE_CLIENT);
	if (rv != 0) {
		log_error("tls.engine", "step=nng_init error=\"%s\"",
		    nng_strerror(rv));
		return hd_err_from_nng(rv);
	}
	nng_tls_config_free(probe);
	hd_err err = tls_engine_openssl_register();
	if (err != HD_OK) {
		log_error("tls.engine", "engine=openssl error=\"%s\"",
		    hd_strerror(err));
		return err;
	}
	if (strcmp(nng_tls_engine_name(), "openssl") != 0) {
		log_error("tls.engine",
		    "engine=%s error=\"openssl engine did "
		    "not take\"",
		    nng_tls_engine_name());
		return HD_EINTERNAL;
	}
	tls_engine_in_use = "openssl";
	return HD_OK;
}

const char *tls_setup_engine_name(void)
{
	return tls_engine_in_use;
}

const char *tls_setup_engine_description(void)
{
	return nng_tls_engine_description();
}

static bool tls_engine_does_13(void)
{
	return strcmp(tls_engine_in_use, "openssl") == 0;
}

const char *tls_setup_max_version(const tls_opts *o)
{
	(void)o;
	return tls_engine_does_13() ? "TLSv1.3" : "TLSv1.2";
}

hd_err tls_setup_config(
    nng_tls_mode mode, const tls_opts *o, nng_tls_config **out)
{
	nng_tls_config *cfg = NULL;
	char *ca = NULL, *crl = NULL, *cert = NULL, *key = NULL;
	hd_err err = HD_OK;
	int rv;

	if (o->ca_file == NULL || o->cert_file == NULL ||
	    o->key_file == NULL) {
		log_error("tls.config", "error=\"ca, cert and key are "
		                        "all required\"");
		return HD_EINVAL;
	}
	if ((rv = nng_tls_config_alloc(&cfg, mode)) != 0) {
		err = hd_err_from_nng(rv);
		goto fail;
	}
	if ((err = tls_read_file(o->ca_file, &ca)) != HD_OK)
		goto fail;
	if (o->crl_file != NULL && o->crl_file[0] != '\0' &&
	    (err = tls_read_file(o->crl_file, &crl)) != HD_OK)
		goto fail;
	if ((err = tls_read_file(o->cert_file, &cert)) != HD_OK ||
	    (err = tls_read_file(o->key_file, &key)) != HD_OK)
		goto fail;

	/* TLS 1.3 only between our own programs; mbedTLS cannot, so with it
	 * the range is 1.2 and the engine choice says so in the logs. */
	nng_tls_version min = NNG_TLS_1_3, max = NNG_TLS_1_3;
	if (!tls_engine_does_13()) {
		min = NNG_TLS_1_2;
		max = NNG_TLS_1_2;
	} else if (o->allow_tls12) {
		min = NNG_TLS_1_2;
	}
	if ((rv = nng_tls_config_version(cfg, min, max)) != 0) {
		log_error("tls.config", "step=version error=\"%s\"",
		    nng_strerror(rv));
		err = HD_ETLS;
		goto fail;
	}
	if ((rv = nng_tls_config_ca_chain(cfg, ca, crl)) != 0) {
		log_error("tls.config", "step=ca path=\"%s\" error=\"%s\"",
		    o->ca_file, nng_strerror(rv));
		err = HD_ETLS;
		goto fail;
	}
	if ((rv = nng_tls_config_own_cert(cfg, cert, key, o->key_password)) !=
	    0) {
		log_error("tls.config", "step=cert path=\"%s\" error=\"%s\"",
		    o->cert_file, nng_strerror(rv));
		err = HD_ETLS;
		goto fail;
	}
	nng_tls_auth_mode auth = NNG_TLS_AUTH_MODE_REQUIRED;
	if (mode == NNG_TLS_MODE_SERVER && o->auth_optional)
		auth = NNG_TLS_AUTH_MODE_OPTIONAL;
	if ((rv = nng_tls_config_auth_mode(cfg, auth)) != 0) {
		err = HD_ETLS;
		goto fail;
	}
	if (mode == NNG_TLS_MODE_CLIENT) {
		const char *name =
		    o->server_name != NULL ? o->server_name : "127.0.0.1";
		if ((rv = nng_tls_config_server_name(cfg, name)) != 0) {
			err = HD_ETLS;
			goto fail;
		}
	}
	free(ca);
	free(crl);
	free(cert);
	free(key);
	*out = cfg;
	return HD_OK;

fail:
	free(ca);
	free(crl);
	free(cert);
	free(key);
	if (cfg != NULL)
		nng_tls_config_free(cfg);
	return err;
}
