/* SPDX-License-Identifier: MIT */
#include "hd_err.h"

#include <nng/nng.h>

static const char *const hd_err_text[HD_ERR_COUNT] = {
    [HD_OK] = "ok",
    [HD_ENOMEM] = "out of memory",
    [HD_EINVAL] = "invalid argument",
    [HD_EDECODE] = "malformed message",
    [HD_ETOOBIG] = "message too large",
    [HD_ETIMEDOUT] = "deadline exceeded",
    [HD_EUNAVAIL] = "peer unavailable",
    [HD_ECLOSED] = "closed",
    [HD_EBUSY] = "busy",
    [HD_ETLS] = "TLS failure",
    [HD_ECRYPTO] = "cryptographic failure",
    [HD_EAUTH] = "not authenticated",
    [HD_EPERM] = "permission denied",
    [HD_ENOTFOUND] = "not found",
    [HD_EEXIST] = "already exists",
    [HD_EDB] = "storage failure",
    [HD_EIO] = "I/O failure",
    [HD_ENOTSUP] = "not supported",
    [HD_EINTERNAL] = "internal error",
};

const char *hd_strerror(hd_err err)
{
	if ((unsigned)err >= HD_ERR_COUNT)
		return "unknown error";
	return hd_err_text[err];
}

hd_err hd_err_from_nng(int rv)
{
	switch (rv) {
	case 0:
		return HD_OK;
	case NNG_ENOMEM:
		return HD_ENOMEM;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_EBADTYPE:
		return HD_EINVAL;
	case NNG_EMSGSIZE:
		return HD_ETOOBIG;
	case NNG_ETIMEDOUT:
		return HD_ETIMEDOUT;
	case NNG_ECLOSED:
	case NNG_ECANCELED:
		return HD_ECLOSED;
	case NNG_ECONNREFUSED:
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
	case NNG_EUNREACHABLE:
	case NNG_EADDRINUSE:
		return HD_EUNAVAIL;
	case NNG_EAGAIN:
		return HD_EBUSY;
	case NNG_ECRYPTO:
	case NNG_EPEERAUTH:
		return HD_ETLS;
	case NNG_EPERM:
		return HD_EPERM;
	case NNG_ENOENT:
		return HD_ENOTFOUND;
	case NNG_ENOTSUP:
		return HD_ENOTSUP;
	case NNG_EPROTO:
		return HD_EDECODE;
	default:
		return HD_EIO;
	}
}
