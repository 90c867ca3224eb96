#!/usr/bin/python3
"""Peer agreement for SEV-SNP attestation reports.

For every report of peer-data/snp (expected.json) and the SNP reports that
Azure's HCL reports in peer-data/azure carry at offset 0x20:
  - `confnode inspect --type snp-report` decodes every field expected.json
    lists to the value it lists;
  - `confnode-verifier check --type snp-report` verifies the report with its
    VCEK/VLEK and AMD chain, at the time its source pins, once with the ARK
    pinned (--trust-ark) and once unpinned (then the verdict must name the
    same ARK), and once with the certificates in a directory under
    meaningless names;
  - tampered copies and wrong certificates are rejected with the exact
    reason: a flipped bit in the body or the signature (snp.signature), an
    unrelated VCEK (snp.signature), another product's ASK or ARK
    (snp.cert_chain), another pinned root (snp.ark_untrusted), a time outside
    the certificates' validity (snp.cert_expired).

Usage: snp-peers.py (with $CONFNODE, $CONFNODE_VERIFIER, $PEER_DATA).
Prints one line per check and exits 1 on any disagreement.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# The time each report is verified at: the one its source's test pins, or,
# where the source pins none, a fixed time inside every certificate's
# validity, so the result does not depend on the day the test runs.
VERIFY_AT = {
    "snp/gsg-report.bin": "2022-09-24T01:00:00Z",  # go-sev-guest TestRealAttestationVerification
    "snp/oak-genoa-report.bin": "2025-09-01T00:00:00Z",  # inside Oak's windows (PROVENANCE caveats)
    "snp/oak-turin-report.bin": "2025-09-01T00:00:00Z",
    "snp/oak-milan-oc-report.bin": "2025-09-01T00:00:00Z",
    "snp/trustee-vlek-report.bin": "2025-06-01T00:00:00Z",  # the VLEK is valid 2024-12-10..2025-12-10
    "snp/trustee-report.bin": "2025-06-01T00:00:00Z",
    "snp/az-milan-report.bin": "2025-06-01T00:00:00Z",
    "snp/az-genoa-report.bin": "2025-06-01T00:00:00Z",
}
# A time at which every VCEK of the set (not the VLEK) is valid.
COMMON_AT = "2025-09-01T00:00:00Z"
# Before every VCEK's notBefore, and after every notAfter.
TOO_EARLY = "2020-01-01T00:00:00Z"
TOO_LATE = "2033-01-01T00:00:00Z"

# The AMD chain (ASK/ASVK + ARK) files of each product, for the wrong-chain checks.
CHAINS = {"milan": "snp/milan-ask-ark.pem", "genoa": "snp/genoa-ask-ark.pem", "turin": "snp/turin-ask-ark.pem"}
PRODUCT_OF_CHAIN = {
    "snp/milan-ask-ark.pem": "milan",
    "snp/milan-asvk-ark.pem": "milan",
    "snp/genoa-ask-ark.pem": "genoa",
    "snp/turin-ask-ark.pem": "turin",
}
# A VCEK of another chip of the same product, signed by the same ASK.
UNRELATED_VCEK = {"milan": ["snp/gsg-vcek.der", "snp/trustee-vcek.der"], "genoa": ["snp/oak-genoa-vcek.der", "snp/az-genoa-vcek.pem"], "turin": ["snp/virtee-vcek-turin.der"]}

# expected.json key -> our JSON path (and how to compare).
TCB_NAMES = {"bl": "bootloader", "tee": "tee", "snp": "snp", "ucode": "microcode", "fmc": "fmc"}
IGNORED = {"signing_key_file", "ask_ark_file", "independent_check_signature_ok", "independent_check_vcek_chain_ok"}


class Disagreement(Exception):
    pass


failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def inspect(confnode, path):
    p = run([confnode, "inspect", "--type", "snp-report", path])
    if p.returncode != 0:
        raise Disagreement(f"inspect failed (exit {p.returncode}): {p.stderr.strip()}")
    return json.loads(p.stdout)


def verdict(verifier, report, certs, at=None, trust=None):
    cmd = [verifier, "check", "--type", "snp-report", report]
    for c in certs:
        cmd += ["--certs", c]
    if at:
        cmd += ["--at", at]
    if trust:
        cmd += ["--trust-ark", trust]
    p = run(cmd)
    if p.returncode not in (0, 1, 2) or not p.stdout.strip():
        raise Disagreement(f"check exited {p.returncode}: {p.stderr.strip()}")
    v = json.loads(p.stdout)
    want_exit = 0 if v["verified"] else (2 if v["reason"] == "snp.malformed" else 1)
    if p.returncode != want_exit:
        raise Disagreement(f"exit {p.returncode} for verified={v['verified']} reason={v['reason']}")
    return v


def pem_blocks(path):
    with open(path) as f:
        return re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", f.read(), re.S)


def subject_issuer(pem):
    p = subprocess.run(["openssl", "x509", "-noout", "-subject", "-issuer", "-nameopt", "RFC2253"],
                       input=pem, capture_output=True, text=True, check=True)
    lines = p.stdout.splitlines()
    return lines[0].split("=", 1)[1], lines[1].split("=", 1)[1]


def fingerprint(pem):
    p = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem, capture_output=True,
                       text=True, check=True)
    return p.stdout.strip().split("=", 1)[1].replace(":", "").lower()


def split_chain(path, tmp):
    """Writes the ASK (or ASVK) and the ARK of a chain file apart; returns their paths and the ARK's SHA-256."""
    ask = ark = None
    for pem in pem_blocks(path):
        s, i = subject_issuer(pem)
        if s == i:
            ark = pem
        elif "CN=SEV-VCEK" not in s:
            ask = pem
    if not ask or not ark:
        raise Disagreement(f"{path}: no ASK and ARK")
    base = os.path.join(tmp, os.path.basename(path))
    with open(base + ".ask", "w") as f:
        f.write(ask)
    with open(base + ".ark", "w") as f:
        f.write(ark)
    return base + ".ask", base + ".ark", fingerprint(ark)


