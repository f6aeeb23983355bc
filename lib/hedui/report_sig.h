/* SPDX-License-Identifier: MIT */
/*
 * report_sig: the service's signature over reports (serialized
 * hedui.v1.Verdict), made by heduid and checked offline by anyone holding
 * the service certificate. docs/REPORT-FORMAT.md has the exact bytes.
 *
 * Two forms:
 *
 *   REPORT_SIG_ALG          (reports stored before report groups were
 *                           sealed) an ECDSA P-256 / SHA-256 signature,
 *                           DER, over the report's bytes themselves.
 *   REPORT_SIG_ALG_MERKLE   the reports committed together form an
 *                           RFC 6962 hash tree (lib/hedui/merkle.h; a leaf is
 *                           a report's bytes); the service signs once,
 *                           with the same key and algorithm, the root
 *                           message REPORT_ROOT_DOMAIN || tree size (8
 *                           bytes, big-endian) || root (32 bytes). Each
 *                           report carries that signature and its
 *                           ReportProof (leaf index, tree size, audit
 *                           path, root).
 *
 * The tree size is in the signed message so that a proof cannot claim
 * another tree shape for the same root; the domain line keeps the
 * signature from being taken for one over a report (a report is a
 * protobuf message, which never starts with "hedui-report-root").
 */
#ifndef HEDUI_REPORT_SIG_H
#define HEDUI_REPORT_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "hd_err.h"
#include "hedui/v1/verifier.pb-c.h"
#include "merkle.h"

#define REPORT_SIG_ALG "ecdsa-p256-sha256"
#define REPORT_SIG_ALG_MERKLE "merkle-sha256+ecdsa-p256-sha256"
#define REPORT_SIG_MAX 80

#define REPORT_ROOT_DOMAIN "hedui-report-root-v1\n"
#define REPORT_ROOT_MSG_LEN                                                   \
	(sizeof REPORT_ROOT_DOMAIN - 1 + 8 + MERKLE_HASH_LEN)

/* The bytes signed for a group: REPORT_ROOT_DOMAIN (21 bytes), tree_size
 * as 8 bytes big-endian, the root. */
void report_root_message(uint64_t tree_size, const merkle_hash root,
    uint8_t out[REPORT_ROOT_MSG_LEN]);

typedef struct report_signer report_signer;

report_signer *report_signer_load(
    const char *key_path, const char *password, char *err, size_t errlen);
void report_signer_free(report_signer *s);

/* A signature over report itself (REPORT_SIG_ALG); sig must hold
 * REPORT_SIG_MAX bytes. Thread-safe. */
hd_err report_signer_sign(report_signer *s, const uint8_t *report, size_t len,
    uint8_t *sig, size_t *siglen);

/*
 * Seals a group of n >= 1 reports (REPORT_SIG_ALG_MERKLE): the tree over
 * them in this order, one signature of its root message into sig
 * (REPORT_SIG_MAX bytes), and for each report its serialized
 * hedui.v1.ReportProof in proofs[i] (malloc'd: the caller frees them;
 * all NULL on failure), proof_lens[i] its length.
 */
hd_err report_signer_seal(report_signer *s, const uint8_t *const *reports,
    const size_t *lens, size_t n, uint8_t *sig, size_t *siglen,
    uint8_t **proofs, size_t *proof_lens);

/* Checking reports offline, against the service certificate. */
typedef struct report_verifier report_verifier;

/* The certificate (PEM file), checked to chain to ca_path when it is not
 * NULL. NULL with the reason in err. */
report_verifier *report_verifier_load(
    const char *cert_path, const char *ca_path, char *err, size_t errlen);
void report_verifier_free(report_verifier *v);

/*
 * A report as heduid answers or saves it (a VerifyHouseholdResponse:
 * report, signature, signature_alg, proof; its verdict field is not
 * looked at). HD_OK when the signature holds for these exact bytes;
 * HD_ECRYPTO with the reason in err when anything differs (an unknown
 * algorithm, a proof with the single-signature form or none with the
 * Merkle one, a hash that is not 32 bytes, a path that does not lead to
 * the root, a signature that does not hold).
 */
hd_err report_verifier_check(report_verifier *v,
    const Hedui__V1__VerifyHouseholdResponse *r, char *err, size_t errlen);

/* report_verifier_load + report_verifier_check, once. */
hd_err report_sig_verify_response(const char *cert_path, const char *ca_path,
    const Hedui__V1__VerifyHouseholdResponse *r, char *err, size_t errlen);

/* The single-signature form alone: sig over report (REPORT_SIG_ALG). */
hd_err report_sig_verify(const char *cert_path, const char *ca_path,
    const uint8_t *report, size_t len, const uint8_t *sig, size_t siglen,
    char *err, size_t errlen);

#endif
