# SPDX-License-Identifier: MIT
"""hedui's .proto files compiled by Google's protoc for Python, and the
agency signature (proto/hedui/v1/verifier.proto, AgencyAuth) made with
python3-cryptography: what a client we did not write would do.

Used by tests/interop/test_interop.py and tests/fuzz/make-seeds.py.
"""
import hashlib
import importlib
import os
import subprocess
import sys
import tempfile

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
_OUT = None


def load():
    """Compiles proto/hedui/v1/*.proto into a temporary directory (once)
    and returns a namespace with the rpc, health, verifier, source and
    consent, policy and stats modules."""
    global _OUT
    if _OUT is None:
        _OUT = tempfile.mkdtemp(prefix="hedui-pb-")
        protos = sorted(
            os.path.join("hedui", "v1", f)
            for f in os.listdir(os.path.join(SRC, "proto", "hedui", "v1"))
            if f.endswith(".proto"))
        subprocess.run(["protoc", "--proto_path=" + os.path.join(SRC, "proto"),
                        "--python_out=" + _OUT] + protos, check=True)
        sys.path.insert(0, _OUT)

    class NS:
        pass
    ns = NS()
    for name in ("rpc", "health", "verifier", "source", "consent", "policy",
                 "stats"):
        setattr(ns, name, importlib.import_module("hedui.v1.%s_pb2" % name))
    return ns


def sig_input(method, request_id, timestamp_ms, body, operator_id=""):
    """The AgencyAuth signing input, version 2: operator_id is the
    operator-id metadata sent with the request ("" when none is)."""
    return ("hedui-agency-sig-v2\n%s\n%s\n%s\n%d\n%s" % (
        method, request_id, operator_id, timestamp_ms,
        hashlib.sha256(body).hexdigest())).encode()


def sign(key_pem, method, request_id, timestamp_ms, body, operator_id=""):
    """DER ECDSA P-256/SHA-256 signature over the AgencyAuth signing
    input."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = serialization.load_pem_private_key(key_pem, password=None)
    return key.sign(sig_input(method, request_id, timestamp_ms, body,
                              operator_id),
                    ec.ECDSA(hashes.SHA256()))


def malleate(der_sig):
    """The other valid ECDSA signature over the same input: (r, n - s)."""
    from cryptography.hazmat.primitives.asymmetric.utils import (
        decode_dss_signature, encode_dss_signature)
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    r, s = decode_dss_signature(der_sig)
    return encode_dss_signature(r, n - s)


# --- checking a report offline (docs/REPORT-FORMAT.md) --------------------

ALG_SINGLE = "ecdsa-p256-sha256"
ALG_MERKLE = "merkle-sha256+ecdsa-p256-sha256"
ROOT_DOMAIN = b"hedui-report-root-v1\n"


def merkle_leaf(data):
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def merkle_node(left, right):
    """RFC 6962 node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root_from_path(index, size, leaf, path):
    """The root an audit path leads to from leaf `index` of a tree of
    `size` leaves (RFC 9162, 2.1.3.2); ValueError when it cannot be such
    a path."""
    if index >= size:
        raise ValueError("leaf index past the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if len(p) != 32:
            raise ValueError("a path element is not 32 bytes")
        if sn == 0:
            raise ValueError("path too long")
        if fn & 1 or fn == sn:
            r = merkle_node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = merkle_node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("path too short")
    return r


def verify_report(cert_pem, resp):
    """Checks a VerifyHouseholdResponse's signature over its report with
    the service certificate, in either form; raises on any mismatch
    (cryptography.exceptions.InvalidSignature or ValueError)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    pub = x509.load_pem_x509_certificate(cert_pem).public_key()
    if resp.signature_alg == ALG_SINGLE:
        if resp.HasField("proof"):
            raise ValueError("a proof beside a single signature")
        pub.verify(resp.signature, resp.report, ec.ECDSA(hashes.SHA256()))
        return
    if resp.signature_alg != ALG_MERKLE:
        raise ValueError("unknown signature_alg")
    if not resp.HasField("proof"):
        raise ValueError("no proof")
    p = resp.proof
    if len(p.root) != 32:
        raise ValueError("root is not 32 bytes")
    root = merkle_root_from_path(p.leaf_index, p.tree_size,
                                 merkle_leaf(resp.report), list(p.path))
    if root != p.root:
        raise ValueError("the path does not lead to the signed root")
    msg = ROOT_DOMAIN + p.tree_size.to_bytes(8, "big") + root
    pub.verify(resp.signature, msg, ec.ECDSA(hashes.SHA256()))


def merkle_tree(leaf_hashes):
    """RFC 6962's MTH and every leaf's PATH (recursively, as written
    there): (root, [path of leaf 0, path of leaf 1, ...])."""
    n = len(leaf_hashes)
    if n == 1:
        return leaf_hashes[0], [[]]
    k = 1
    while k * 2 < n:
        k *= 2
    lroot, lpaths = merkle_tree(leaf_hashes[:k])
    rroot, rpaths = merkle_tree(leaf_hashes[k:])
    return (merkle_node(lroot, rroot),
            [p + [rroot] for p in lpaths] + [p + [lroot] for p in rpaths])


def seal(key_pem, reports):
    """What heduid's store does for a commit group: one signature over
    the root message, and each report's proof (leaf_index, tree_size,
    path, root)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = serialization.load_pem_private_key(key_pem, password=None)
    root, paths = merkle_tree([merkle_leaf(r) for r in reports])
    msg = ROOT_DOMAIN + len(reports).to_bytes(8, "big") + root
    sig = key.sign(msg, ec.ECDSA(hashes.SHA256()))
    return sig, root, paths
