# SPDX-License-Identifier: MIT
"""Interop: a Python client we did not write against a running heduid.

Google's protobuf (python3-protobuf) compiled from proto/hedui/v1/*.proto
by protoc, nng through ctypes over Debian's libnng.so.1 (TLS 1.2 via
mbedTLS), agency signatures with python3-cryptography. The cases mirror
gRPC's interop tests where they apply (empty_unary, large_unary,
status_code_and_message, special_status_message, unimplemented_method,
unimplemented_service, timeout_on_sleeping_server, custom_metadata), then
the whole verify flow, a batch, and every report's Merkle proof checked
with hashlib and python3-cryptography alone. Run by tests/interop/check-interop.sh, which starts
the stack and sets HEDUI_INTEROP_URL, HEDUI_CERTS and HEDUI_SRC.
"""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hedui_proto  # noqa: E402
import nng_client  # noqa: E402

URL = os.environ.get("HEDUI_INTEROP_URL")
CERTS = os.environ.get("HEDUI_CERTS", "build/certs")
SRC = os.environ.get("HEDUI_SRC", hedui_proto.SRC)
VERIFY = "hedui.v1.Verifier/VerifyHousehold"
GET_REPORT = "hedui.v1.Verifier/GetReport"
BATCH = "hedui.v1.Verifier/VerifyBatch"

pytestmark = pytest.mark.skipif(URL is None, reason="no HEDUI_INTEROP_URL")

# StatusCode numbers, as gRPC's.
OK, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED = 0, 2, 3, 4
PERMISSION_DENIED, UNIMPLEMENTED, UNAUTHENTICATED = 7, 12, 16


@pytest.fixture(scope="module")
def pb():
    return hedui_proto.load()


@pytest.fixture(scope="module")
def rpc(pb):
    c = nng_client.Client(URL, os.path.join(CERTS, "ca.crt"),
                          os.path.join(CERTS, "cli.crt"),
                          os.path.join(CERTS, "cli.key"))
    yield nng_client.Rpc(c, pb)
    c.close()


def code_of(reply):
    return reply.status.code if reply.HasField("status") else OK


# --- gRPC interop cases ---------------------------------------------------

def test_empty_unary(rpc, pb):
    env, reply, _ = rpc.call("hedui.v1.Debug/Echo", pb.health.EchoRequest())
    assert code_of(reply) == OK
    assert reply.request_id == env.request_id
    resp = pb.health.EchoResponse.FromString(reply.payload)
    assert resp.data == b""


def test_empty_health_check(rpc, pb):
    _, reply, _ = rpc.call("hedui.v1.Health/Check")
    assert code_of(reply) == OK
    resp = pb.health.HealthCheckResponse.FromString(reply.payload)
    assert resp.status == pb.health.HealthCheckResponse.SERVING


def test_health_unknown_service(rpc, pb):
    _, reply, _ = rpc.call("hedui.v1.Health/Check",
                           pb.health.HealthCheckRequest(service="nope.Nope"))
    resp = pb.health.HealthCheckResponse.FromString(reply.payload)
    assert resp.status == pb.health.HealthCheckResponse.SERVICE_UNKNOWN


def test_large_unary(rpc, pb):
    # gRPC's sizes: 271828 bytes out, 314159 back; ours echoes.
    data = bytes(i % 251 for i in range(314159))
    _, reply, _ = rpc.call("hedui.v1.Debug/Echo",
                           pb.health.EchoRequest(data=data))
    assert code_of(reply) == OK
    assert pb.health.EchoResponse.FromString(reply.payload).data == data


def test_status_code_and_message(rpc, pb):
    _, reply, _ = rpc.call("hedui.v1.Debug/Echo", pb.health.EchoRequest(
        fail_code=UNKNOWN, fail_message="test status message"))
    assert code_of(reply) == UNKNOWN
    assert reply.status.message == "test status message"
    assert reply.payload == b""


