/* SPDX-License-Identifier: MIT */
/*
 * verify_report_id: the id of a new report, "HD-YYYYMMDD-" and 16 hex
 * digits.
 */
#ifndef HEDUI_VERIFY_REPORT_ID_H
#define HEDUI_VERIFY_REPORT_ID_H

#include "hd_err.h"

/* The id and its terminating NUL. */
#define VERIFY_REPORT_ID_SIZE 40

/*
 * A fresh report id into out. HD_ECRYPTO, and out emptied, when OpenSSL
 * gives no random bytes: an id without its random part could meet one of
 * another process, and the caller must fail rather than store it.
 * Thread-safe.
 */
hd_err verify_report_id_make(char out[VERIFY_REPORT_ID_SIZE]);

#endif
