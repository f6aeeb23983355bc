/* SPDX-License-Identifier: MIT */
/*
 * report_sig: groups of reports sealed with one signature over their hash
 * tree's root, each report checked offline with its proof; and every
 * kind of tampering refused: a byte of the report, of any path element,
 * of the root, of the signature, the leaf index, the tree size, the
 * algorithm, a proof taken away or added, a path cut or lengthened, the
 * proof of another report of the group; then every single-bit flip of a
 * saved report, everywhere in its bytes. Reports signed alone (before
 * groups) still verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hedui/v1/verifier.pb-c.h"
#include "report_sig.h"
#include "tsupport.h"

#define NREP 7

static report_signer *signer;
static report_verifier *verifier;
static uint8_t reports[NREP][64];
static size_t lens[NREP];

static int setup(void **state)
{
	(void)state;
	char err[256];
	signer =
	    report_signer_load(tcert("heduid.key"), NULL, err, sizeof err);
	verifier = report_verifier_load(
	    tcert("heduid.crt"), tcert("ca.crt"), err, sizeof err);
	for (int i = 0; i < NREP; i++)
		lens[i] = (size_t)snprintf((char *)reports[i],
		    sizeof reports[i], "report number %d of the group", i);
	return signer != NULL && verifier != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	report_signer_free(signer);
	report_verifier_free(verifier);
	return 0;
}

/* A sealed group's report i as heduid saves it (packed). */
typedef struct sealed {
	uint8_t sig[REPORT_SIG_MAX];
	size_t siglen;
	uint8_t *proofs[NREP];
	size_t plens[NREP];
	size_t n;
} sealed;

static void seal(sealed *s, size_t n)
{
	const uint8_t *bytes[NREP];
	for (size_t i = 0; i < n; i++)
		bytes[i] = reports[i];
	s->n = n;
	assert_int_equal(report_signer_seal(signer, bytes, lens, n, s->sig,
	                     &s->siglen, s->proofs, s->plens),
	    HD_OK);
}

static void unseal(sealed *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->proofs[i]);
}

/* The response of report i (pointers into s and reports). */
static Hedui__V1__VerifyHouseholdResponse *response_of(
    const sealed *s, size_t i)
{
	Hedui__V1__VerifyHouseholdResponse r =
	    HEDUI__V1__VERIFY_HOUSEHOLD_RESPONSE__INIT;
	Hedui__V1__ReportProof *p =
	    hedui__v1__report_proof__unpack(NULL, s->plens[i], s->proofs[i]);
	assert_non_null(p);
	r.report.data = reports[i];
	r.report.len = lens[i];
	r.signature.data = (uint8_t *)s->sig;
	r.signature.len = s->siglen;
	r.signature_alg = REPORT_SIG_ALG_MERKLE;
	r.proof = p;
	/* Through the wire form and back: a decoded message that owns its
	 * memory, like a saved file read back. */
	uint8_t buf[4096];
	size_t len = hedui__v1__verify_household_response__pack(&r, buf);
	hedui__v1__report_proof__free_unpacked(p, NULL);
	return hedui__v1__verify_household_response__unpack(NULL, len, buf);
}

static hd_err check(const Hedui__V1__VerifyHouseholdResponse *r)
{
	char err[256];
	return report_verifier_check(verifier, r, err, sizeof err);
}

static void groups_of_every_size_verify(void **state)
{
	(void)state;
	for (size_t n = 1; n <= NREP; n++) {
		sealed s;
		seal(&s, n);
		for (size_t i = 0; i < n; i++) {
			Hedui__V1__VerifyHouseholdResponse *r =
			    response_of(&s, i);
			assert_non_null(r);
			assert_int_equal(r->proof->leaf_index, i);
			assert_int_equal(r->proof->tree_size, n);
			assert_int_equal(check(r), HD_OK);
			hedui__v1__verify_household_response__free_unpacked(
			    r, NULL);
		}
		unseal(&s);
	}
}