def key_only(path, tmp):
    """The VCEK or VLEK of a file, alone: some sources ship it with its chain."""
    if not path.endswith(".pem") or len(pem_blocks(path)) < 2:
        return path
    for pem in pem_blocks(path):
        s, _ = subject_issuer(pem)
        if "CN=SEV-VCEK" in s or "CN=SEV-VLEK," in s:
            out = os.path.join(tmp, os.path.basename(path) + ".key")
            with open(out, "w") as f:
                f.write(pem)
            return out
    raise Disagreement(f"{path}: no VCEK or VLEK")


def compare_fields(name, want, got):
    for key, value in want.items():
        if key in IGNORED:
            continue
        if key == "sig_algo":
            ok = got["signature_algo"] == value
        elif key in ("policy", "platform_info", "flags"):
            ok = int(got[key]["raw"], 16) == int(value, 16)
        elif key.endswith("_tcb_raw"):
            ok = int(got[key[:-4]]["raw"], 16) == int(value, 16)
        elif key == "reported_tcb":
            tcb = got["reported_tcb"]
            ok = set(tcb) - {"raw"} == {TCB_NAMES[k] for k in value} and all(
                tcb[TCB_NAMES[k]] == v for k, v in value.items())
        elif key in got:
            ok = got[key] == value
        else:
            raise Disagreement(f"{name}: expected.json has '{key}', which inspect does not produce")
        if not ok:
            raise Disagreement(f"{name}: {key}: expected {value}, inspect says {got.get(key)}")


def expect(v, verified, reason, what):
    ok = v["verified"] == verified and v["reason"] == (reason or "ok")
    check(ok, f"{what}: {v['reason']}" + ("" if ok else f" (want {reason or 'ok'}: {v['detail']})"))
    return ok


