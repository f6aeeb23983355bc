#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/.

Run by /usr/bin/python3 (python3-protobuf, python3-cryptography) from the
top of the tree: /usr/bin/python3 tests/fuzz/make-seeds.py. The seeds are
committed; run it again after changing a .proto file. Signed requests use
the committed test PKI (tests/fuzz/pki) and the fuzz targets' fixed clock
(FUZZ_NOW_MS in tests/fuzz/fuzz_auth.h), so that they pass the signature
check there.
"""
import hashlib
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
import hedui_proto  # noqa: E402

FUZZ_NOW_MS = 1800000000000
REQUEST_ID = "fuzz-1"
VERIFY = "hedui.v1.Verifier/VerifyHousehold"
GET_REPORT = "hedui.v1.Verifier/GetReport"
IDS = ["11010519491231002X", "110105195001010012", "110105201001010010"]

pb = hedui_proto.load()
# HEDUI_SEEDS_ONLY=t1,t2 writes those corpora alone: the others' signed
# seeds would change with every run (ECDSA signatures are randomised).
only = [t for t in os.environ.get("HEDUI_SEEDS_ONLY", "").split(",") if t]
CERT = open(os.path.join(HERE, "pki", "agency-330106.crt"), "rb").read()
KEY = open(os.path.join(HERE, "pki", "agency-330106.key"), "rb").read()
corpus = {}


def add(target, data):
    corpus.setdefault(target, []).append(bytes(data))


def auth(method, body, ts=FUZZ_NOW_MS, request_id=REQUEST_ID):
    a = pb.verifier.AgencyAuth()
    a.certificate = CERT
    a.timestamp_ms = ts
    a.signature = hedui_proto.sign(KEY, method, request_id, ts, body)
    return a


def envelope(method, payload=b"", request_id=REQUEST_ID, timeout=100,
             metadata=()):
    e = pb.rpc.RpcRequest()
    e.method = method
    e.request_id = request_id
    if timeout is not None:
        e.timeout.ms = timeout
    for k, v in metadata:
        m = e.metadata.add()
        m.key, m.value = k, v
    e.payload = payload
    return e.SerializeToString()


def household(region="330106", ids=("330106197803150013",)):
    h = pb.verifier.Household()
    h.case_id = "330106-2026-000123"
    h.request_id = ""
    h.region_code = region
    h.area = "urban"
    h.program = "dibao"
    h.as_of = "2027-01-15"
    for i, idn in enumerate(ids):
        m = h.members.add()
        m.id_number = idn
        m.name = "张三"
        m.relation = "applicant" if i == 0 else "child"
        m.consent_ref = "SQ-%d" % i
    return h.SerializeToString()


# --- requests ---------------------------------------------------------
hc = [pb.health.HealthCheckRequest(service=s).SerializeToString()
      for s in ("", "hedui.v1.Verifier", "hedui.v1.Health", "nope")]
for p in hc:
    add("health", p)
add("reflection", b"")
add("reflection", pb.health.ListMethodsRequest().SerializeToString() + b"\x08\x01")
echo = [
    pb.health.EchoRequest(data=b"hello").SerializeToString(),
    pb.health.EchoRequest(data=b"").SerializeToString(),
    pb.health.EchoRequest(data=b"x" * 300, sleep_ms=5).SerializeToString(),
    pb.health.EchoRequest(fail_code=5, fail_message="not here").SerializeToString(),
    pb.health.EchoRequest(fail_code=3, fail_message="é" * 120).SerializeToString(),
]
for p in echo:
    add("echo", p)
lk = []
for ids in (IDS[:1], IDS, ["330106198003151231", "330106198207081247"],
            ["11010519491231002x"], ["110105194912310"], ["ＡＢＣ"]):
    r = pb.source.LookupRequest(as_of="2027-01-15", case_ref="c-1")
    r.id_numbers.extend(ids)
    lk.append(r.SerializeToString())
for p in lk:
    add("lookup", p)

vr = []
for region, ids in (("330106", ("330106197803150013",)),
                    ("330106", ("330106197803150013", "33010620120509003X")),
                    ("110105", ("11010519491231002X",))):
    body = household(region, ids)
    r = pb.verifier.VerifyHouseholdRequest(household=body)
    r.auth.CopyFrom(auth(VERIFY, body))
    vr.append(r.SerializeToString())
r = pb.verifier.VerifyHouseholdRequest(household=household())
vr.append(r.SerializeToString())
for p in vr:
    add("verify_request", p)
gr = []
for rid in ("HD-20270115-0011223344556677", ""):
    r = pb.verifier.GetReportRequest(report_id=rid)
    r.auth.CopyFrom(auth(GET_REPORT, rid.encode()))
    gr.append(r.SerializeToString())
for p in gr:
    add("get_report", p)

add("agency_auth", auth(VERIFY, b"fuzz-body").SerializeToString())
a = auth(VERIFY, b"fuzz-body")
a.timestamp_ms = -(2 ** 63)
add("agency_auth", a.SerializeToString())
a.timestamp_ms = 2 ** 63 - 1
add("agency_auth", a.SerializeToString())
a = auth(VERIFY, b"fuzz-body")
a.signature = hedui_proto.malleate(a.signature)
add("agency_auth", a.SerializeToString())

# The same agency, its certificate re-encoded (CR LF, text before it): the
# same identity, as the binding to the connection and the replay cache see
# it.
a = auth(VERIFY, b"fuzz-body")
a.certificate = b"issued to us\r\n" + CERT.replace(b"\n", b"\r\n")
add("agency_auth", a.SerializeToString())

# --- pb_strcheck: selector byte (fuzz_pb_strcheck.c's list), then bytes --
PB_TYPES = ["RpcRequest", "RpcReply", "Household", "VerifyHouseholdRequest",
            "GetReportRequest", "VerifyHouseholdResponse", "Verdict",
            "LookupRequest", "BankLookupResponse", "TaxLookupResponse",
            "PropertyLookupResponse", "EchoRequest", "HealthCheckRequest",
            "AgencyAuth", "Consent", "ConsentResponse",
            "ListConsentsResponse"]


def pbsel(name, data):
    return bytes([PB_TYPES.index(name)]) + bytes(data)


nul_hh = household(ids=("330106197803150013\x00junk",))
add("pb_strcheck", pbsel("Household", household()))
add("pb_strcheck", pbsel("Household", nul_hh))
add("pb_strcheck", pbsel("VerifyHouseholdRequest", vr[0]))
add("pb_strcheck", pbsel("LookupRequest", lk[1]))
add("pb_strcheck", pbsel("GetReportRequest", gr[0]))

# --- envelopes: every method, and a few broken ones --------------------
envs = [
    envelope("hedui.v1.Health/Check", hc[0]),
    envelope("/hedui.v1.Health/Check", hc[1], metadata=[("trace-id", "t1")]),
    envelope("hedui.v1.Reflection/ListMethods"),
    envelope("hedui.v1.Debug/Echo", echo[0], metadata=[("operator-id", "op")]),
    envelope("hedui.v1.Debug/Echo", echo[3]),
    envelope("hedui.v1.BankSource/Lookup", lk[1]),
    envelope(VERIFY, vr[0]),
    envelope(GET_REPORT, gr[0]),
    envelope("hedui.v1.Nope/Nothing"),
    envelope("hedui.v1.Health/Check", hc[0], timeout=0),
    envelope("hedui.v1.Health/Check", hc[0], timeout=None),
    envelope("hedui.v1.Health/Check", b"\xff\xff"),
]
for e in envs:
    add("envelope", e)
    add("dispatch", e)
rep = pb.rpc.RpcReply(request_id="r1", payload=b"\x08\x01")
rep.status.code = 5
rep.status.message = "not found"
add("envelope", rep.SerializeToString())
add("pb_strcheck", pbsel("RpcRequest", envs[3]))
add("pb_strcheck", pbsel("RpcReply", rep.SerializeToString()))

# --- files ------------------------------------------------------------
SRC = hedui_proto.SRC
for path in ("examples/household-dibao.json",):
    add("household_json", open(os.path.join(SRC, path), "rb").read())
add("household_json", json.dumps({
    "case_id": "c1", "region_code": "110105", "area": "rural",
    "program": "tekun", "as_of": "2027-01-15",
    "members": [{"id_number": "11010519491231002x", "name": "王",
                 "relation": "applicant", "consent_ref": "s",
                 "severe_disability": True}]}).encode())
add("household_json", b'{"case_id": 1}')
# The monitoring roster (hedui monitor) and its results file.
ROSTER_LINE = json.dumps({
    "case_id": "110105-2026-000001", "region_code": "110105",
    "area": "urban", "as_of": "2026-11-01",
    "members": [{"id_number": "11010519491231002X", "name": "张三",
                 "relation": "applicant", "consent_ref": "SQ-1"}],
    "enrollment": {"program": "dibao", "category": "dibao",
                   "monthly_benefit_fen": 50000, "since": "2024-01-01"}},
    ensure_ascii=False).encode()
add("roster", ROSTER_LINE + b"\n")
add("roster", b"\xef\xbb\xbf" + ROSTER_LINE + b"\r\n\n" + ROSTER_LINE)
add("roster", ROSTER_LINE.replace(b'"dibao", "since"', b'"tekun", "since"')
    + b"\n{}\n[1]\n")
MON_HEADER = (b'{"hedui_monitor":1,"run_id":"20261101-abcdef","as_of":'
              b'"2026-11-01","roster_households":3,"roster_last_line":4,'
              b'"roster_sha256":"' + b"ab" * 32 + b'","agency_sha256":"'
              + b"01" * 32 + b'","started_at":"2026-11-01T00:00:00Z"}\n')
MON_RECORD = (b'{"line":2,"request_id":"m-20261101-abcdef-2-0123456789ab",'
              b'"county":"110105","case_id":"110105-2026-000001",'
              b'"applicant":"110105********002X","household_size":1,'
              b'"enrolled":{"program":"dibao","category":"dibao",'
              b'"monthly_benefit_fen":50000,"since":"2024-01-01"},'
              b'"class":"benefit_changed","verdict":{"report_id":"HD-1",'
              b'"conclusion":"meets","category":"dibao",'
              b'"estimated_monthly_benefit_fen":60000,'
              b'"gradual_exit_months":0,"reasons":[]}}\n')
MON_REFUSED = (b'{"line":4,"request_id":"m-20261101-abcdef-4-0123456789ab",'
               b'"county":"","case_id":"","applicant":"******************",'
               b'"household_size":1,"enrolled":{"program":"tekun",'
               b'"category":"tekun","monthly_benefit_fen":0,"since":'
               b'"2024-01-01"},"class":"refused","refused":{"code":'
               b'"PERMISSION_DENIED","message":"outside","by":"heduid"}}\n')
add("monitor_results", MON_HEADER)
add("monitor_results", MON_HEADER + MON_RECORD + MON_REFUSED)
add("monitor_results", MON_HEADER + MON_RECORD + MON_RECORD[:40])
add("monitor_results", MON_HEADER[:30])
add("monitor_results", MON_HEADER + MON_RECORD[:-2]
    + b',"consent_expires":"2026-12-20"}\n')
add("policy_file", open(os.path.join(SRC, "etc/policy.json"), "rb").read())
add("policy_file", b'{"regions": {}}')
# Dated sets: a list with an undated first set and an until that stops,
# a lone dated object, and the refusals (overlap, gap, order).
add("policy_file", json.dumps({"regions": {
    "33": [{"tekun_bps": 13500},
           {"from": "2024-01-01", "until": "2024-12-31", "tekun_bps": 14000},
           {"from": "2025-01-01", "until": "2025-06-30",
            "dibao_standard_fen": {"urban": 130000}}],
    "3301": {"from": "2024-07-01", "max_residences": 2},
    "330106": [{"from": "2024-02-29", "allow_non_residential": True},
               {"from": "2024-03-01", "vehicle_exempt_kinds": []}]}}).encode())
add("policy_file", b'{"regions": {"11": [{"from": "2024-07-01"}, '
                   b'{"from": "2024-07-01"}]}}')
add("policy_file", b'{"regions": {"11": [{"from": "2023-07-01", '
                   b'"until": "2024-06-29"}, {"from": "2024-07-01"}]}}')
add("policy_file", b'{"regions": {"11": [{"from": "2024-07-01"}, '
                   b'{"from": "2023-07-01"}]}}')
add("fixtures", open(os.path.join(SRC, "tests/fixtures/households.json"),
                     "rb").read())
add("fixtures", json.dumps({"persons": [{
    "id_number": IDS[0], "tax": {"wage_income_fen": 1},
    "bank": {"accounts": [{"kind": "deposit", "balance_fen": 5}]},
    "faults": {"bank": "unavailable"}}]}).encode())
for s in (b"11010519491231002X", b"11010519491231002x", b"110105194912310",
          b"11010519491231002X\x002027-01-15", b"110105202701150010\x002026-01-01",
          b"11010519490230002X", "１１０１０５１９４９１２３１００２Ｘ".encode()):
    add("idnum", s)

# --- source replies: selector byte, then the response -----------------
for sel, kind in ((0, "Bank"), (1, "Tax"), (2, "Property")):
    resp = getattr(pb.source, kind + "LookupResponse")()
    for i, idn in enumerate(IDS):
        f = resp.persons.add()
        f.person.id_number = idn
        f.person.found = i != 2
        if kind == "Bank":
            a = f.accounts.add()
            a.kind, a.balance_fen = "deposit", 120000
        elif kind == "Tax":
            f.wage_income_fen = 1200000
            b = f.businesses.add()
            b.status, b.registered_capital_fen = "active", 100000
        else:
            r = f.real_estate.add()
            r.usage, r.area_centi_m2, r.share_bps = "residential", 8000, 5000
            v = f.vehicles.add()
            v.kind, v.value_fen = "car", 3000000
    add("fanout_reply", bytes([sel]) + resp.SerializeToString())
    add("pb_strcheck", pbsel(kind + "LookupResponse",
                             resp.SerializeToString()))
    resp.persons[0].person.status.code = 14
    add("fanout_reply", bytes([sel]) + resp.SerializeToString())

# --- what the CLI prints: a service's VerifyHouseholdResponse ----------
def verdict_response(text="ok", masked="330106********0013"):
    v = pb.verifier.Verdict(
        report_id="HD-20270115-0011223344556677", case_id=text,
        program="dibao", conclusion="needs_review", category="dibao",
        household_size=1, monthly_income_fen=123456,
        per_capita_monthly_income_fen=-5, financial_assets_fen=2 ** 63 - 1,
        policy_version="pv1-0", generated_at="2027-01-15T08:00:00Z",
        region_code="330106", area="urban", as_of="2027-01-15",
        agency=text, request_id=text, standard_fen=145000)
    v.single_person_members.append(masked)
    r = v.reasons.add()
    r.code, r.detail = "SOURCE_INCOMPLETE", text
    s = v.sources.add()
    s.source, s.status = "bank", "failed"
    s.failed_members.append(masked)
    m = v.members.add()
    m.id_number_masked, m.counted_monthly_income_fen, m.age = masked, 1, 40
    resp = pb.verifier.VerifyHouseholdResponse(
        report=v.SerializeToString(), signature=b"\x30\x06\x02\x01\x01\x02\x01\x01",
        signature_alg="ecdsa-p256-sha256")
    resp.verdict.CopyFrom(v)
    return resp.SerializeToString()


add("cli_verdict", verdict_response())
add("cli_verdict", verdict_response("\x1b]0;title\x07\x1b[2J\r\n",
                                    "\x1b[31m0106****\x1b[0mX"))
add("cli_verdict", verdict_response("330106197803150013 \u5f20\u4e09"))
add("pb_strcheck", pbsel("VerifyHouseholdResponse", verdict_response()))

# --- batches: HouseholdBatch inside VerifyBatchRequest, signed over it --
BATCH = "hedui.v1.Verifier/VerifyBatch"


def batch_request(households, method=BATCH, signed=True):
    b = pb.verifier.HouseholdBatch()
    for h in households:
        b.households.append(h)
    body = b.SerializeToString()
    r = pb.verifier.VerifyBatchRequest(batch=body)
    if signed:
        r.auth.CopyFrom(auth(method, body))
    return r.SerializeToString()


def with_rid(hh, rid):
    h = pb.verifier.Household.FromString(hh)
    h.request_id = rid
    return h.SerializeToString()


vb = [
    batch_request([with_rid(household(), "b-1")]),
    batch_request([with_rid(household(), "b-1"),
                   with_rid(household("330106", ("330106197803150013",
                                                 "33010620120509003X")),
                            "b-2"),
                   household(),
                   with_rid(household("110105", ("11010519491231002X",)),
                            "b-4"),
                   b"\x0a\x50x",
                   with_rid(nul_hh, "b-6")]),
    batch_request([]),
    batch_request([with_rid(household(), "b-1")], method=VERIFY),
    batch_request([with_rid(household(), "b-1")], signed=False),
]
for p in vb:
    add("verify_batch", p)
add("dispatch", envelope(BATCH, vb[1]))

# --- saved reports: a sealed group of three, and one signed alone ------
SVC_KEY = open(os.path.join(HERE, "pki", "heduid.key"), "rb").read()
reports = []
for i in range(3):
    v = pb.verifier.Verdict(report_id="HD-20270115-00112233445566%02x" % i,
                            case_id="c-%d" % i, conclusion="meets",
                            request_id="b-%d" % i, household_size=1)
    reports.append(v.SerializeToString())
sig, root, paths = hedui_proto.seal(SVC_KEY, reports)
for i, rep in enumerate(reports):
    resp = pb.verifier.VerifyHouseholdResponse(
        report=rep, signature=sig, signature_alg=hedui_proto.ALG_MERKLE)
    resp.proof.leaf_index = i
    resp.proof.tree_size = len(reports)
    resp.proof.path.extend(paths[i])
    resp.proof.root = root
    add("report_proof", resp.SerializeToString())


def single_sig(data):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    k = serialization.load_pem_private_key(SVC_KEY, password=None)
    return k.sign(data, ec.ECDSA(hashes.SHA256()))


add("report_proof", pb.verifier.VerifyHouseholdResponse(
    report=reports[0], signature=single_sig(reports[0]),
    signature_alg=hedui_proto.ALG_SINGLE).SerializeToString())

# --- the consent registry: the Consents methods and the CLI's file ------
CONSENT_METHODS = ["RegisterConsent", "RevokeConsent", "GetConsent",
                   "ListConsents"]


def consent_msg(number="SQ-330106-2026-0001", region="330106"):
    c = pb.consent.Consent(number=number, region_code=region,
                           signed_on="2026-10-20", valid_from="2026-10-20",
                           valid_until="2027-10-19", form_sha256="ab" * 32)
    c.programs.extend(["dibao", "marginal"])
    c.sources.extend(["bank", "tax", "property"])
    m = c.members.add()
    m.id_number, m.signed_by = "330106197803150013", "self"
    m = c.members.add()
    m.id_number, m.signed_by = "33010620120509003X", "guardian"
    m.guardian_id_number = "330106197803150013"
    m.guardian_relation, m.guardian_basis = "parent", "minor"
    return c.SerializeToString()


consent_bodies = [
    ("RegisterConsent", consent_msg()),
    ("RegisterConsent", consent_msg("SQ-BJ-1", "110105")),
    ("RevokeConsent", pb.consent.ConsentRevocation(
        number="SQ-330106-2026-0001", region_code="330106",
        reason="withdrawn in writing").SerializeToString()),
    ("GetConsent", pb.consent.ConsentKey(
        number="SQ-330106-2026-0001").SerializeToString()),
    ("ListConsents", pb.consent.ConsentQuery(
        member_id_number="330106197803150013").SerializeToString()),
    ("ListConsents", pb.consent.ConsentQuery(
        expiring_before="2027-02-01", region_prefix="3301", limit=5,
        page_token="330106SQ-1").SerializeToString()),
]
for method, body in consent_bodies:
    r = pb.consent.RegisterConsentRequest(consent=body)
    r.auth.CopyFrom(auth("hedui.v1.Consents/" + method, body))
    add("consent_request",
        bytes([CONSENT_METHODS.index(method)]) + r.SerializeToString())
add("consent_request", b"\x00" + pb.consent.RegisterConsentRequest(
    consent=consent_msg()).SerializeToString())
# Stats/Query: the agency's own prefix, a sub-prefix, another's prefix,
# a period too long, dates that are not dates; and one unsigned.
STATS = "hedui.v1.Stats/Query"
for frm, to, prefix in [("2027-01-01", "2027-01-31", ""),
                        ("2026-02-03", "2027-01-15", "330106"),
                        ("2026-01-01", "2027-01-15", "33"),
                        ("2026-01-01", "2026-12-31", "3301"),
                        ("2027-02-30", "2027-03-01", "330106"),
                        ("2027-01-15", "2027-01-01", "")]:
    body = pb.stats.StatsQuery(**{"from": frm, "to": to,
                                  "region_prefix": prefix}).SerializeToString()
    r = pb.stats.StatsRequest(query=body)
    r.auth.CopyFrom(auth(STATS, body))
    add("stats_request", r.SerializeToString())
add("stats_request", pb.stats.StatsRequest(
    query=pb.stats.StatsQuery(to="2027-01-15").SerializeToString())
    .SerializeToString())
add("consent_json", open(os.path.join(SRC, "examples/consents-dibao.json"),
                         "rb").read())
add("consent_json", json.dumps({
    "number": "SQ-1", "region_code": "110105", "signed_on": "2026-10-20",
    "valid_from": "2026-10-20", "valid_until": "2031-10-19",
    "programs": ["tekun"], "sources": ["bank"], "form_sha256": "AB" * 32,
    "members": [{"id_number": "11010519491231002x", "signed_by": "guardian",
                 "guardian_id_number": "110105195001010012",
                 "guardian_relation": "child",
                 "guardian_basis": "incapacity"}]}).encode())
add("consent_json", b'[{"members": [{"name": 1}]}]')
# --- hedui.v1.Policy/Show: the request, and the answer the CLI prints ---
for region, as_of in (("110105", "2024-06-30"), ("110105", ""),
                      ("330106", "2024-07-01"), ("1101", "2024-07-01"),
                      ("110105", "2024-02-30")):
    add("show_policy", pb.policy.ShowPolicyRequest(
        region_code=region, as_of=as_of).SerializeToString())


def policy_response(text="11@2024-07-01"):
    r = pb.policy.ShowPolicyResponse(
        region_code="110105", as_of="2024-07-01",
        policy_version="pv1-0123456789abcdef,file:none," + text,
        file_sha256="")
    for name, value, source in (
            ("dibao_standard_fen.urban", "145000", text),
            ("marginal_bps", "15000", "default"),
            ("max_residential_area_per_capita_centi_m2", "4000", text),
            ("vehicle_exempt_kinds", "", text),
            ("tekun_bps", "-12", text)):
        r.values.add(name=name, value=value, source=source)
    s = r.sets.add(name=text, builtin=True, key="11", index=-1,
                   **{"from": "2024-07-01"}, until="", ends="",
                   in_force=True)
    s.names.append("dibao_standard_fen.urban")
    return r.SerializeToString()


add("cli_policy", policy_response())
add("cli_policy", policy_response("\x1b]0;title\x07\x1b[2J\r\n\u009b31m"))

# --- regression inputs: what the bugs of docs/ATTACKS.md looked like ----
regress = {}


def reg(target, name, data):
    regress.setdefault(target, []).append((name, bytes(data)))


a = auth(VERIFY, b"fuzz-body", ts=-(2 ** 63))
reg("agency_auth", "timestamp-int64-min", a.SerializeToString())
a = auth(VERIFY, b"fuzz-body", ts=2 ** 63 - 1)
reg("agency_auth", "timestamp-int64-max", a.SerializeToString())
reg("agency_auth", "signed-ok-then-malleated",
    auth(VERIFY, b"fuzz-body").SerializeToString())


def raw_env(method, request_id, payload=b""):
    out = b"\x0a" + bytes([len(method)]) + method
    out += b"\x12" + bytes([len(request_id)]) + request_id
    if payload:
        out += b"\x2a" + bytes([len(payload)]) + payload
    return out


reg("dispatch", "request-id-not-utf8",
    raw_env(b"hedui.v1.Health/Check", b"id-\xff\xfe"))
reg("dispatch", "unknown-method-not-utf8",
    raw_env(b"hedui.v1.No/\xc3\x28\n level=error", b"r"))
reg("dispatch", "request-id-cut-inside-a-character",
    raw_env(b"hedui.v1.Health/Check", "\u5f20".encode() * 22))
reg("echo", "fail-message-not-utf8", b"\x18\x03\x22\x05bad\xff\xfe")
reg("echo", "fail-message-cut-at-200-bytes",
    pb.health.EchoRequest(fail_code=3,
                          fail_message="\u5f20" * 100).SerializeToString())
bad_hh = household() + b"\x0a\x04c\xff\xfe1"
r = pb.verifier.VerifyHouseholdRequest(household=bad_hh)
r.auth.CopyFrom(auth(VERIFY, bad_hh))
reg("verify_request", "case-id-not-utf8", r.SerializeToString())
# A NUL byte inside strings protobuf-c would cut there (issue 12): the ID
# number's first 18 characters are valid on their own.
r = pb.verifier.VerifyHouseholdRequest(household=nul_hh)
r.auth.CopyFrom(auth(VERIFY, nul_hh))
reg("verify_request", "id-number-with-nul", r.SerializeToString())
reg("dispatch", "request-id-with-nul",
    raw_env(b"hedui.v1.Health/Check", b"330106197803150013\x00x"))
r = pb.source.LookupRequest(as_of="2027-01-15", case_ref="c\x001")
r.id_numbers.extend([IDS[0] + "\x00junk"])
reg("lookup", "id-number-with-nul", r.SerializeToString())
reg("pb_strcheck", "name-with-nul",
    pbsel("Household", household() + b"\x4a\x07\x12\x05ab\x00cd"))
a = auth(VERIFY, b"fuzz-body")
a.certificate = CERT.replace(b"\n", b"\r\n") + b"\n"
reg("agency_auth", "signed-ok-certificate-crlf", a.SerializeToString())

# Echo told to drop its connection (drop_connection=2, after unknown
# fields): no answer comes, which the target took for a lost request.
reg("echo", "drop-connection-every-time",
    bytes.fromhex("38fa2145622109722802"))
reg("cli_verdict", "del-in-report-id-json",
    verdict_response("HD\x7f20270115"))
reg("cli_verdict", "c1-csi-in-fields",
    verdict_response("\u009b2J\u009d0;x\u009c", "\u009b31m0106****0013X"))

for target, items in sorted(regress.items()):
    if only and target not in only:
        continue
    d = os.path.join(HERE, "regressions", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in items:
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print("%-16s %d regression inputs" % (target, len(items)))

out = os.path.join(HERE, "corpus")
for target, seeds in sorted(corpus.items()):
    if only and target not in only:
        continue
    d = os.path.join(out, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()
        with open(os.path.join(d, name), "wb") as f:
            f.write(s)
    print("%-16s %d seeds" % (target, len(seeds)))
