#!/usr/bin/python3
"""Peer agreement for Intel DCAP quotes (TDX v4/v5, SGX v3).

Every quote listed in peer-data/tdx/expected.json (which covers tdx/, the
Azure TD quote and the CCEL quote) must decode with `confnode inspect --type
tdx-quote` to the values listed there, and `confnode-verifier check --type
tdx-quote` must verify it as PROVENANCE.md says: under the Intel SGX Root CA
at the times the sources pin (go-tdx-guest: 2023-07-01T01:00Z for the v4
quote, 2026-02-03T01:00Z for the v5 one; the others are checked at
2026-02-03T01:00Z, inside every validity window), and the QVL sample under
its TEST root with the PCK certificate given beside it. Tampered and
out-of-date copies must be rejected with the exact reason codes. The CCEL
quote's RTMRs must equal the replay of its event log.

Usage: tdx-peers.py [--confnode PATH] [--verifier PATH] [--peer-data DIR]
(defaults: $CONFNODE, $CONFNODE_VERIFIER, $PEER_DATA). One line per check;
exits 1 on any disagreement.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

AT_V4 = "2023-07-01T01:00:00Z"
AT_DEFAULT = "2026-02-03T01:00:00Z"
AT_DCAP = "2019-07-01T00:00:00Z"  # inside the QVL sample's CRL and certificate windows
AT_EXPIRED = "2053-07-01T01:00:00Z"
INTEL_ROOT_SHA256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"

HEX_FIELDS = [
    "qe_vendor_id", "tee_tcb_svn", "mrseam", "mrsignerseam", "seam_attributes", "td_attributes", "xfam",
    "mrtd", "mrconfigid", "mrowner", "mrownerconfig", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "report_data",
    "tee_tcb_svn2", "mrservicetd", "mrenclave", "mrsigner",
]
INT_FIELDS = ["version", "att_key_type", "isv_prod_id", "isv_svn", "body_type", "body_size", "sig_data_len"]


class Checks:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, name, ok, why=""):
        self.n += 1
        if ok:
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}: {why}")


def run_json(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    try:
        out = json.loads(p.stdout) if p.stdout.strip() else None
    except json.JSONDecodeError:
        out = None
    return p.returncode, out, p.stderr.strip()


def compare_decode(c, name, got, want):
    bad = []
    for k in HEX_FIELDS + INT_FIELDS:
        if k in want and got.get(k) != want[k]:
            bad.append(f"{k}: {got.get(k)!r} != {want[k]!r}")
    if got.get("tee_type") != want["tee_type"]:
        bad.append(f"tee_type: {got.get('tee_type')!r} != {want['tee_type']!r}")
    cert = got.get("certification_data", {})
    if cert.get("type") != want["cert_data_type"]:
        bad.append(f"certification_data.type {cert.get('type')} != {want['cert_data_type']}")
    if "inner_cert_type" in want:
        inner = cert.get("certification_data", {})
        if inner.get("type") != want["inner_cert_type"]:
            bad.append(f"inner certification_data.type {inner.get('type')} != {want['inner_cert_type']}")
        chain = inner.get("pck_chain", [])
    else:
        chain = cert.get("pck_chain", [])
    if "root_sha256" in want and (not chain or chain[-1]["sha256"] != want["root_sha256"]):
        bad.append("the PCK chain does not end at root " + want["root_sha256"][:16])
    if got.get("size") != want["consumed"]:
        bad.append(f"size {got.get('size')} != consumed {want['consumed']}")
    if got.get("size", 0) + got.get("trailing_bytes", 0) != want["total_len"]:
        bad.append(f"size + trailing_bytes != {want['total_len']}")
    c.check(f"{name}: decodes to the listed values", not bad, "; ".join(bad))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--confnode", default=os.environ.get("CONFNODE"))
    ap.add_argument("--verifier", default=os.environ.get("CONFNODE_VERIFIER"))
    ap.add_argument("--peer-data", default=os.environ.get("PEER_DATA"))
    a = ap.parse_args()
    if not a.confnode or not a.verifier or not a.peer_data:
        ap.error("needs --confnode, --verifier and --peer-data (or CONFNODE, CONFNODE_VERIFIER, PEER_DATA)")
    peer = a.peer_data
    tdx = os.path.join(peer, "tdx")
    expected = json.load(open(os.path.join(tdx, "expected.json")))
    c = Checks()
    work = tempfile.mkdtemp(prefix="tdx-peers-")

    def path(rel):
        return os.path.join(peer, rel)

    def verify(name, quote, want_rc, want_reason, *extra, at=AT_DEFAULT):
        rc, out, err = run_json([a.verifier, "check", "--type", "tdx-quote", quote, "--at", at, *extra])
        reason = out.get("reason") if out else None
        c.check(f"{name}: exit {want_rc}, {want_reason}", rc == want_rc and reason == want_reason,
                f"exit {rc}, reason {reason!r}: {(out or {}).get('detail', err)}")
        return out

    def tampered(rel, offset, op, value=0x01):
        d = bytearray(open(path(rel), "rb").read())
        if op == "xor":
            d[offset] ^= value
        else:
            d[offset] = value
        out = os.path.join(work, "tampered.dat")
        open(out, "wb").write(d)
        return out

    print("== decoding (confnode inspect --type tdx-quote) against tdx/expected.json")
    for rel, want in expected.items():
        rc, got, err = run_json([a.confnode, "inspect", "--type", "tdx-quote", path(rel)])
        if rc != 0 or got is None:
            c.check(f"{rel}: decodes", False, f"exit {rc}: {err}")
            continue
        compare_decode(c, rel, got, want)

    print("== verification as PROVENANCE.md says")
    for rel, want in expected.items():
        if rel == "tdx/dcap-sgx-quote.dat":
            continue
        at = AT_V4 if rel == "tdx/gtg-quote-v4.dat" else AT_DEFAULT
        out = verify(f"{rel} at {at}", path(rel), 0, "ok", at=at)
        if out:
            c.check(f"{rel}: chains to the Intel SGX Root CA", out.get("root_sha256") == INTEL_ROOT_SHA256,
                    out.get("root_sha256", "no root"))
    verify("gtg-quote-v4 with the Intel root and PCK CRLs (DER) at 2023-07-01", path("tdx/gtg-quote-v4.dat"),
           0, "ok", "--root-ca", path("tdx/intel-sgx-root-ca.pem"), "--crl", path("tdx/gtg-rootcrl.der"),
           "--crl", path("tdx/gtg-pckcrl.bin"), at=AT_V4)

    # The QVL sample: certification data type 1 (PPID) carries no chain;
    # its PCK certificate and CA come beside it, under the TEST root.
    pck = os.path.join(work, "dcap-pck.pem")
    with open(pck, "w") as f:
        f.write(open(path("tdx/dcap-sgx-pck-cert.pem")).read())
        f.write(open(path("tdx/dcap-sgx-pck-chain.pem")).read())
    dcap = ["--root-ca", path("tdx/dcap-sgx-root-ca.pem"), "--pck-chain", pck]
    dcap_crls = ["--crl", path("tdx/dcap-sgx-root-ca-crl.pem"), "--crl", path("tdx/dcap-sgx-int-ca-crl.pem")]
    out = verify("dcap-sgx-quote (PPID) with its PCK certificate, TEST root and PEM CRLs", path("tdx/dcap-sgx-quote.dat"),
                 0, "ok", *dcap, *dcap_crls, at=AT_DCAP)
    if out:
        c.check("dcap-sgx-quote: both CRLs applied", out.get("crls") == 2, f"crls {out.get('crls')}")
    verify("dcap-sgx-quote without its PCK certificate", path("tdx/dcap-sgx-quote.dat"), 1, "tdx.unsupported",
           "--root-ca", path("tdx/dcap-sgx-root-ca.pem"), at=AT_DCAP)
    verify("dcap-sgx-quote under the production root", path("tdx/dcap-sgx-quote.dat"), 1, "tdx.root_untrusted",
           "--pck-chain", pck, at=AT_DCAP)

    print("== tampered and out-of-date quotes")
    v4, v5 = "tdx/gtg-quote-v4.dat", "tdx/gtg-quote-v5.dat"
    verify("gtg-quote-v4 at 2053-07-01 (PCK and root expired)", path(v4), 1, "tdx.cert_expired", at=AT_EXPIRED)
    verify("gtg-quote-v5 at 2026-02-03 with the 2023 CRLs (out of date)", path(v5), 1, "tdx.cert_expired",
           "--crl", path("tdx/gtg-rootcrl.der"), "--crl", path("tdx/gtg-pckcrl.bin"))
    verify("gtg-quote-v4 before its PCK certificate was issued", path(v4), 1, "tdx.cert_expired",
           at="2022-01-01T00:00:00Z")
    verify("gtg-quote-v4 under the QVL TEST root (wrong root)", path(v4), 1, "tdx.root_untrusted",
           "--root-ca", path("tdx/dcap-sgx-root-ca.pem"), at=AT_V4)
    for rel, at in ((v4, AT_V4), (v5, AT_DEFAULT), ("tdx/trustee-quote-v4.dat", AT_DEFAULT),
                    ("tdx/trustee-sgx-quote-v3.dat", AT_DEFAULT)):
        q = open(path(rel), "rb").read()
        version = q[0]
        body = 48 + (6 if version == 5 else 0)
        body_size = {3: 384, 4: 584, 5: 648}[version]
        sig = body + body_size + 4
        if version == 3:
            qe = sig + 128
        else:
            qe = sig + 128 + 6
        auth = qe + 384 + 64 + 2
        verify(f"{rel}: one bit of the report body flipped", tampered(rel, body + 200, "xor"), 1, "tdx.signature", at=at)
        verify(f"{rel}: header user_data flipped", tampered(rel, 30, "xor"), 1, "tdx.signature", at=at)
        verify(f"{rel}: QE report flipped", tampered(rel, qe + 10, "xor"), 1, "tdx.qe_report_signature", at=at)
        verify(f"{rel}: QE authentication data tampered", tampered(rel, auth + 3, "xor"), 1, "tdx.qe_binding", at=at)
        verify(f"{rel}: attestation key changed", tampered(rel, sig + 64 + 5, "xor"), 1, "tdx.qe_binding", at=at)
        verify(f"{rel}: quote signature flipped", tampered(rel, sig + 3, "xor"), 1, "tdx.signature", at=at)
        verify(f"{rel}: one byte short", tampered_short(work, path(rel)), 2, "tdx.malformed", at=at)

    # go-tdx-guest TestNegativeVerification, on the same offsets.
    verify("gtg-quote-v4 0x00 -> 3 (a TDX quote as version 3)", tampered(v4, 0x00, "set", 3), 2, "tdx.malformed", at=AT_V4)
    verify("gtg-quote-v4 0x278 -> 0x10 (signature data length)", tampered(v4, 0x278, "set", 0x10), 2, "tdx.malformed", at=AT_V4)
    verify("gtg-quote-v4 0x1343 (PEM armour of the root)", tampered(v4, 0x1343, "xor"), 2, "tdx.malformed", at=AT_V4)
    verify("gtg-quote-v4 0x1329 (the quote's copy of the root)", tampered(v4, 0x1329, "xor"), 1, "tdx.root_untrusted", at=AT_V4)
    verify("gtg-quote-v4 0xF5F (intermediate signature)", tampered(v4, 0xF5F, "xor"), 1, "tdx.cert_chain", at=AT_V4)
    verify("gtg-quote-v4 0xB77 (PCK leaf signature)", tampered(v4, 0xB77, "xor"), 1, "tdx.cert_chain", at=AT_V4)
    verify("gtg-quote-v4 0x1E (header)", tampered(v4, 0x1E, "xor"), 1, "tdx.signature", at=AT_V4)
    verify("gtg-quote-v4 0x3C (body)", tampered(v4, 0x3C, "xor"), 1, "tdx.signature", at=AT_V4)
    verify("gtg-quote-v4 certification data type 6 -> 7", tampered(v4, 632 + 4 + 128, "set", 7), 1, "tdx.unsupported", at=AT_V4)

    print("== the CCEL quote's RTMRs are the replay of its event log")
    rc, log, err = run_json([a.confnode, "inspect", "--type", "ccel", path("eventlog/gtg-ccel.bin")])
    rc2, quote, err2 = run_json([a.confnode, "inspect", "--type", "tdx-quote", path("eventlog/gtg-ccel-quote.dat")])
    if rc == 0 and rc2 == 0:
        bad = [r for r in ("rtmr0", "rtmr1", "rtmr2", "rtmr3") if log.get(r) != quote.get(r)]
        c.check("gtg-ccel.bin replays to the RTMRs of gtg-ccel-quote.dat", not bad, f"differ: {bad}")
    else:
        c.check("gtg-ccel.bin replays to the RTMRs of gtg-ccel-quote.dat", False, err or err2)

    print(f"{c.n - c.failed} passed, {c.failed} failed")
    return 1 if c.failed else 0


def tampered_short(work, p):
    # The quote proper, one byte short (the padding some files have is
    # not part of it).
    d = open(p, "rb").read()
    out = os.path.join(work, "short.dat")
    used = quote_size(d)
    open(out, "wb").write(d[: used - 1])
    return out


def quote_size(d):
    version = d[0]
    body = 48 + (6 if version == 5 else 0) + {3: 384, 4: 584, 5: 648}[version]
    return body + 4 + int.from_bytes(d[body:body + 4], "little")


if __name__ == "__main__":
    sys.exit(main())
