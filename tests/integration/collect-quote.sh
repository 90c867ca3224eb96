#!/bin/bash
# measure-boot into a fresh swtpm, `confnode collect`, then check the result
# with tpm2-tools and with our own verifier and decoders:
#   tpm2_checkquote accepts the quote (nonce and PCR values) and rejects
#   another nonce; confnode-verifier verifies it with pcrs.json; the event
#   log replays to pcrs.json; `inspect --type tpm-quote` shows the nonce.
# Usage: collect-quote.sh rsa2048|ecc-p256
# Binaries come from CONFNODE, CONFNODE_SIM and CONFNODE_VERIFIER.
set -euo pipefail

ALG=${1:?usage: $0 rsa2048|ecc-p256}
: "${CONFNODE:?}" "${CONFNODE_SIM:?}" "${CONFNODE_VERIFIER:?}"
source "$(dirname "$0")/tpm-lib.sh"
W=$(mktemp -d)
trap 'swtpm_stop; rm -rf "$W"' EXIT

NONCE=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
OTHER=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
SEL=sha256:0,1,2,3,4,5,6,7,8,9+sha1:0,1,2,3,4,5,6,7

swtpm_start "$W/tpm"
"$CONFNODE_SIM" measure-boot --tcti "$TCTI" --out "$W/binary_bios_measurements" \
        --cmdline "console=ttyS0 root=/dev/vda confnode.test=$ALG"

cat >"$W/confnode.conf" <<EOC
[agent]
eventlog = $W/binary_bios_measurements
[tpm]
ak_algorithm = $ALG
pcrs = sha256:0-9+sha1:0-7
EOC
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out" --nonce "$NONCE"
# Everything the agent loaded is flushed: swtpm has no resource manager and
# only three object slots.
[[ -z $(TPM2TOOLS_TCTI=$TCTI tpm2_getcap handles-transient) ]] || fail "collect left transient objects in the TPM"
for f in ak.pem ak.pub tpm-quote.msg tpm-quote.sig pcrs.json nonce.hex eventlog.bin; do
        [[ -s $W/out/$f ]] || fail "collect did not write $f"
done
[[ $(cat "$W/out/nonce.hex") == "$NONCE" ]] || fail "nonce.hex is not the nonce given"
cmp -s "$W/binary_bios_measurements" "$W/out/eventlog.bin" || fail "eventlog.bin is not the machine's log"
grep -q "BEGIN PUBLIC KEY" "$W/out/ak.pem" || fail "ak.pem is not a PEM public key"
case $ALG in
rsa2048) openssl pkey -pubin -in "$W/out/ak.pem" -noout -text | grep -q "2048 bit" || fail "AK is not RSA-2048" ;;
ecc-p256) openssl pkey -pubin -in "$W/out/ak.pem" -noout -text | grep -q "prime256v1" || fail "AK is not P-256" ;;
esac

# tpm2-tools: the "serialized" PCR file of tpm2_pcrread -F serialized
# (TPML_PCR_SELECTION, then the values in TPML_DIGESTs of 8), built from
# pcrs.json so the PCR values we wrote are what gets checked.
python3 - "$W/out/pcrs.json" "$SEL" "$W/pcrs.tpm2" <<'PY'
import json, struct, sys
algs = {"sha1": 4, "sha256": 11, "sha384": 12, "sha512": 13}
d = json.load(open(sys.argv[1]))
sel = [(b, [int(x) for x in p.split(",")]) for b, p in (s.split(":") for s in sys.argv[2].split("+"))]
out = struct.pack("<I", len(sel))
for i in range(16):
    if i < len(sel):
        mask = sum(1 << p for p in sel[i][1])
        out += struct.pack("<HB4sx", algs[sel[i][0]], 3, mask.to_bytes(4, "little"))
    else:
        out += bytes(8)
vals = [bytes.fromhex(d[b][str(p)]) for b, ps in sel for p in sorted(ps)]
chunks = [vals[i:i + 8] for i in range(0, len(vals), 8)]
out += struct.pack("<I", len(chunks))
for c in chunks:
    out += struct.pack("<I", len(c))
    for k in range(8):
        v = c[k] if k < len(c) else b""
        out += struct.pack("<H", len(v)) + v.ljust(64, b"\0")
