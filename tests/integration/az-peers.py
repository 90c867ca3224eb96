#!/usr/bin/python3
"""Peer agreement for Azure vTPM HCL reports.

Every HCL report listed in peer-data/azure/expected.json must decode with
`confnode inspect --type hcl-report` to the values listed there (header,
runtime-data header, runtime data keys and hash, user-data, the AK's modulus,
and for SNP the embedded report's values), and `confnode-verifier check --type
hcl-report` must find its runtime-data binding intact. Where PROVENANCE.md
says more can be checked, it is: the Trustee SNP report with its VCEK chain,
the Trustee TDX report with its TD quote; the kinvolk SNP report's signature
must NOT verify with kv-certs.pem. The AK the verdict hands on must verify
the vTPM quotes of the same VMs. Tampered copies (Trustee's byte offsets
among them) are rejected with the exact reason codes.

Usage: az-peers.py [--confnode PATH] [--verifier PATH] [--peer-data DIR]
(defaults: $CONFNODE, $CONFNODE_VERIFIER, $PEER_DATA). One line per check;
exits 1 on any disagreement.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

AT_TDX = "2026-02-03T01:00:00Z"
AT_SNP = "2026-02-03T01:00:00Z"


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

    def eq(label, g, w):
        if g != w:
            bad.append(f"{label}: {g!r} != {w!r}")

    eq("signature", got.get("signature"), want["hcl_sig"])
    eq("version", got.get("version"), want["hcl_version"])
    eq("report_size", got.get("report_size"), want["report_size"])
    eq("request_type", got.get("request_type"), want["request_type"])
    eq("report_type", got.get("report_type"), want["hw_report_type"])
    eq("hash_type", got.get("hash_type"), want["hash_type"])
    eq("runtime_data_size", got.get("runtime_data_size"), want["var_data_size"])
    eq("runtime_data keys", list(got.get("runtime_data", {}).keys()), want["var_data_keys"])
    eq("runtime_data_hash", got.get("runtime_data_hash"), want["var_data_sha256"])
    eq("user-data", got.get("runtime_data", {}).get("user-data"), want["user_data"])
    n = got.get("ak", {}).get("jwk", {}).get("n", "")
    eq("HCLAkPub n", n[:24] + "...", want["HCLAkPub_n_prefix"])
    if want["hw_report_type"] == 2:
        snp = got.get("snp_report", {})
        eq("snp version", snp.get("version"), want["snp_report_version"])
        eq("snp measurement", snp.get("measurement"), want["snp_measurement"])
        eq("snp report_data", snp.get("report_data"), want["snp_report_data"])
        eq("snp policy", snp.get("policy", {}).get("raw"), want["snp_policy"])
        eq("snp chip_id", snp.get("chip_id"), want["snp_chip_id"])
        tcb = snp.get("reported_tcb", {})
        eq("snp reported_tcb", {"bl": tcb.get("bootloader"), "tee": tcb.get("tee"), "snp": tcb.get("snp"),
                                "ucode": tcb.get("microcode")}, want["snp_reported_tcb"])
        report_data = snp.get("report_data", "")
    else:
        report_data = got.get("td_report", {}).get("report_data", "")
    eq("report_data[0:32] is the runtime data's SHA-256", report_data[:64], want["var_data_sha256"])
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
    az = os.path.join(peer, "azure")
    expected = json.load(open(os.path.join(az, "expected.json")))
    c = Checks()
    work = tempfile.mkdtemp(prefix="az-peers-")

    def path(rel):
        return os.path.join(peer, rel)

    def check(name, report, want_rc, want_reason, *extra, at=AT_SNP):
        rc, out, err = run_json([a.verifier, "check", "--type", "hcl-report", report, "--at", at, *extra])
        reason = out.get("reason") if out else None
        c.check(f"{name}: exit {want_rc}, {want_reason}", rc == want_rc and reason == want_reason,
                f"exit {rc}, reason {reason!r}: {(out or {}).get('detail', err)}")
        return out

    def tampered(rel, offset, op, value=1):
        d = bytearray(open(path(rel), "rb").read())
        if op == "add":
            d[offset] = (d[offset] + value) & 0xff
        elif op == "xor":
            d[offset] ^= value
        else:
            d[offset] = value
        out = os.path.join(work, "tampered.bin")
        open(out, "wb").write(d)
        return out

    print("== decoding (confnode inspect --type hcl-report) against azure/expected.json")
    for rel, want in expected.items():
        rc, got, err = run_json([a.confnode, "inspect", "--type", "hcl-report", path(rel)])
        if rc != 0 or got is None:
            c.check(f"{rel}: decodes", False, f"exit {rc}: {err}")
            continue
        compare_decode(c, rel, got, want)

    print("== runtime-data binding and TEE reports as PROVENANCE.md says")
    verdicts = {}
    for rel in expected:
        out = check(f"{rel}: binding only", path(rel), 0, "ok")
        if out:
            c.check(f"{rel}: the verdict says the TEE report went unchecked",
                    out["checked"] == {"tee_report": False, "td_quote_match": False, "runtime_data_binding": True}
                    and "note" in out, json.dumps(out.get("checked")))
    verdicts["azsnp"] = check("azsnp-hcl-report with its VCEK chain", path("azure/azsnp-hcl-report.bin"), 0, "ok",
                              "--certs", path("azure/azsnp-vcek.pem"))
    check("azsnp-hcl-report with the VCEK chain, ARK pinned", path("azure/azsnp-hcl-report.bin"), 0, "ok",
          "--certs", path("azure/azsnp-vcek.pem"), "--trust-ark", path("snp/milan-ask-ark.pem"))
    check("kv-hcl-report-snp with kv-certs.pem (signature not asserted, does not verify)",
          path("azure/kv-hcl-report-snp.bin"), 1, "snp.signature", "--certs", path("azure/kv-certs.pem"))
    verdicts["aztdx"] = check("aztdx-hcl-report with its TD quote", path("azure/aztdx-hcl-report.bin"), 0, "ok",
                              "--td-quote", path("azure/aztdx-td-quote.bin"), at=AT_TDX)
    if verdicts["aztdx"]:
        c.check("aztdx: the TD quote chains to the Intel SGX Root CA",
                verdicts["aztdx"].get("root_sha256", "").startswith("44a0196b2b99f889"), verdicts["aztdx"].get("root_sha256"))

    print("== the AK the verdict hands on verifies the vTPM quotes")
    for tee in ("azsnp", "aztdx"):
        out = verdicts.get(tee)
        if not out or "ak_pem" not in out:
            c.check(f"{tee}: vTPM quote with the verdict's AK", False, "no ak_pem in the verdict")
            continue
        q = json.load(open(path(f"azure/{tee}-tpm-quote-v1.json")))
        files = {}
        for name, data in (("ak.pem", out["ak_pem"].encode()), ("attest", bytes.fromhex(q["message"])),
                           ("sig", bytes.fromhex(q["signature"])),
                           ("pcrs.json", json.dumps({"sha256": {str(i): v for i, v in enumerate(q["pcrs"])}}).encode())):
            files[name] = os.path.join(work, f"{tee}.{name}")
            open(files[name], "wb").write(data)
        rc, tout, err = run_json([a.verifier, "check", "--type", "tpm-quote", files["attest"], "--sig", files["sig"],
                                  "--ak", files["ak.pem"], "--nonce", "6368616c6c656e6765", "--pcrs", files["pcrs.json"]])
        c.check(f"{tee}: vTPM quote verifies with the verdict's AK, nonce 'challenge', 24 PCRs",
                rc == 0 and tout and tout.get("reason") == "ok", f"exit {rc}: {(tout or {}).get('detail', err)}")

    print("== tampered reports")
    snp, tdx = "azure/azsnp-hcl-report.bin", "azure/aztdx-hcl-report.bin"
    vcek = ["--certs", path("azure/azsnp-vcek.pem")]
    # Trustee az_snp_vtpm: 0x6e0 + 1 is in the runtime data.
    check("azsnp byte 0x6e0 + 1 (runtime data)", tampered(snp, 0x6E0, "add"), 1, "az.runtime_data_binding", *vcek)
    check("azsnp byte 0x6e0 + 1, binding only", tampered(snp, 0x6E0, "add"), 1, "az.runtime_data_binding")
    # 0x1a6 = 0 is in the SNP report (reported TCB): its signature breaks.
    check("azsnp byte 0x1a6 = 0 (SNP report)", tampered(snp, 0x1A6, "set", 0), 1, "snp.signature", *vcek)
    check("azsnp SNP report_data flipped", tampered(snp, 0x20 + 0x50, "xor"), 1, "snp.signature", *vcek)
    check("azsnp SNP report_data flipped, binding only", tampered(snp, 0x20 + 0x50, "xor"), 1, "az.runtime_data_binding")
    # 0x540 = 0 puts a NUL into the JSON: no AK can be read.
    check("azsnp byte 0x540 = 0 (inside the JSON)", tampered(snp, 0x540, "set", 0), 2, "az.malformed")
    check("azsnp signature 'HCLA' damaged", tampered(snp, 0, "xor"), 2, "az.malformed")
    check("azsnp runtime_data_size + 1", tampered(snp, 0x4D0, "add"), 2, "az.malformed")
    check("azsnp hash type 7", tampered(snp, 0x4CC, "set", 7), 1, "az.unsupported")
    # Trustee az_tdx_vtpm: 0x880 + 1 is in the runtime data.
    check("aztdx byte 0x880 + 1 (runtime data) with the TD quote", tampered(tdx, 0x880, "add"), 1,
          "az.runtime_data_binding", "--td-quote", path("azure/aztdx-td-quote.bin"), at=AT_TDX)
    check("aztdx TD report's RTMR0 changed with the TD quote", tampered(tdx, 0x20 + 512 + 208, "xor"), 1,
          "az.td_quote_mismatch", "--td-quote", path("azure/aztdx-td-quote.bin"), at=AT_TDX)
    check("aztdx with another TD's quote", path(tdx), 1, "az.td_quote_mismatch",
          "--td-quote", path("tdx/trustee-quote-v4.dat"), at=AT_TDX)
    d = bytearray(open(path("azure/aztdx-td-quote.bin"), "rb").read())
    d[48 + 100] ^= 1
    bad_quote = os.path.join(work, "td-quote.bin")
    open(bad_quote, "wb").write(d)
    check("aztdx with its TD quote's body flipped", path(tdx), 1, "tdx.signature", "--td-quote", bad_quote, at=AT_TDX)
    check("aztdx with its TD quote, expired", path(tdx), 1, "tdx.cert_expired",
          "--td-quote", path("azure/aztdx-td-quote.bin"), at="2053-07-01T00:00:00Z")

    print(f"{c.n - c.failed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
