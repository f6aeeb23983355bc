/* SPDX-License-Identifier: MIT */
/*
 * hd_err: the one error enum of hedui.
 *
 * Library failures (nng, OpenSSL, SQLite, protobuf-c) are logged with their
 * own detail where they happen and then mapped to one of these, so callers
 * branch on a small closed set.
 */
#ifndef HEDUI_HD_ERR_H
#define HEDUI_HD_ERR_H

#include <hedui/err.h>

/* The public enum (include/hedui/err.h) under the name the tree uses. */
typedef hedui_err hd_err;
#define HD_OK HEDUI_OK
#define HD_ENOMEM HEDUI_ENOMEM
#define HD_EINVAL HEDUI_EINVAL
#define HD_EDECODE HEDUI_EDECODE
#define HD_ETOOBIG HEDUI_ETOOBIG
#define HD_ETIMEDOUT HEDUI_ETIMEDOUT
#define HD_EUNAVAIL HEDUI_EUNAVAIL
#define HD_ECLOSED HEDUI_ECLOSED
#define HD_EBUSY HEDUI_EBUSY
#define HD_ETLS HEDUI_ETLS
#define HD_ECRYPTO HEDUI_ECRYPTO
#define HD_EAUTH HEDUI_EAUTH
#define HD_EPERM HEDUI_EPERM
#define HD_ENOTFOUND HEDUI_ENOTFOUND
#define HD_EEXIST HEDUI_EEXIST
#define HD_EDB HEDUI_EDB
#define HD_EIO HEDUI_EIO
#define HD_ENOTSUP HEDUI_ENOTSUP
#define HD_EINTERNAL HEDUI_EINTERNAL
#define HD_ERR_COUNT HEDUI_ERR_COUNT

const char *hd_strerror(hd_err err);

/* Map an nng error code (NNG_E*) to hd_err; 0 maps to HD_OK. */
hd_err hd_err_from_nng(int nng_rv);

#endif