def flipped(src, offset, tmp, tag):
    with open(src, "rb") as f:
        data = bytearray(f.read())
    data[offset] ^= 0x01
    out = os.path.join(tmp, f"{os.path.basename(src)}.{tag}")
    with open(out, "wb") as f:
        f.write(data)
    return out


def peer_report(peer, confnode, verifier, rel, want, tmp):
    report = os.path.join(peer, rel)
    got = inspect(confnode, report)
    compare_fields(rel, want, got)
    check(True, f"{rel}: inspect agrees on {len(set(want) - IGNORED)} fields")

    key = key_only(os.path.join(peer, want["signing_key_file"]), tmp)
    chain = os.path.join(peer, want["ask_ark_file"])
    ask, ark, ark_sha = split_chain(chain, tmp)
    at = VERIFY_AT[rel]
    should = want["independent_check_signature_ok"] and want["independent_check_vcek_chain_ok"]
    vlek = got["flags"]["signing_key"] == "vlek"

    v = verdict(verifier, report, [key, chain], at, trust=ark)
    if expect(v, should, None if should else "snp.signature", f"{rel}: verify at {at}, ARK pinned"):
        check(v["certificates"]["ark"]["sha256"] == ark_sha, f"{rel}: the verdict names the pinned ARK")
        check(v["checked"]["chip_id"] == (not vlek), f"{rel}: chip_id checked iff VCEK")
    v = verdict(verifier, report, [key, chain], at)
    expect(v, should, None, f"{rel}: verify unpinned")
    check(v["ark_trust"] == "unpinned" and v["certificates"]["ark"]["sha256"] == ark_sha,
          f"{rel}: unpinned verdict names the ARK it used")

    # Certificates in a directory, under names that say nothing.
    d = os.path.join(tmp, "dir-" + os.path.basename(rel))
    os.mkdir(d)
    shutil.copy(key, os.path.join(d, "a"))
    shutil.copy(ask, os.path.join(d, "b.der"))
    shutil.copy(ark, os.path.join(d, "vcek.pem"))
    with open(os.path.join(d, "README"), "w") as f:
        f.write("not a certificate\n")
    expect(verdict(verifier, report, [d], at, trust=ark), should, None, f"{rel}: certificates from a directory")

    expect(verdict(verifier, flipped(report, 0x90, tmp, "body"), [key, chain], at, trust=ark), False,
           "snp.signature", f"{rel}: flipped bit in measurement")
    expect(verdict(verifier, flipped(report, 0x2a0, tmp, "sig"), [key, chain], at, trust=ark), False,
           "snp.signature", f"{rel}: flipped bit in signature r")
    expect(verdict(verifier, report, [key, chain], TOO_LATE, trust=ark), False, "snp.cert_expired",
           f"{rel}: at {TOO_LATE}")
    expect(verdict(verifier, report, [key, chain], TOO_EARLY, trust=ark), False, "snp.cert_expired",
           f"{rel}: at {TOO_EARLY}")

    product = PRODUCT_OF_CHAIN[want["ask_ark_file"]]
    if vlek:
        # Only one VLEK in the set: a VCEK of the same product stands in.
        other = os.path.join(peer, UNRELATED_VCEK[product][0])
        expect(verdict(verifier, report, [other, os.path.join(peer, CHAINS[product])], at), False,
               "snp.signing_key", f"{rel}: a VCEK for a VLEK-signed report")
    else:
        # At a time when every VCEK of the product is valid, so that only
        # the signature can fail.
        for u in UNRELATED_VCEK[product]:
            if os.path.join(peer, u) == os.path.join(peer, want["signing_key_file"]):
                continue
            expect(verdict(verifier, report, [os.path.join(peer, u), chain], COMMON_AT, trust=ark), False,
                   "snp.signature", f"{rel}: unrelated VCEK {u}")
            break
    for other_product, other_chain in CHAINS.items():
        if other_product == product:
            continue
        o_ask, o_ark, _ = split_chain(os.path.join(peer, other_chain), tmp)
        expect(verdict(verifier, report, [key, o_ask, ark], at, trust=ark), False, "snp.cert_chain",
               f"{rel}: {other_product} ASK")
        expect(verdict(verifier, report, [key, ask, o_ark], at), False, "snp.cert_chain",
               f"{rel}: {other_product} ARK")
        expect(verdict(verifier, report, [key, chain], at, trust=o_ark), False, "snp.ark_untrusted",
               f"{rel}: {other_product} ARK pinned")
        break