def test_special_status_message(rpc, pb):
    msg = ("\t\ntest with whitespace\r\nand Unicode BMP \u263a and "
           "non-BMP \U0001f608\t\n")
    _, reply, _ = rpc.call("hedui.v1.Debug/Echo", pb.health.EchoRequest(
        fail_code=UNKNOWN, fail_message=msg))
    assert code_of(reply) == UNKNOWN
    assert reply.status.message == msg


def test_unimplemented_method(rpc):
    _, reply, _ = rpc.call("hedui.v1.Health/UnimplementedCall")
    assert code_of(reply) == UNIMPLEMENTED


def test_unimplemented_service(rpc):
    _, reply, _ = rpc.call(
        "grpc.testing.UnimplementedService/UnimplementedCall")
    assert code_of(reply) == UNIMPLEMENTED
    assert "UnimplementedService" in reply.status.message


def test_timeout_on_sleeping_server(rpc, pb):
    _, reply, secs = rpc.call("hedui.v1.Debug/Echo",
                              pb.health.EchoRequest(sleep_ms=5000),
                              timeout_ms=300)
    assert code_of(reply) == DEADLINE_EXCEEDED
    assert 0.25 <= secs < 2.0


def test_custom_metadata(rpc, pb):
    md = [("x-grpc-test-echo-initial", "test_initial_metadata_value"),
          ("trace-id", "值-\u263a")]
    _, reply, _ = rpc.call("hedui.v1.Debug/Echo",
                           pb.health.EchoRequest(data=b"x"), metadata=md)
    assert code_of(reply) == OK
    resp = pb.health.EchoResponse.FromString(reply.payload)
    assert [(m.key, m.value) for m in resp.metadata] == md


def test_bad_metadata_key(rpc, pb):
    _, reply, _ = rpc.call("hedui.v1.Debug/Echo", pb.health.EchoRequest(),
                           metadata=[("Upper-Case", "v")])
    assert code_of(reply) == INVALID_ARGUMENT


def test_list_methods(rpc, pb):
    _, reply, _ = rpc.call("hedui.v1.Reflection/ListMethods")
    resp = pb.health.ListMethodsResponse.FromString(reply.payload)
    assert VERIFY in resp.methods
    assert "hedui.v1.Health/Check" in resp.methods


def test_policy_show(rpc, pb):
    # Policy/Show from a client we did not write: the built-in Beijing
    # set from its date, the national default the day before.
    for as_of, fen, source in (("2024-07-01", "145000",
                                "builtin:11@2024-07-01"),
                               ("2024-06-30", "100000", "default")):
        req = pb.policy.ShowPolicyRequest(region_code="110105", as_of=as_of)
        _, reply, _ = rpc.call("hedui.v1.Policy/Show", req)
        assert code_of(reply) == OK
        resp = pb.policy.ShowPolicyResponse.FromString(reply.payload)
        assert resp.as_of == as_of
        assert resp.policy_version.startswith("pv1-")
        urban = [v for v in resp.values
                 if v.name == "dibao_standard_fen.urban"][0]
        assert (urban.value, urban.source) == (fen, source)
    req = pb.policy.ShowPolicyRequest(region_code="11", as_of="2024-07-01")
    _, reply, _ = rpc.call("hedui.v1.Policy/Show", req)
    assert code_of(reply) == INVALID_ARGUMENT
    assert "region_code" in reply.status.message


def test_non_utf8_request_id(rpc):
    # Google's Python refuses to build a string field that is not UTF-8:
    # the envelope is written by hand. The reply must still parse with
    # the strict decoder (rpc.send parses it).
    method = b"hedui.v1.Health/Check"
    rid = b"bad-\xff\xfe"
    raw = (b"\x0a" + bytes([len(method)]) + method +
           b"\x12" + bytes([len(rid)]) + rid)
    reply, _ = rpc.send(raw)
    assert code_of(reply) == INVALID_ARGUMENT
    assert "UTF-8" in reply.status.message


