#!/bin/bash
# `confnode-sim init`, `snp-report` and `tdx-quote` for each AMD generation
# and SNP report version: everything verifies with the teammates'
# verifier against the simulated roots and nothing else, and a report the
# simulated platform's values no longer match (TCB, chip, a flipped byte)
# is rejected for that reason. The verifier knows nothing of simulation:
# only the roots given to it differ.
# Binaries come from CONFNODE, CONFNODE_SIM and CONFNODE_VERIFIER.
set -euo pipefail

: "${CONFNODE:?}" "${CONFNODE_SIM:?}" "${CONFNODE_VERIFIER:?}"
source "$(dirname "$0")/tpm-lib.sh"
source "$(dirname "$0")/sim-lib.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# expect_snp REPORT WANT_REASON CERTS ARK: the verdict's reason.
expect_snp() {
        local report=$1 want=$2 certs=$3 ark=$4 rc=0
        "$CONFNODE_VERIFIER" check --type snp-report "$report" --certs "$certs" --trust-ark "$ark" \
                >"$W/verdict.json" 2>/dev/null || rc=$?
        python3 - "$W/verdict.json" "$want" <<'PY' || fail "$report with $certs: want $want, got $(cat "$W/verdict.json")"
import json, sys
d = json.load(open(sys.argv[1]))
want = sys.argv[2]
assert d["reason"] == want, d["reason"]
assert d["verified"] == (want == "ok"), d
PY
}