/* The root message is what docs/REPORT-FORMAT.md says, byte for byte. */
static void root_message_bytes(void **state)
{
	(void)state;
	merkle_hash root;
	for (int i = 0; i < MERKLE_HASH_LEN; i++)
		root[i] = (uint8_t)i;
	uint8_t msg[REPORT_ROOT_MSG_LEN];
	report_root_message(0x0102030405060708ULL, root, msg);
	assert_int_equal(sizeof msg, 61);
	assert_memory_equal(msg, "hedui-report-root-v1\n", 21);
	const uint8_t size[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_memory_equal(msg + 21, size, 8);
	assert_memory_equal(msg + 29, root, 32);
}

typedef void (*tamper_fn)(Hedui__V1__VerifyHouseholdResponse *r, void *arg);

/* Each kind of tampering, on report 3 of a group of 7 (its path has an
 * element on each level), fails. */
static void tamper_kinds(void **state)
{
	(void)state;
	sealed s;
	seal(&s, NREP);
	Hedui__V1__VerifyHouseholdResponse *r;
	char err[256];
#define FRESH()                                                               \
	do {                                                                  \
		r = response_of(&s, 3);                                       \
		assert_int_equal(check(r), HD_OK);                            \
	} while (0)
#define FAILS()                                                               \
	do {                                                                  \
		assert_int_equal(                                             \
		    report_verifier_check(verifier, r, err, sizeof err),      \
		    HD_ECRYPTO);                                              \
		hedui__v1__verify_household_response__free_unpacked(r, NULL); \
	} while (0)
	/* A byte of the report, anywhere. */
	for (size_t k = 0; k < lens[3]; k++) {
		FRESH();
		r->report.data[k] ^= 0x01;
		FAILS();
	}
	/* A byte of each path element, and of the root. */
	FRESH();
	size_t depth = r->proof->n_path;
	assert_int_equal(depth, 3);
	hedui__v1__verify_household_response__free_unpacked(r, NULL);
	for (size_t e = 0; e < depth; e++)
		for (size_t k = 0; k < MERKLE_HASH_LEN; k += 5) {
			FRESH();
			r->proof->path[e].data[k] ^= 0x80;
			FAILS();
		}
	for (size_t k = 0; k < MERKLE_HASH_LEN; k++) {
		FRESH();
		r->proof->root.data[k] ^= 0x01;
		FAILS();
	}
	/* The signature, each byte. */
	for (size_t k = 0; k < s.siglen; k++) {
		FRESH();
		r->signature.data[k] ^= 0x01;
		FAILS();
	}
	/* Every other leaf index, and past the end. */
	for (uint64_t i = 0; i < 10; i++) {
		if (i == 3)
			continue;
		FRESH();
		r->proof->leaf_index = i;
		FAILS();
	}
	/* Another tree size: what the path allows or not, the signature
	 * is over the size. */
	for (uint64_t n = 1; n < 20; n++) {
		if (n == NREP)
			continue;
		FRESH();
		r->proof->tree_size = n;
		FAILS();
	}
	/* The algorithm; the proof taken away; a path cut, lengthened, or
	 * with a hash that is not 32 bytes; a root of 31 bytes. */
	static const char *const algs[] = {REPORT_SIG_ALG,
	    "merkle-sha256+ecdsa-p384-sha384", "",
	    "MERKLE-SHA256+ECDSA-P256-SHA256"};
	for (size_t a = 0; a < sizeof algs / sizeof algs[0]; a++) {
		FRESH();
		char *mine = r->signature_alg;
		r->signature_alg = (char *)algs[a];
		assert_int_equal(check(r), HD_ECRYPTO);
		r->signature_alg = mine;
		hedui__v1__verify_household_response__free_unpacked(r, NULL);
	}
	FRESH();
	hedui__v1__report_proof__free_unpacked(r->proof, NULL);
	r->proof = NULL;
	FAILS();
	FRESH();
	r->proof->n_path--;
	assert_int_equal(check(r), HD_ECRYPTO);
	r->proof->n_path++; /* so that the last element is freed */
	hedui__v1__verify_household_response__free_unpacked(r, NULL);
	FRESH();
	r->proof->path[1].len = 31;
	FAILS();
	FRESH();
	r->proof->root.len = 31;
	FAILS();
	FRESH();
	{
		ProtobufCBinaryData longer[4];
		memcpy(longer, r->proof->path, 3 * sizeof longer[0]);
		longer[3] = r->proof->root;
		ProtobufCBinaryData *was = r->proof->path;
		r->proof->path = longer;
		r->proof->n_path = 4;
		assert_int_equal(check(r), HD_ECRYPTO);
		r->proof->path = was;
		r->proof->n_path = 3;
		hedui__v1__verify_household_response__free_unpacked(r, NULL);
	}
	/* Report 3 with report 4's proof. */
	{
		FRESH();
		Hedui__V1__VerifyHouseholdResponse *o = response_of(&s, 4);
		Hedui__V1__ReportProof *mine = r->proof;
		r->proof = o->proof;
		assert_int_equal(check(r), HD_ECRYPTO);
		r->proof = mine;
		hedui__v1__verify_household_response__free_unpacked(o, NULL);
		hedui__v1__verify_household_response__free_unpacked(r, NULL);
	}
	unseal(&s);
}

/* A saved report (its packed bytes, as `hedui report get -o` writes
 * them): every single-bit change anywhere makes it fail, whether it
 * still decodes or not. */
static void every_bit_of_a_saved_report(void **state)
{
	(void)state;
	sealed s;
	seal(&s, 5);
	Hedui__V1__VerifyHouseholdResponse *r = response_of(&s, 4);
	uint8_t saved[4096];
	size_t len = hedui__v1__verify_household_response__pack(r, saved);
	hedui__v1__verify_household_response__free_unpacked(r, NULL);
	int decoded = 0;
	for (size_t k = 0; k < len; k++)
		for (int bit = 0; bit < 8; bit++) {
			saved[k] ^= (uint8_t)(1u << bit);
			r = hedui__v1__verify_household_response__unpack(
			    NULL, len, saved);
			if (r != NULL) {
				decoded++;
				if (check(r) == HD_OK)
					fail_msg("byte %zu bit %d: still "
					         "verifies",
					    k, bit);
				hedui__v1__verify_household_response__free_unpacked(
				    r, NULL);
			}
			saved[k] ^= (uint8_t)(1u << bit);
		}
	printf("%zu bytes, %zu flips, %d still decode, none verifies\n", len,
	    len * 8, decoded);
	r = hedui__v1__verify_household_response__unpack(NULL, len, saved);
	assert_int_equal(check(r), HD_OK);
	hedui__v1__verify_household_response__free_unpacked(r, NULL);
	unseal(&s);
}

/* Reports signed alone (stored before groups were sealed) still verify;
 * one with a proof beside its single signature does not. */
static void single_signatures_still_verify(void **state)
{
	(void)state;
	uint8_t sig[REPORT_SIG_MAX];
	size_t siglen;
	assert_int_equal(
	    report_signer_sign(signer, reports[0], lens[0], sig, &siglen),
	    HD_OK);
	Hedui__V1__VerifyHouseholdResponse r =
	    HEDUI__V1__VERIFY_HOUSEHOLD_RESPONSE__INIT;
	r.report.data = reports[0];
	r.report.len = lens[0];
	r.signature.data = sig;
	r.signature.len = siglen;
	r.signature_alg = REPORT_SIG_ALG;
	assert_int_equal(check(&r), HD_OK);
	char err[256];
	assert_int_equal(
	    report_sig_verify(tcert("heduid.crt"), NULL, reports[0], lens[0],
	        sig, siglen, err, sizeof err),
	    HD_OK);
	reports[0][2] ^= 1;
	assert_int_equal(check(&r), HD_ECRYPTO);
	reports[0][2] ^= 1;
	sealed s;
	seal(&s, 2);
	Hedui__V1__VerifyHouseholdResponse *m = response_of(&s, 0);
	r.proof = m->proof;
	assert_int_equal(check(&r), HD_ECRYPTO);
	/* A signature over the root is no signature over the report, and
	 * the other way round. */
	ProtobufCBinaryData root_sig = m->signature;
	m->signature.data = sig;
	m->signature.len = siglen;
	assert_int_equal(check(m), HD_ECRYPTO);
	m->signature = root_sig;
	hedui__v1__verify_household_response__free_unpacked(m, NULL);
	unseal(&s);
	/* Another certificate than the service's. */
	report_verifier *other = report_verifier_load(
	    tcert("agency-330106.crt"), NULL, err, sizeof err);
	assert_non_null(other);
	r.proof = NULL;
	assert_int_equal(
	    report_verifier_check(other, &r, err, sizeof err), HD_ECRYPTO);
	report_verifier_free(other);
	assert_null(report_verifier_load(
	    tcert("heduid.crt"), tcert("source-ca.crt"), err, sizeof err));
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	for (; h[0] != '\0' && h[1] != '\0'; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* docs/REPORT-FORMAT.md's worked example, byte for byte. */
static void worked_example(void **state)
{
	(void)state;
	static const char *const reps[3] = {
	    "0a1c48442d32303236313230322d3030303030303030303161303030303022056"
	    "d"
	    "65657473",
	    "0a1c48442d32303236313230322d3030303030303030303161303030303122056"
	    "d"
	    "65657473",
	    "0a1c48442d32303236313230322d3030303030303030303161303030303222056"
	    "d"
	    "65657473",
	};
	uint8_t bytes[3][64], want[256];
	const uint8_t *rp[3];
	size_t lens3[3];
	for (int i = 0; i < 3; i++) {
		lens3[i] = unhex(reps[i], bytes[i]);
		rp[i] = bytes[i];
	}
	merkle_hash leaf;
	merkle_leaf(bytes[2], lens3[2], leaf);
	unhex(
	    "c48662914f6b0d85154ef34e3c78f38fb17125f7eb8ef031d848dfc7dc69440f",
	    want);
	assert_memory_equal(leaf, want, 32);
	uint8_t sig[REPORT_SIG_MAX], *proofs[3];
	size_t siglen, plens[3];
	assert_int_equal(report_signer_seal(signer, rp, lens3, 3, sig, &siglen,
	                     proofs, plens),
	    HD_OK);
	size_t n =
	    unhex("080210031a206084b12e1fe42a93a901da0115390747ef37fae390"
	          "8bf235c7c4ae156814d25422200c9cdfc70aefd7005de1a18a12"
	          "9256f7e18624ba83d0c8da48d5f580baeb983d",
	        want);
	assert_int_equal(plens[2], n);
	assert_memory_equal(proofs[2], want, n);
	/* The root message: domain, size 3, root. */
	merkle_hash root;
	unhex(
	    "0c9cdfc70aefd7005de1a18a129256f7e18624ba83d0c8da48d5f580baeb983d",
	    root);
	uint8_t msg[REPORT_ROOT_MSG_LEN];
	report_root_message(3, root, msg);
	n = unhex("68656475692d7265706f72742d726f6f742d76310a000000000000000"
	          "30c9cdfc70aefd7005de1a18a129256f7e18624ba83d0c8da48d5f580ba"
	          "eb983d",
	    want);
	assert_int_equal(n, sizeof msg);
	assert_memory_equal(msg, want, n);
	for (int i = 0; i < 3; i++)
		free(proofs[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(groups_of_every_size_verify),
	    cmocka_unit_test(root_message_bytes),
	    cmocka_unit_test(worked_example),
	    cmocka_unit_test(tamper_kinds),
	    cmocka_unit_test(every_bit_of_a_saved_report),
	    cmocka_unit_test(single_signatures_still_verify),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
