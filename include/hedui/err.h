/* SPDX-License-Identifier: MIT */
/*
 * hedui/err.h: the one error enum of libhedui.
 *
 * Failures of the libraries underneath (nng, OpenSSL, protobuf-c) are
 * logged with their own detail where they happen and then mapped to one
 * of these, so that a caller branches on a small closed set.
 */
#ifndef HEDUI_PUBLIC_ERR_H
#define HEDUI_PUBLIC_ERR_H

#include <hedui/export.h>

typedef enum hedui_err {
	HEDUI_OK = 0,
	HEDUI_ENOMEM,    /* out of memory */
	HEDUI_EINVAL,    /* invalid argument or input */
	HEDUI_EDECODE,   /* bytes that do not decode */
	HEDUI_ETOOBIG,   /* over a size limit */
	HEDUI_ETIMEDOUT, /* a deadline passed */
	HEDUI_EUNAVAIL,  /* peer unreachable, connection refused or lost */
	HEDUI_ECLOSED,   /* object already closed / shutting down */
	HEDUI_EBUSY,     /* at capacity, try again later */
	HEDUI_ETLS,      /* TLS configuration or handshake failure */
	HEDUI_ECRYPTO,   /* signature, hash or key failure */
	HEDUI_EAUTH,     /* caller not authenticated */
	HEDUI_EPERM,     /* caller not permitted */
	HEDUI_ENOTFOUND, /* no such thing */
	HEDUI_EEXIST,    /* already exists */
	HEDUI_EDB,       /* storage failure */
	HEDUI_EIO,       /* file or OS failure */
	HEDUI_ENOTSUP,   /* not implemented / not supported */
	HEDUI_EINTERNAL, /* a bug: should not happen */
	/* Not an error: the number of them, which a later version may
	 * raise. */
	HEDUI_ERR_COUNT
} hedui_err;

/* A short English description ("out of memory"); a static string, never
 * NULL, "unknown error" for a value outside the enum. */
HEDUI_EXPORT const char *hedui_strerror(hedui_err err);

#endif