def test_garbage_envelope(rpc):
    reply, _ = rpc.send(b"\xff" * 64)
    assert code_of(reply) == INVALID_ARGUMENT


# --- the verify flow --------------------------------------------------------

def agency_files():
    return (open(os.path.join(CERTS, "agency-330106.crt"), "rb").read(),
            open(os.path.join(CERTS, "agency-330106.key"), "rb").read())


def household_bytes(pb):
    with open(os.path.join(SRC, "examples", "household-dibao.json")) as f:
        doc = json.load(f)
    from google.protobuf import json_format
    h = json_format.ParseDict(doc, pb.verifier.Household())
    return h.SerializeToString()


def signed_verify(rpc, pb, body, request_id=None, ts_ms=None,
                  operator_id=None, files=None):
    import time
    cert, key = files or agency_files()
    md = [("operator-id", operator_id)] if operator_id is not None else []
    env = rpc.envelope(VERIFY, request_id=request_id, timeout_ms=10000,
                       metadata=md)
    ts = ts_ms if ts_ms is not None else int(time.time() * 1000)
    req = pb.verifier.VerifyHouseholdRequest(household=body)
    req.auth.certificate = cert
    req.auth.timestamp_ms = ts
    req.auth.signature = hedui_proto.sign(key, VERIFY, env.request_id, ts,
                                          body, operator_id or "")
    env.payload = req.SerializeToString()
    return env, req


CONSENT_REGISTER = "hedui.v1.Consents/RegisterConsent"


def signed_consent(rpc, pb, body):
    """A RegisterConsent call, signed as VerifyHousehold is: over the body
    bytes, with the method's full name."""
    import time
    cert, key = agency_files()
    env = rpc.envelope(CONSENT_REGISTER, timeout_ms=10000)
    ts = int(time.time() * 1000)
    req = pb.consent.RegisterConsentRequest(consent=body)
    req.auth.certificate = cert
    req.auth.timestamp_ms = ts
    req.auth.signature = hedui_proto.sign(key, CONSENT_REGISTER,
                                          env.request_id, ts, body)
    env.payload = req.SerializeToString()
    return env


@pytest.fixture(scope="module", autouse=True)
def consents(rpc, pb):
    """The example household's consents, registered before anything of
    it is verified (the default registry mode)."""
    from google.protobuf import json_format
    with open(os.path.join(SRC, "examples", "consents-dibao.json")) as f:
        docs = json.load(f)
    out = []
    for doc in docs:
        c = json_format.ParseDict(doc, pb.consent.Consent())
        env = signed_consent(rpc, pb, c.SerializeToString())
        reply, _ = rpc.send(env.SerializeToString())
        assert code_of(reply) == OK, reply.status.message
        out.append(pb.consent.ConsentResponse.FromString(reply.payload))
    return out


def test_register_consent(consents, rpc, pb):
    # The child's consent, signed by a parent; ID numbers come back
    # masked, and an answer is not a consent one can register again.
    r = consents[2].record
    assert r.status == "valid"
    m = r.consent.members[0]
    assert m.signed_by == "guardian" and m.guardian_basis == "minor"
    assert m.id_number == "330106********003X"
    assert m.guardian_id_number == "330106********0013"
    env = signed_consent(rpc, pb, consents[2].record.consent.SerializeToString())
    reply, _ = rpc.send(env.SerializeToString())
    # The masked numbers are not a consent: refused, naming the field.
    assert code_of(reply) == INVALID_ARGUMENT
    assert "members[0].id_number" in reply.status.message


@pytest.fixture(scope="module")
def verdict(rpc, pb):
    body = household_bytes(pb)
    env, req = signed_verify(rpc, pb, body)
    reply, _ = rpc.send(env.SerializeToString())
    return env, req, reply