def azure_reports(peer, confnode, verifier, tmp):
    """The SNP report inside Azure's HCL reports (bytes 0x20..0x4c0)."""
    with open(os.path.join(peer, "azure/expected.json")) as f:
        expected = json.load(f)
    for rel, want in expected.items():
        if "snp_report_version" not in want:
            continue
        with open(os.path.join(peer, rel), "rb") as f:
            data = f.read()[0x20:0x20 + 1184]
        report = os.path.join(tmp, os.path.basename(rel) + ".snp")
        with open(report, "wb") as f:
            f.write(data)
        got = inspect(confnode, report)
        pairs = [("version", want["snp_report_version"], got["version"]),
                 ("measurement", want["snp_measurement"], got["measurement"]),
                 ("report_data", want["snp_report_data"], got["report_data"]),
                 ("policy", int(want["snp_policy"], 16), int(got["policy"]["raw"], 16)),
                 ("chip_id", want["snp_chip_id"], got["chip_id"])]
        pairs += [(f"reported_tcb.{k}", v, got["reported_tcb"][TCB_NAMES[k]]) for k, v in want["snp_reported_tcb"].items()]
        bad = [f"{n}: {w} != {g}" for n, w, g in pairs if w != g]
        check(not bad, f"{rel} (SNP report at 0x20): inspect agrees" + ("" if not bad else f": {bad}"))

    # Trustee verifies azsnp's report with the VCEK chain it ships.
    azsnp = os.path.join(tmp, "azsnp-hcl-report.bin.snp")
    v = verdict(verifier, azsnp, [os.path.join(peer, "azure/azsnp-vcek.pem")], VERIFY_AT["snp/az-milan-report.bin"])
    expect(v, True, None, "azure/azsnp-hcl-report.bin: SNP report verifies with azsnp-vcek.pem")
    # kinvolk's kv-certs.pem chain is valid (their test validates it), but
    # its VCEK did not sign kv-hcl-report-snp.bin (PROVENANCE: not asserted,
    # does not verify): the chain passes and the signature does not.
    kv = os.path.join(tmp, "kv-hcl-report-snp.bin.snp")
    v = verdict(verifier, kv, [os.path.join(peer, "azure/kv-certs.pem")], "2025-06-01T00:00:00Z")
    expect(v, False, "snp.signature", "azure/kv-hcl-report-snp.bin: kv-certs.pem's VCEK did not sign it")
    check(v["checked"]["chain"], "azure/kv-certs.pem: VCEK -> ASK -> ARK validates")
    # "ARK replaced by ASK must fail" (azure-cvm-tooling certs.rs).
    blocks = pem_blocks(os.path.join(peer, "azure/kv-certs.pem"))
    no_ark = os.path.join(tmp, "kv-no-ark.pem")
    with open(no_ark, "w") as f:
        f.write(blocks[0] + blocks[1] + blocks[1])
    v = verdict(verifier, kv, [no_ark], "2025-06-01T00:00:00Z")
    check(not v["verified"] and v["reason"] in ("snp.cert_missing", "snp.cert_chain"),
          f"azure/kv-certs.pem with the ASK for the ARK: {v['reason']}")


