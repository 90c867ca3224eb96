#!/bin/bash
# Peer agreement for TPM quotes: confnode-verifier must verify every quote in
# peer-data/tpm-quote and the Azure vTPM quotes as their sources assert, and
# reject tampered copies with the exact reason code.
# Usage: tpm-peer-quotes.sh VERIFIER   (PEER_DATA = shared/peer-data)
set -euo pipefail

VERIFIER=${1:?usage: $0 confnode-verifier}
PEER=${PEER_DATA:?PEER_DATA must point at shared/peer-data}
Q=$PEER/tpm-quote
AZ=$PEER/azure
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

failures=0
checks=0

# expect NAME EXIT REASON -- ARGS...: runs `check --type tpm-quote ARGS` and
# asserts its exit status and the verdict's "reason".
expect() {
        local name=$1 want_rc=$2 want_reason=$3 rc=0 reason
        shift 4
        checks=$((checks + 1))
        "$VERIFIER" check --type tpm-quote "$@" >"$W/out.json" 2>"$W/err.txt" || rc=$?
        reason=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reason"])' "$W/out.json" \
                 2>/dev/null || echo '(no JSON verdict)')
        if [[ $rc == "$want_rc" && $reason == "$want_reason" ]]; then
                echo "ok   $name: exit $rc, $reason"
        else
                echo "FAIL $name: exit $rc (want $want_rc), reason '$reason' (want '$want_reason')"
                cat "$W/out.json" "$W/err.txt" || true
                failures=$((failures + 1))
        fi
}

# Inputs the sources give in other shapes: PCR values as pcrs.json, the
# Trustee and Azure quotes as files, the Azure AK (a JWK in the HCL report's
# variable data) as SubjectPublicKeyInfo PEM.
python3 - "$PEER" "$W" <<'PY'
import base64, json, sys
peer, w = sys.argv[1], sys.argv[2]

def write(name, data):
    mode = "w" if isinstance(data, str) else "wb"
    with open(f"{w}/{name}", mode) as f:
        f.write(data)

# ga-win-gcp: the SHA-1 bank of the Windows GCP log.
g = json.load(open(f"{peer}/eventlog/ga-win-gcp.pcrs.json"))["expected_pcrs"]
write("ga-win-gcp.pcrs.json", json.dumps({"sha1": g["sha1"]}))

# gtt-cos85-n9009: one quote per bank, PCR values per quote.
d = json.load(open(f"{peer}/tpm-quote/gtt-cos85-n9009.json"))
for q in d["quotes"]:
    write(f"cos85-{q['bank']}.pcrs.json", json.dumps({q["bank"]: q["pcrs"]}))

# Trustee generic TPM evidence: base64 fields, SPKI DER AK, 24 SHA-256 PCRs.
t = json.load(open(f"{peer}/tpm-quote/trustee-tpm-evidence.json"))
write("trustee.attest", base64.b64decode(t["tpm_quote"]["message"]))
write("trustee.sig", base64.b64decode(t["tpm_quote"]["signature"]))
write("trustee-ak.der", base64.b64decode(t["ak_public"]))
write("trustee.pcrs.json", json.dumps({"sha256": {str(i): v for i, v in enumerate(t["tpm_quote"]["pcrs"])}}))