def test_verify_household(verdict, pb):
    env, _, reply = verdict
    assert code_of(reply) == OK, reply.status.message
    assert reply.request_id == env.request_id
    resp = pb.verifier.VerifyHouseholdResponse.FromString(reply.payload)
    v = pb.verifier.Verdict.FromString(resp.report)
    assert v == resp.verdict
    assert v.case_id == "330106-2026-000123"
    assert v.conclusion in ("meets", "does_not_meet", "needs_review")
    assert v.household_size == 3
    assert v.agency == "agency-330106"
    # The consents the members cited, checked in the registry.
    assert list(v.consents) == ["SQ-330106-2026-0001", "SQ-330106-2026-0002",
                                "SQ-330106-2026-0003"]
    assert v.consent_check == "registry"
    # ID numbers only masked.
    for m in v.members:
        assert "****" in m.id_number_masked
    # Signed in the group of reports committed with it: a Merkle proof.
    assert resp.signature_alg == hedui_proto.ALG_MERKLE
    assert resp.HasField("proof")
    assert resp.proof.tree_size >= 1


def service_cert():
    return open(os.path.join(CERTS, "heduid.crt"), "rb").read()


def test_verify_report_signature(verdict, pb):
    """The report's proof and the root's signature, checked with hashlib
    and python3-cryptography alone (docs/REPORT-FORMAT.md); each kind of
    tampering fails."""
    from cryptography.exceptions import InvalidSignature
    _, _, reply = verdict
    resp = pb.verifier.VerifyHouseholdResponse.FromString(reply.payload)
    hedui_proto.verify_report(service_cert(), resp)

    def tampered(change):
        r = pb.verifier.VerifyHouseholdResponse()
        r.CopyFrom(resp)
        change(r)
        with pytest.raises((InvalidSignature, ValueError)):
            hedui_proto.verify_report(service_cert(), r)

    def flip(b, i):
        return b[:i] + bytes([b[i] ^ 1]) + b[i + 1:]

    tampered(lambda r: setattr(r, "report", flip(r.report, 10)))
    tampered(lambda r: setattr(r, "signature", flip(r.signature, 20)))
    tampered(lambda r: setattr(r.proof, "root", flip(r.proof.root, 0)))
    tampered(lambda r: setattr(r.proof, "tree_size", r.proof.tree_size + 1))
    tampered(lambda r: setattr(r.proof, "leaf_index",
                               r.proof.leaf_index + 1))
    tampered(lambda r: r.ClearField("proof"))
    tampered(lambda r: setattr(r, "signature_alg", hedui_proto.ALG_SINGLE))
    if resp.proof.path:
        tampered(lambda r: r.proof.path.__setitem__(
            0, flip(r.proof.path[0], 31)))


def test_verify_batch(rpc, pb):
    """VerifyBatch signed over the batch bytes: each household its own
    outcome in order, every report checked offline with its proof."""
    import time
    h = pb.verifier.Household.FromString(household_bytes(pb))
    batch = pb.verifier.HouseholdBatch()
    stamp = str(int(time.time() * 1000))
    for i in range(3):
        h.request_id = "py-batch-%s-%d" % (stamp, i)
        batch.households.append(h.SerializeToString())
    h.request_id = "py-batch-%s-foreign" % stamp
    h.region_code = "110105"
    batch.households.append(h.SerializeToString())
    body = batch.SerializeToString()
    cert, key = agency_files()
    env = rpc.envelope(BATCH, timeout_ms=20000)
    ts = int(time.time() * 1000)
    req = pb.verifier.VerifyBatchRequest(batch=body)
    req.auth.certificate = cert
    req.auth.timestamp_ms = ts
    req.auth.signature = hedui_proto.sign(key, BATCH, env.request_id, ts,
                                          body)
    env.payload = req.SerializeToString()
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == OK, reply.status.message
    resp = pb.verifier.VerifyBatchResponse.FromString(reply.payload)
    assert len(resp.outcomes) == 4
    for i, o in enumerate(resp.outcomes[:3]):
        assert o.code == OK, o.message
        assert o.request_id == "py-batch-%s-%d" % (stamp, i)
        assert not o.result.HasField("verdict")
        v = pb.verifier.Verdict.FromString(o.result.report)
        assert v.request_id == o.request_id
        hedui_proto.verify_report(service_cert(), o.result)
    assert resp.outcomes[3].code == PERMISSION_DENIED
    # Signed for another method: refused as a whole.
    env = rpc.envelope(BATCH, timeout_ms=20000)
    req.auth.signature = hedui_proto.sign(key, VERIFY, env.request_id, ts,
                                          body)
    env.payload = req.SerializeToString()
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == UNAUTHENTICATED