def deliberately_invalid(peer, verifier, tmp):
    """VCEKs whose chain the sources say is invalid, and a VCEK with no report."""
    trustee = os.path.join(peer, "snp/trustee-report.bin")
    chain = os.path.join(peer, "snp/milan-ask-ark.pem")
    for vcek in ("snp/trustee-vcek-legacy.der", "snp/trustee-vcek-new.der"):
        expect(verdict(verifier, trustee, [os.path.join(peer, vcek), chain], "2025-06-01T00:00:00Z"), False,
               "snp.cert_chain", f"{vcek}: not signed by SEV-Milan")
    # virtee's Turin VCEK has no report; its chain validates (virtee
    # turin_ca_stack), so a Turin report of another chip fails only at the
    # signature.
    v = verdict(verifier, os.path.join(peer, "snp/oak-turin-report.bin"),
                [os.path.join(peer, "snp/virtee-vcek-turin.der"), os.path.join(peer, "snp/turin-ask-ark.pem")],
                "2025-09-01T00:00:00Z")
    expect(v, False, "snp.signature", "snp/virtee-vcek-turin.der: chain valid, another chip's report")
    check(v["checked"]["chain"], "snp/virtee-vcek-turin.der: VCEK -> SEV-Turin -> ARK-Turin validates")
    # Trustee's bundle: ASK, ARK and ASVK in one file serves both kinds.
    bundle = os.path.join(peer, "snp/trustee-milan-ask-ark-asvk.pem")
    expect(verdict(verifier, trustee, [os.path.join(peer, "snp/trustee-vcek.der"), bundle], "2025-06-01T00:00:00Z"),
           True, None, "snp/trustee-milan-ask-ark-asvk.pem: chains the VCEK")
    expect(verdict(verifier, os.path.join(peer, "snp/trustee-vlek-report.bin"),
                   [os.path.join(peer, "snp/trustee-vlek.der"), bundle], "2025-06-01T00:00:00Z"),
           True, None, "snp/trustee-milan-ask-ark-asvk.pem: chains the VLEK")
    # A Milan VLEK under Genoa's ASVK.
    expect(verdict(verifier, os.path.join(peer, "snp/trustee-vlek-report.bin"),
                   [os.path.join(peer, "snp/trustee-vlek.der"), os.path.join(peer, "snp/genoa-asvk-ark.pem")],
                   "2025-06-01T00:00:00Z"), False, "snp.cert_chain", "snp/genoa-asvk-ark.pem: not the VLEK's ASVK")
    # Malformed input is a usage error, with the offset.
    short = os.path.join(tmp, "short.bin")
    with open(trustee, "rb") as f, open(short, "wb") as g:
        g.write(f.read()[:1183])
    v = verdict(verifier, short, [chain])
    check(v["reason"] == "snp.malformed" and "offset 0x49f" in v["detail"], f"short report: {v['detail']}")


def main():
    confnode = os.environ.get("CONFNODE", "confnode")
    verifier = os.environ.get("CONFNODE_VERIFIER", "confnode-verifier")
    peer = os.environ.get("PEER_DATA")
    if not peer:
        print("PEER_DATA is not set", file=sys.stderr)
        return 2
    with open(os.path.join(peer, "snp/expected.json")) as f:
        expected = json.load(f)
    tmp = tempfile.mkdtemp(prefix="snp-peers-")
    try:
        for rel, want in expected.items():
            try:
                peer_report(peer, confnode, verifier, rel, want, tmp)
            except (Disagreement, KeyError, subprocess.SubprocessError) as e:
                check(False, f"{rel}: {e}")
        try:
            azure_reports(peer, confnode, verifier, tmp)
            deliberately_invalid(peer, verifier, tmp)
        except (Disagreement, KeyError, subprocess.SubprocessError) as e:
            check(False, str(e))
    finally:
        shutil.rmtree(tmp)
    print(f"{failures} disagreement(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
