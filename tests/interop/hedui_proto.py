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
    policy modules."""
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
    for name in ("rpc", "health", "verifier", "source", "policy"):
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
