/* Placeholder until the OpenSSL engine lands (issue 6). */
#include "tls_engine_openssl.h"

hd_err tls_engine_openssl_register(void)
{
	return HD_ENOTSUP;
}

const char *tls_engine_openssl_description(void)
{
	return "OpenSSL engine not built";
}