def test_verify_replay_refused(verdict, rpc, pb):
    env, req, _ = verdict
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == UNAUTHENTICATED
    # The other valid ECDSA signature over the same input is the same
    # request, not a new one.
    req.auth.signature = hedui_proto.malleate(req.auth.signature)
    env.payload = req.SerializeToString()
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == UNAUTHENTICATED
    assert "replayed" in reply.status.message


def test_verify_unsigned(rpc, pb):
    req = pb.verifier.VerifyHouseholdRequest(household=household_bytes(pb))
    _, reply, _ = rpc.call(VERIFY, req)
    assert code_of(reply) == UNAUTHENTICATED


def test_verify_stale_and_extreme_timestamps(rpc, pb):
    body = household_bytes(pb)
    for ts in (0, -(2 ** 63), 2 ** 63 - 1):
        env, _ = signed_verify(rpc, pb, body, ts_ms=ts)
        reply, _ = rpc.send(env.SerializeToString())
        assert code_of(reply) == UNAUTHENTICATED
        assert "timestamp" in reply.status.message


def test_verify_other_region_denied(rpc, pb):
    h = pb.verifier.Household.FromString(household_bytes(pb))
    h.region_code = "110105"
    env, _ = signed_verify(rpc, pb, h.SerializeToString())
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == PERMISSION_DENIED


def test_verify_non_utf8_case_id(rpc, pb):
    # case_id goes back in the verdict: bytes that are not UTF-8 are
    # refused rather than echoed. Field 1 of Household written by hand,
    # last so that it wins.
    body = household_bytes(pb)
    bad = body + b"\x0a\x04c\xff\xfe1"
    env, _ = signed_verify(rpc, pb, bad)
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == INVALID_ARGUMENT


def test_verify_operator_is_signed(rpc, pb):
    # The operator-id is part of the signing input (v2): the audit trail
    # records the operator the agency signed for, and no other.
    h = pb.verifier.Household.FromString(household_bytes(pb))
    h.request_id = "interop-operator-1"
    env, _ = signed_verify(rpc, pb, h.SerializeToString(),
                           operator_id="officer-7")
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == OK, reply.status.message
    h.request_id = "interop-operator-2"
    env, _ = signed_verify(rpc, pb, h.SerializeToString(),
                           operator_id="officer-7")
    env.metadata[0].value = "officer-9"
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == UNAUTHENTICATED
    assert "does not verify" in reply.status.message
    env.metadata[0].value = "officer 7"
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == INVALID_ARGUMENT


def test_verify_reencoded_certificate_is_a_replay(verdict, rpc, pb):
    # The certificate's identity is its DER: CR LF line ends and text
    # before "-----BEGIN" do not make a captured request new.
    env, req, _ = verdict
    pem = req.auth.certificate
    for other in (pem.replace(b"\n", b"\r\n"), b"x\n" + pem, pem + b"\n"):
        req.auth.certificate = other
        env.payload = req.SerializeToString()
        reply, _ = rpc.send(env.SerializeToString())
        assert code_of(reply) == UNAUTHENTICATED
        assert "replayed" in reply.status.message
    req.auth.certificate = pem