open(sys.argv[3], "wb").write(out)
PY
tpm2_checkquote -u "$W/out/ak.pem" -m "$W/out/tpm-quote.msg" -s "$W/out/tpm-quote.sig" -g sha256 \
        -q "$NONCE" -f "$W/pcrs.tpm2" >/dev/null || fail "tpm2_checkquote rejects the collected quote"
echo "ok   tpm2_checkquote accepts the quote, nonce and PCR values"
if tpm2_checkquote -u "$W/out/ak.pem" -m "$W/out/tpm-quote.msg" -s "$W/out/tpm-quote.sig" -g sha256 \
        -q "$OTHER" >/dev/null 2>&1; then
        fail "tpm2_checkquote accepts the quote with another nonce"
fi
echo "ok   tpm2_checkquote rejects another nonce"

# Our verifier, with both AK forms the agent wrote.
for ak in ak.pem ak.pub; do
        "$CONFNODE_VERIFIER" check --type tpm-quote "$W/out/tpm-quote.msg" --sig "$W/out/tpm-quote.sig" \
                --ak "$W/out/$ak" --nonce "$NONCE" --pcrs "$W/out/pcrs.json" >"$W/verdict.json" \
                || fail "confnode-verifier rejects the collected quote with $ak: $(cat "$W/verdict.json")"
        python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["verified"] and d["checked"]["pcrs"] and d["checked"]["nonce"], d' "$W/verdict.json"
done
echo "ok   confnode-verifier verifies signature, nonce and PCR values"
rc=0
"$CONFNODE_VERIFIER" check --type tpm-quote "$W/out/tpm-quote.msg" --sig "$W/out/tpm-quote.sig" \
        --ak "$W/out/ak.pem" --nonce "$OTHER" --pcrs "$W/out/pcrs.json" >"$W/verdict.json" || rc=$?
[[ $rc == 1 ]] && grep -q '"tpm.nonce_mismatch"' "$W/verdict.json" || fail "another nonce is not tpm.nonce_mismatch"
echo "ok   confnode-verifier rejects another nonce"

# The event log replays to the quoted PCRs: every PCR the log extends has
# the replayed value, every other selected PCR is still at reset (zero).
"$CONFNODE" inspect --type eventlog "$W/out/eventlog.bin" >"$W/eventlog.json"
python3 - "$W/eventlog.json" "$W/out/pcrs.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))["pcrs"]
quoted = json.load(open(sys.argv[2]))
assert set(quoted) <= set(log), (sorted(quoted), sorted(log))
for bank, values in quoted.items():
    for pcr, value in values.items():
        want = log[bank].get(pcr, "00" * (len(value) // 2))
        assert value == want, f"{bank} PCR {pcr}: TPM {value}, log replays to {want}"
    assert "9" in log[bank], f"{bank}: PCR 9 (command line) not in the log"
PY
echo "ok   the event log replays to pcrs.json"
tpm2_eventlog "$W/out/eventlog.bin" >/dev/null || fail "tpm2_eventlog cannot parse the simulated log"
echo "ok   tpm2_eventlog parses the log"

"$CONFNODE" inspect --type tpm-quote "$W/out/tpm-quote.msg" >"$W/quote.json"
python3 - "$W/quote.json" "$NONCE" <<'PY'
import json, sys
q = json.load(open(sys.argv[1]))
assert q["type"] == "TPM_ST_ATTEST_QUOTE" and q["magic"] == "0xff544347", q
assert q["extra_data"] == sys.argv[2], (q["extra_data"], sys.argv[2])
assert [(s["hash"], s["pcrs"]) for s in q["pcr_select"]] == [("sha256", list(range(10))), ("sha1", list(range(8)))], q["pcr_select"]
PY
echo "ok   inspect --type tpm-quote shows the nonce as extra_data"
echo "collect-quote $ALG: all checks passed"