def der(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + body

def der_int(v):
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")
    return der(0x02, b)

def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

for tee in ("azsnp", "aztdx"):
    hcl = open(f"{peer}/azure/{tee}-hcl-report.bin", "rb").read()
    start = hcl.index(b'{"keys"')
    var, _ = json.JSONDecoder().raw_decode(hcl[start:].decode("utf-8", "replace"))
    jwk = next(k for k in var["keys"] if k.get("kid") == "HCLAkPub")
    n = int.from_bytes(b64url(jwk["n"]), "big")
    e = int.from_bytes(b64url(jwk["e"]), "big")
    rsa_oid = der(0x06, bytes.fromhex("2a864886f70d010101"))
    spki = der(0x30, der(0x30, rsa_oid + b"\x05\x00") + der(0x03, b"\x00" + der(0x30, der_int(n) + der_int(e))))
    pem = base64.encodebytes(spki).decode().replace("\n", "")
    write(f"{tee}-ak.pem", "-----BEGIN PUBLIC KEY-----\n" +
          "\n".join(pem[i:i + 64] for i in range(0, len(pem), 64)) + "\n-----END PUBLIC KEY-----\n")
    aq = json.load(open(f"{peer}/azure/{tee}-tpm-quote-v1.json"))
    write(f"{tee}.attest", bytes.fromhex(aq["message"]))
    write(f"{tee}.sig", bytes.fromhex(aq["signature"]))
    write(f"{tee}.pcrs.json", json.dumps({"sha256": {str(i): v for i, v in enumerate(aq["pcrs"])}}))
PY

# tamper FILE OFFSET OUT: a copy of FILE with the byte at OFFSET (negative:
# from the end) inverted.
tamper() {
        python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[2])] ^= 0xff; open(sys.argv[3], "wb").write(b)' "$@"
}
# pcr_change IN BANK PCR OUT: pcrs.json with one value's first byte changed.
pcr_change() {
        python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); v = d[sys.argv[2]][sys.argv[3]]
d[sys.argv[2]][sys.argv[3]] = "%02x" % (int(v[:2], 16) ^ 1) + v[2:]
json.dump(d, open(sys.argv[4], "w"))' "$@"
}
pcr_drop() {
        python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); del d[sys.argv[2]][sys.argv[3]]
json.dump(d, open(sys.argv[4], "w"))' "$@"
}

echo "== quotes as their sources assert"
expect "ga-win-gcp SHA-1 quote, empty nonce, PCR 0-23" 0 ok -- \
        "$Q/ga-win-gcp-sha1.attest" --sig "$Q/ga-win-gcp-sha1.sig" --ak "$Q/ga-win-gcp-akpub.bin" \
        --nonce '' --pcrs "$W/ga-win-gcp.pcrs.json"
for bank in sha1 sha256 sha384; do
        expect "gtt-cos85 $bank quote, nonce 9009, PCR 0-23" 0 ok -- \
                "$Q/gtt-cos85-n9009-$bank.attest" --sig "$Q/gtt-cos85-n9009-$bank.sig" \
                --ak "$Q/gtt-cos85-n9009-akpub.bin" --nonce 9009 --pcrs "$W/cos85-$bank.pcrs.json"
done
expect "trustee TPM evidence (SPKI DER AK), PCR 0-23" 0 ok -- \
        "$W/trustee.attest" --sig "$W/trustee.sig" --ak "$W/trustee-ak.der" --pcrs "$W/trustee.pcrs.json"
for tee in azsnp aztdx; do
        expect "$tee vTPM quote (bare RSASSA signature, HCLAkPub), nonce 'challenge'" 0 ok -- \
                "$W/$tee.attest" --sig "$W/$tee.sig" --ak "$W/$tee-ak.pem" --nonce 6368616c6c656e6765 \
                --pcrs "$W/$tee.pcrs.json"
done
expect "gtt-cos85 sha256 without --pcrs (signature and nonce only)" 0 ok -- \
        "$Q/gtt-cos85-n9009-sha256.attest" --sig "$Q/gtt-cos85-n9009-sha256.sig" \
        --ak "$Q/gtt-cos85-n9009-akpub.bin" --nonce 9009
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["checked"] == {"signature": True, "nonce": True, "pcrs": False} and "--pcrs" in d["note"], d' "$W/out.json" \
        || { echo "FAIL: the verdict without --pcrs does not say the PCRs went unchecked"; failures=$((failures + 1)); }

