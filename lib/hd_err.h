/*
 * hd_err: the one error enum of hedui.
 *
 * Library failures (nng, OpenSSL, SQLite, protobuf-c) are logged with their
 * own detail where they happen and then mapped to one of these, so callers
 * branch on a small closed set.
 */
#ifndef HEDUI_HD_ERR_H
#define HEDUI_HD_ERR_H

typedef enum hd_err {
	HD_OK = 0,
	HD_ENOMEM,    /* out of memory */
	HD_EINVAL,    /* invalid argument or input */
	HD_EDECODE,   /* bytes that do not decode */
	HD_ETOOBIG,   /* over a size limit */
	HD_ETIMEDOUT, /* a deadline passed */
	HD_EUNAVAIL,  /* peer unreachable, connection refused or lost */
	HD_ECLOSED,   /* object already closed / shutting down */
	HD_EBUSY,     /* at capacity, try again later */
	HD_ETLS,      /* TLS configuration or handshake failure */
	HD_ECRYPTO,   /* signature, hash or key failure */
	HD_EAUTH,     /* caller not authenticated */
	HD_EPERM,     /* caller not permitted */
	HD_ENOTFOUND, /* no such thing */
	HD_EEXIST,    /* already exists */
	HD_EDB,       /* storage failure */
	HD_EIO,       /* file or OS failure */
	HD_ENOTSUP,   /* not implemented / not supported */
	HD_EINTERNAL, /* a bug: should not happen */
	HD_ERR_COUNT
} hd_err;

const char *hd_strerror(hd_err err);

/* Map an nng error code (NNG_E*) to hd_err; 0 maps to HD_OK. */
hd_err hd_err_from_nng(int nng_rv);

#endif