def test_verify_signed_by_another_agency(rpc, pb):
    # A signature must be made with the certificate of the TLS
    # connection it comes over.
    other = (open(os.path.join(CERTS, "agency-1101.crt"), "rb").read(),
             open(os.path.join(CERTS, "agency-1101.key"), "rb").read())
    h = pb.verifier.Household.FromString(household_bytes(pb))
    h.region_code = "110105"
    env, _ = signed_verify(rpc, pb, h.SerializeToString(), files=other)
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == UNAUTHENTICATED
    assert "TLS client certificate" in reply.status.message


def test_verify_nul_in_id_number(rpc, pb):
    # protobuf-c would cut the string at the NUL and read a valid ID
    # number; the wire bytes are checked first.
    h = pb.verifier.Household.FromString(household_bytes(pb))
    h.members[0].id_number += "\x00junk"
    h.request_id = "interop-nul-1"
    env, _ = signed_verify(rpc, pb, h.SerializeToString())
    reply, _ = rpc.send(env.SerializeToString())
    assert code_of(reply) == INVALID_ARGUMENT
    assert "members[0].id_number holds a NUL byte" in reply.status.message


def test_get_report(verdict, rpc, pb):
    """OK with the same report once reports are stored; UNIMPLEMENTED
    until then."""
    import time
    _, _, reply = verdict
    resp = pb.verifier.VerifyHouseholdResponse.FromString(reply.payload)
    report_id = resp.verdict.report_id
    cert, key = agency_files()
    env = rpc.envelope(GET_REPORT, timeout_ms=10000)
    ts = int(time.time() * 1000)
    req = pb.verifier.GetReportRequest(report_id=report_id)
    req.auth.certificate = cert
    req.auth.timestamp_ms = ts
    req.auth.signature = hedui_proto.sign(key, GET_REPORT, env.request_id,
                                          ts, report_id.encode())
    env.payload = req.SerializeToString()
    got, _ = rpc.send(env.SerializeToString())
    if code_of(got) == UNIMPLEMENTED:
        pytest.skip("GetReport not implemented yet: " + got.status.message)
    assert code_of(got) == OK, got.status.message
    again = pb.verifier.VerifyHouseholdResponse.FromString(got.payload)
    assert again.report == resp.report
    assert again.signature == resp.signature
    assert again.proof == resp.proof
    hedui_proto.verify_report(service_cert(), again)


def signed_get_report(rpc, pb, report_id):
    import time
    cert, key = agency_files()
    env = rpc.envelope(GET_REPORT, timeout_ms=10000)
    ts = int(time.time() * 1000)
    req = pb.verifier.GetReportRequest(report_id=report_id)
    req.auth.certificate = cert
    req.auth.timestamp_ms = ts
    req.auth.signature = hedui_proto.sign(key, GET_REPORT, env.request_id,
                                          ts, report_id.encode())
    env.payload = req.SerializeToString()
    got, _ = rpc.send(env.SerializeToString())
    return got


def test_get_report_hostile_ids(rpc, pb):
    """Signed, but report ids that are not ours: refused before they reach
    a log line or the audit trail; an unknown one is NOT_FOUND."""
    for rid in ("x level=error event=forged", "HD-1\u202e", "a" * 48):
        got = signed_get_report(rpc, pb, rid)
        if code_of(got) == UNIMPLEMENTED:
            pytest.skip("GetReport not implemented")
        assert code_of(got) == INVALID_ARGUMENT, (rid, got.status.message)
    got = signed_get_report(rpc, pb, "HD-20270115-0000000000000000")
    assert code_of(got) == 5  # NOT_FOUND


def test_still_serving(rpc, pb):
    _, reply, _ = rpc.call("hedui.v1.Health/Check")
    assert code_of(reply) == OK
