/*
 * report_sig: the service's signature over a report (a serialized
 * hedui.v1.Verdict), made by heduid and checked offline by anyone holding
 * the service certificate. ECDSA P-256 with SHA-256, DER signature.
 */
#ifndef HEDUI_REPORT_SIG_H
#define HEDUI_REPORT_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"

#define REPORT_SIG_ALG "ecdsa-p256-sha256"
/* A report signed in a group: a Merkle proof to the group's root, whose
 * signature is the report's (docs/REPORT-FORMAT.md). */
#define REPORT_SIG_ALG_MERKLE "merkle-sha256+ecdsa-p256-sha256"
#define REPORT_SIG_MAX 80

typedef struct report_signer report_signer;

report_signer *report_signer_load(
    const char *key_path, const char *password, char *err, size_t errlen);
void report_signer_free(report_signer *s);

/* sig must hold REPORT_SIG_MAX bytes. Thread-safe. */
hd_err report_signer_sign(report_signer *s, const uint8_t *report, size_t len,
    uint8_t *sig, size_t *siglen);

/* Checks sig over report against the certificate (PEM file), and that the
 * certificate chains to ca_path when ca_path is not NULL. HD_OK, or
 * HD_ECRYPTO with the reason in err. */
hd_err report_sig_verify(const char *cert_path, const char *ca_path,
    const uint8_t *report, size_t len, const uint8_t *sig, size_t siglen,
    char *err, size_t errlen);

#endif