echo "== tampered quotes"
for bank in sha1 sha256; do
        tamper "$Q/gtt-cos85-n9009-$bank.sig" -1 "$W/flipped.sig"
        expect "gtt-cos85 $bank, flipped signature byte" 1 tpm.signature -- \
                "$Q/gtt-cos85-n9009-$bank.attest" --sig "$W/flipped.sig" --ak "$Q/gtt-cos85-n9009-akpub.bin" \
                --nonce 9009 --pcrs "$W/cos85-$bank.pcrs.json"
        expect "gtt-cos85 $bank, wrong nonce" 1 tpm.nonce_mismatch -- \
                "$Q/gtt-cos85-n9009-$bank.attest" --sig "$Q/gtt-cos85-n9009-$bank.sig" \
                --ak "$Q/gtt-cos85-n9009-akpub.bin" --nonce 9008 --pcrs "$W/cos85-$bank.pcrs.json"
        pcr_change "$W/cos85-$bank.pcrs.json" "$bank" 7 "$W/changed.pcrs.json"
        expect "gtt-cos85 $bank, PCR 7 changed" 1 tpm.pcr_digest_mismatch -- \
                "$Q/gtt-cos85-n9009-$bank.attest" --sig "$Q/gtt-cos85-n9009-$bank.sig" \
                --ak "$Q/gtt-cos85-n9009-akpub.bin" --nonce 9009 --pcrs "$W/changed.pcrs.json"
        pcr_drop "$W/cos85-$bank.pcrs.json" "$bank" 23 "$W/dropped.pcrs.json"
        expect "gtt-cos85 $bank, PCR 23 missing" 1 tpm.pcr_missing -- \
                "$Q/gtt-cos85-n9009-$bank.attest" --sig "$Q/gtt-cos85-n9009-$bank.sig" \
                --ak "$Q/gtt-cos85-n9009-akpub.bin" --nonce 9009 --pcrs "$W/dropped.pcrs.json"
done
tamper "$Q/ga-win-gcp-sha1.attest" 40 "$W/flipped.attest"
expect "ga-win-gcp, flipped attest byte (clock)" 1 tpm.signature -- \
        "$W/flipped.attest" --sig "$Q/ga-win-gcp-sha1.sig" --ak "$Q/ga-win-gcp-akpub.bin" --nonce ''
expect "ga-win-gcp, a nonce where the quote has none" 1 tpm.nonce_mismatch -- \
        "$Q/ga-win-gcp-sha1.attest" --sig "$Q/ga-win-gcp-sha1.sig" --ak "$Q/ga-win-gcp-akpub.bin" --nonce 00
expect "gtt-cos85 quote with another machine's AK" 1 tpm.signature -- \
        "$Q/gtt-cos85-n9009-sha256.attest" --sig "$Q/gtt-cos85-n9009-sha256.sig" --ak "$Q/ga-win-gcp-akpub.bin"
for tee in azsnp aztdx; do
        tamper "$W/$tee.sig" 0 "$W/flipped.sig"
        expect "$tee, signature[0] flipped" 1 tpm.signature -- \
                "$W/$tee.attest" --sig "$W/flipped.sig" --ak "$W/$tee-ak.pem" --nonce 6368616c6c656e6765
        pcr_change "$W/$tee.pcrs.json" sha256 0 "$W/changed.pcrs.json"
        expect "$tee, pcrs[0][0] changed" 1 tpm.pcr_digest_mismatch -- \
                "$W/$tee.attest" --sig "$W/$tee.sig" --ak "$W/$tee-ak.pem" --nonce 6368616c6c656e6765 \
                --pcrs "$W/changed.pcrs.json"
done

echo "== malformed input"
head -c 114 "$Q/gtt-cos85-n9009-sha256.attest" >"$W/short.attest"
expect "attest one byte short" 2 tpm.malformed -- \
        "$W/short.attest" --sig "$Q/gtt-cos85-n9009-sha256.sig" --ak "$Q/gtt-cos85-n9009-akpub.bin"
expect "a signature given as the AK" 2 tpm.malformed -- \
        "$Q/gtt-cos85-n9009-sha256.attest" --sig "$Q/gtt-cos85-n9009-sha256.sig" --ak "$Q/gtt-cos85-n9009-sha256.sig"
head -c 100 "$Q/gtt-cos85-n9009-sha256.sig" >"$W/short.sig"
expect "signature truncated" 2 tpm.malformed -- \
        "$Q/gtt-cos85-n9009-sha256.attest" --sig "$W/short.sig" --ak "$Q/gtt-cos85-n9009-akpub.bin"

echo "$checks checks, $failures failed"
[[ $failures == 0 ]]