# The key files are private to their owner.
sim_init "$W/genoa"
for k in "$W"/genoa/private/*.key; do
        [[ $(stat -c %a "$k") == 600 ]] || fail "$k is not mode 0600"
done
[[ $(stat -c %a "$W/genoa/private") == 700 ]] || fail "private/ is not mode 0700"
grep -q "SIMULATED" <(openssl x509 -in "$W/genoa/amd/ark.pem" -noout -subject) || fail "the ARK's name does not say SIMULATED"
grep -q "SIMULATED" <(openssl x509 -in "$W/genoa/intel/root-ca.pem" -noout -subject) || fail "the Intel root's name does not say SIMULATED"
openssl x509 -in "$W/genoa/amd/ask.pem" -noout -text | grep -q "Salt Length: 0x30" || fail "the ASK is not RSA-PSS with a 48-byte salt"
openssl x509 -in "$W/genoa/intel/pck.pem" -noout -text | grep -q "1.2.840.113741.1.13.1" || fail "the PCK has no SGX extension"
openssl verify -CAfile "$W/genoa/amd/ark.pem" -untrusted "$W/genoa/amd/ask.pem" "$W/genoa/amd/vcek.pem" >/dev/null ||
        fail "openssl does not verify the simulated AMD chain"
openssl verify -CAfile "$W/genoa/intel/root-ca.pem" -untrusted "$W/genoa/intel/platform-ca.pem" \
        "$W/genoa/intel/pck.pem" >/dev/null || fail "openssl does not verify the simulated Intel chain"
if "$CONFNODE_SIM" init "$W/genoa" 2>/dev/null; then fail "init replaced a platform without --force"; fi
echo "ok   init: key modes, names, signature schemes, chains that openssl verifies"

for gen in milan turin genoa; do
        [[ -d $W/$gen ]] || sim_init "$W/$gen" --generation "$gen"
        for v in 2 3 5; do
                nonce=$(od -An -N64 -tx1 /dev/urandom | tr -d ' \n')
                "$CONFNODE_SIM" snp-report --dir "$W/$gen" --report-data "$nonce" --out "$W/r.bin" \
                        --certs-out "$W/table.bin" --set snp.version=$v
                # The certificate table: ARK, ASK, VCEK as DER, GUIDs in
                # their written order.
                python3 - "$W/table.bin" "$W/table" <<'PY' || fail "$gen: the certificate table is not GHCB's"
import os, struct, sys, uuid
d = open(sys.argv[1], "rb").read()
names = {"c0b406a4-a803-4952-9743-3fb6014cd0ae": "ark", "4ab7b379-bbac-4fe4-a02f-05aef327c782": "ask",
         "63da758d-e664-4564-adc5-f4b93be8accd": "vcek"}
os.makedirs(sys.argv[2], exist_ok=True)
seen = []
for i in range(0, len(d), 24):
    g, off, n = d[i:i + 16], *struct.unpack_from("<II", d, i + 16)
    if g == bytes(16):
        assert off == 0 and n == 0
        break
    name = names[str(uuid.UUID(bytes=g))]
    seen.append(name)
    open(f"{sys.argv[2]}/{name}.der", "wb").write(d[off:off + n])
assert seen == ["ark", "ask", "vcek"], seen
PY
                for c in ark ask vcek; do
                        cmp -s "$W/table/$c.der" <(openssl x509 -in "$W/$gen/amd/$c.pem" -outform DER) ||
                                fail "$gen: the table's $c is not amd/$c.pem"
                done
                expect_snp "$W/r.bin" ok "$W/table" "$W/$gen/amd/ark.pem"
                "$CONFNODE" inspect --type snp-report "$W/r.bin" >"$W/r.json"
                python3 - "$W/r.json" "$v" "$nonce" <<'PY' || fail "$gen v$v: inspect shows other values"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["version"] == int(sys.argv[2]) and r["report_data"] == sys.argv[3], r
PY
        done
        echo "ok   $gen: report versions 2, 3 and 5 verify with the table's certificates"
done

# What the platform reports must be what its VCEK says.
"$CONFNODE_SIM" snp-report --dir "$W/genoa" --report-data 01 --out "$W/r.bin" --set snp.tcb_snp=99
expect_snp "$W/r.bin" snp.tcb_mismatch "$W/genoa/amd" "$W/genoa/amd/ark.pem"
"$CONFNODE_SIM" snp-report --dir "$W/genoa" --report-data 01 --out "$W/r.bin" \
        --set snp.chip_id="$(od -An -N64 -tx1 /dev/urandom | tr -d ' \n')"
expect_snp "$W/r.bin" snp.chip_id_mismatch "$W/genoa/amd" "$W/genoa/amd/ark.pem"
"$CONFNODE_SIM" snp-report --dir "$W/genoa" --report-data 01 --out "$W/r.bin"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[0x90] ^= 1; open(sys.argv[1], "wb").write(d)' "$W/r.bin"
expect_snp "$W/r.bin" snp.signature "$W/genoa/amd" "$W/genoa/amd/ark.pem"
# Another simulated platform's ARK is not this one's.
"$CONFNODE_SIM" snp-report --dir "$W/genoa" --report-data 01 --out "$W/r.bin"
expect_snp "$W/r.bin" snp.ark_untrusted "$W/genoa/amd" "$W/milan/amd/ark.pem"
echo "ok   a changed TCB, another chip, a flipped byte and an untrusted ARK are rejected for that"

# TDX quotes: MRTD and RTMRs from the configuration, the simulated Intel
# root and no other.
MRTD=$(od -An -N48 -tx1 /dev/urandom | tr -d ' \n')
RTMR2=$(od -An -N48 -tx1 /dev/urandom | tr -d ' \n')
"$CONFNODE_SIM" tdx-quote --dir "$W/genoa" --report-data abcd --out "$W/q.bin" --set tdx.mrtd="$MRTD" \
        --set tdx.rtmr2="$RTMR2"
"$CONFNODE" inspect --type tdx-quote "$W/q.bin" >"$W/q.json"
python3 - "$W/q.json" "$MRTD" "$RTMR2" "$(hex_pad64 abcd)" <<'PY' || fail "the quote does not carry the configured values"
import json, sys
q = json.load(open(sys.argv[1]))
flat = {}
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if isinstance(v, (dict, list)):
                walk(v)
            else:
                flat.setdefault(k, v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(q)
assert flat["mrtd"] == sys.argv[2], flat["mrtd"]
assert flat["rtmr2"] == sys.argv[3], flat["rtmr2"]
assert flat["report_data"] == sys.argv[4], flat["report_data"]
PY
"$CONFNODE_VERIFIER" check --type tdx-quote "$W/q.bin" --root-ca "$W/genoa/intel/root-ca.pem" >"$W/verdict.json" ||
        fail "the simulated quote does not verify: $(cat "$W/verdict.json")"
rc=0
"$CONFNODE_VERIFIER" check --type tdx-quote "$W/q.bin" --root-ca "$W/milan/intel/root-ca.pem" >"$W/verdict.json" || rc=$?
[[ $rc == 1 ]] && grep -q '"tdx.root_untrusted"' "$W/verdict.json" ||
        fail "another simulated root is trusted: $(cat "$W/verdict.json")"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[48 + 136] ^= 1; open(sys.argv[1], "wb").write(d)' "$W/q.bin"
rc=0
"$CONFNODE_VERIFIER" check --type tdx-quote "$W/q.bin" --root-ca "$W/genoa/intel/root-ca.pem" >"$W/verdict.json" || rc=$?
[[ $rc == 1 ]] && grep -q '"tdx.signature"' "$W/verdict.json" || fail "a changed MRTD byte is not tdx.signature: $(cat "$W/verdict.json")"
echo "ok   TDX quotes carry the configured MRTD and RTMRs and verify to the simulated Intel root only"

# Bad input is a usage error that names it.
rc=0
"$CONFNODE_SIM" snp-report --dir "$W/genoa" --report-data "$(printf '%0130d' 0)" --out "$W/x" 2>"$W/err.txt" || rc=$?
[[ $rc == 2 ]] && grep -q "report-data" "$W/err.txt" || fail "65 bytes of report data: exit $rc"
rc=0
"$CONFNODE_SIM" snp-report --dir "$W/genoa" --report-data 00 --out "$W/x" --set snp.vmpl=4 2>"$W/err.txt" || rc=$?
[[ $rc == 1 ]] && grep -q "snp.vmpl" "$W/err.txt" || fail "vmpl 4: exit $rc, $(cat "$W/err.txt")"
rc=0
"$CONFNODE_SIM" tdx-quote --dir "$W/nowhere" --report-data 00 --out "$W/x" 2>"$W/err.txt" || rc=$?
[[ $rc == 1 ]] && grep -q "init" "$W/err.txt" || fail "no platform: exit $rc, $(cat "$W/err.txt")"
echo "ok   bad options are refused with what was wrong"
echo "sim-evidence: all checks passed"
