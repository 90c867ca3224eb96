#!/bin/bash
# The Azure collector against an HCL report in swtpm's NV, as Azure's
# paravisor keeps it: `confnode-sim hcl-nv` writes an SEV-SNP based HCL
# report into NV index 0x01400001 whose runtime data holds the agent's AK
# (HCLAkPub) and the user data last written to 0x01400002. The agent writes
# its nonce there and reads the report back: a report the platform did not
# make anew is refused as stale; one it did verifies with
# `confnode-verifier check --type hcl-report`, binds the AK the agent
# quoted with, and carries the nonce as user-data.
# Binaries come from CONFNODE, CONFNODE_SIM and CONFNODE_VERIFIER.
set -euo pipefail

: "${CONFNODE:?}" "${CONFNODE_SIM:?}" "${CONFNODE_VERIFIER:?}"
source "$(dirname "$0")/tpm-lib.sh"
source "$(dirname "$0")/sim-lib.sh"
W=$(mktemp -d)
trap 'swtpm_stop; rm -rf "$W"' EXIT

AK=0x81000003
sim_init "$W/sim"
swtpm_start "$W/tpm"
"$CONFNODE_SIM" hcl-nv --tcti "$TCTI" --dir "$W/sim" --ak-handle "$AK" 2>"$W/sim.txt" ||
        fail "hcl-nv failed: $(cat "$W/sim.txt")"
[[ -z $(TPM2TOOLS_TCTI=$TCTI tpm2_getcap handles-transient) ]] || fail "hcl-nv left transient objects in the TPM"
TPM2TOOLS_TCTI=$TCTI tpm2_nvreadpublic 0x01400001 >"$W/nvpub.txt" || fail "no NV index 0x01400001"
grep -q platformcreate "$W/nvpub.txt" || fail "the report index is not platform-created, as Azure's is"
echo "ok   hcl-nv writes a platform-created NV index 0x01400001"

cat >"$W/confnode.conf" <<EOC
[agent]
tee = azure
eventlog = $W/no-event-log
[tpm]
ak_handle = $AK
pcrs = sha256:0-7
EOC

# The platform has not seen our nonce yet: the report's user-data is
# zeros, and the agent says the report is stale.
NONCE=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
rc=0
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out" --nonce "$NONCE" 2>"$W/err.txt" || rc=$?
[[ $rc == 1 ]] || fail "a stale HCL report: exit $rc, want 1"
grep -q "did not make it anew" "$W/err.txt" || fail "the error does not say the report is stale: $(cat "$W/err.txt")"
# ... but the nonce is in 0x01400002 now, where the paravisor reads it.
TPM2TOOLS_TCTI=$TCTI tpm2_nvread -C o 0x01400002 -o "$W/user-data.bin" 2>/dev/null ||
        fail "the agent did not write NV index 0x01400002"
[[ $(od -An -v -tx1 "$W/user-data.bin" | tr -d ' \n') == "$(hex_pad64 "$NONCE")" ]] ||
        fail "NV index 0x01400002 does not hold the nonce"
echo "ok   a report not made for the nonce is refused as stale; the nonce went to 0x01400002"

# The paravisor makes the report anew; now it binds the nonce.
"$CONFNODE_SIM" hcl-nv --tcti "$TCTI" --dir "$W/sim" --ak-handle "$AK" 2>"$W/sim.txt" ||
        fail "hcl-nv failed: $(cat "$W/sim.txt")"
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out" --nonce "$NONCE" 2>"$W/err.txt" ||
        fail "collect (tee = azure) failed: $(cat "$W/err.txt")"
python3 - "$W/out/tee.json" <<'PY' || fail "tee.json does not describe an Azure SNP vTPM report"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["tee"] == "az-snp-vtpm" and t["source"] == "azure" and t["format"] == "hcl-report", t
assert t["where"] == "TPM NV index 0x01400001", t
PY
"$CONFNODE" inspect --type hcl-report "$W/out/tee-report.bin" >"$W/inspect.json" ||
        fail "confnode inspect cannot parse the collected HCL report"
python3 - "$W/out/tee-report.bin" "$(hex_pad64 "$NONCE")" <<'PY' || fail "the runtime data does not carry the nonce"
import hashlib, json, struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:4] == b"HCLA", d[:4]
size = struct.unpack_from("<I", d, 8)[0]
o = 32 + 1184
n = struct.unpack_from("<I", d, o + 16)[0]
rt = d[o + 20:o + 20 + n]
j = json.loads(rt)
assert j["user-data"].lower() == sys.argv[2], j["user-data"]
assert [k["kid"] for k in j["keys"]] == ["HCLAkPub"], j["keys"]
# report_data of the SNP report = SHA-256(runtime data) || zeros
assert d[32 + 0x50:32 + 0x70] == hashlib.sha256(rt).digest()
assert d[32 + 0x70:32 + 0x90] == bytes(32)
assert size == o + 20 + n
PY
"$CONFNODE_VERIFIER" check --type hcl-report "$W/out/tee-report.bin" --certs "$W/sim/amd" \
        --trust-ark "$W/sim/amd/ark.pem" >"$W/verdict.json" ||
        fail "confnode-verifier rejects the HCL report: $(cat "$W/verdict.json")"
python3 - "$W/verdict.json" "$W/ak-from-hcl.pem" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verified"], d
open(sys.argv[2], "w").write(d["ak_pem"])
PY
# The AK the report vouches for is the one the agent quoted with.
cmp -s <(openssl pkey -pubin -in "$W/ak-from-hcl.pem" -outform DER) \
        <(openssl pkey -pubin -in "$W/out/ak.pem" -outform DER) ||
        fail "the HCL report's HCLAkPub is not the AK the agent quoted with"
"$CONFNODE_VERIFIER" check --type tpm-quote "$W/out/tpm-quote.msg" --sig "$W/out/tpm-quote.sig" \
        --ak "$W/ak-from-hcl.pem" --nonce "$NONCE" --pcrs "$W/out/pcrs.json" >"$W/quote.json" ||
        fail "the quote does not verify with the AK the HCL report vouches for: $(cat "$W/quote.json")"
echo "ok   the refreshed report verifies, carries the nonce and binds the AK that signed the quote"

# Auto-detection finds the report in the TPM.
sed -i 's/^tee = .*/tee = auto/' "$W/confnode.conf"
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out2" --nonce "$NONCE" 2>"$W/err.txt" ||
        fail "collect (tee = auto) failed: $(cat "$W/err.txt")"
python3 -c 'import json,sys; t = json.load(open(sys.argv[1])); assert t["source"] == "azure", t' "$W/out2/tee.json"
[[ -z $(TPM2TOOLS_TCTI=$TCTI tpm2_getcap handles-transient) ]] || fail "collect left transient objects in the TPM"
echo "ok   tee = auto detects Azure's HCL report"
echo "sim-hcl-nv: all checks passed"
