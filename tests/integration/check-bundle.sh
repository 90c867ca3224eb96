#!/bin/bash
# `confnode-verifier check BUNDLE` and `reference --from BUNDLE` on evidence
# the agent collects itself from simulated platforms (SEV-SNP and TDX
# through the configfs-tsm look-alike, Azure's HCL report in swtpm's NV),
# with a vTPM quote and a measured-boot event log from swtpm: accepted
# under a policy that matches; each broken rule and each tampered file
# rejected with its reason code; a simulated root refused unless the policy
# says "simulated": true; reference values that, merged into a policy,
# accept the golden node again. Then a saved KBS exchange (TDX evidence,
# TPM evidence as additional evidence) built here from the protocol's own
# definitions: the binding is computed independently in Python, and the
# AK counts as vouched for by the TEE.
# Binaries come from CONFNODE, CONFNODE_SIM and CONFNODE_VERIFIER.
set -euo pipefail

: "${CONFNODE:?}" "${CONFNODE_SIM:?}" "${CONFNODE_VERIFIER:?}"
source "$(dirname "$0")/tpm-lib.sh"
source "$(dirname "$0")/sim-lib.sh"
W=$(mktemp -d)
trap 'tsm_tree_stop; swtpm_stop; rm -rf "$W"' EXIT
V=$CONFNODE_VERIFIER
cd "$W"

# expect WANT_EXIT WANT_REASON BUNDLE POLICY [ARGS…]: the decision, its exit
# status, and that the first failed step carries the reason.
expect() {
        local want_rc=$1 want=$2 bundle=$3 policy=$4 rc=0
        shift 4
        "$V" check "$bundle" --policy "$policy" "$@" >"$W/out.json" 2>"$W/err.txt" || rc=$?
        python3 - "$W/out.json" "$want_rc" "$want" "$rc" <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
want_rc, want, rc = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
assert rc == want_rc, f"exit {rc}"
assert d["reason"] == want, d["reason"]
assert d["accepted"] == (want == "ok")
assert all(set(s) == {"name", "status", "reason", "detail"} for s in d["steps"])
fails = [s for s in d["steps"] if s["status"] == "fail"]
if want == "ok":
    assert not fails, fails
elif d["steps"]:
    assert fails[0]["reason"] == want and fails[0]["detail"], fails[0]
    # Every step after the first failure is skipped.
    after = d["steps"][d["steps"].index(fails[0]) + 1:]
    assert all(s["status"] == "skip" for s in after), after
PY
                fail "check $bundle --policy $policy $*: want exit $want_rc, $want; got exit $rc: $(head -c 3000 "$W/out.json") $(cat "$W/err.txt")"
}

# field EXPR: a Python expression over d, the last decision, must hold.
field() {
        python3 -c "import json, sys; d = json.load(open('$W/out.json')); assert $1, d" ||
                fail "not true of the last decision: $1"
}

# mkpolicy OUT PATCH: the base policy with PATCH (JSON) merged in, member by
# member; a null removes a member.
mkpolicy() {
        python3 - "$W/$1" "$2" "$W/base.json" <<'PY'
import json, sys
def merge(a, b):
    for k, v in b.items():
        if v is None:
            a.pop(k, None)
        elif isinstance(v, dict) and isinstance(a.get(k), dict):
            merge(a[k], v)
        else:
            a[k] = v
    return a
base = json.load(open(sys.argv[3]))
json.dump(merge(base, json.loads(sys.argv[2])), open(sys.argv[1], "w"), indent=1)
PY
}

# conf VAR: the value of VAR in the simulated platform's sim.conf.
conf() {
        sed -n "s/^$1 = //p" "$W/sim/sim.conf" | head -1
}

MEASUREMENT=$(od -An -N48 -tx1 /dev/urandom | tr -d ' \n')
MRTD=$(od -An -N48 -tx1 /dev/urandom | tr -d ' \n')
OTHER48=$(od -An -N48 -tx1 /dev/urandom | tr -d ' \n')
sim_init "$W/sim" --set snp.measurement="$MEASUREMENT" --set tdx.mrtd="$MRTD"
swtpm_start "$W/tpm"
"$CONFNODE_SIM" measure-boot --tcti "$TCTI" --out "$W/bbm"

collect_tsm() {
        local provider=$1 out=$2 nonce=$3
        tsm_tree_start "$W/sim" "$W/tsm" --provider "$provider"
        cat >"$W/confnode.conf" <<EOC
[agent]
tee = tsm
tsm_path = $W/tsm/report
eventlog = $W/bbm
[tpm]
pcrs = sha256:0-23
EOC
        "$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$out" --nonce "$nonce" \
                2>"$W/collect.txt" || fail "collect ($provider) failed: $(cat "$W/collect.txt")"
}

NONCE=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
collect_tsm sev_guest "$W/snp" "$NONCE"
tsm_tree_stop
collect_tsm tdx_guest "$W/tdx" "$NONCE"

cat >"$W/base.json" <<EOF
{"version": 1,
 "comment": "check-bundle.sh: the simulated platform's roots and values",
 "anchors": {"amd_ark": ["sim/amd/ark.pem"], "amd_certs": ["sim/amd/ask.pem", "sim/amd/vcek.pem"],
             "intel_root_ca": ["sim/intel/root-ca.pem"], "simulated": true},
 "snp": {"min_tcb": {"bootloader": $(conf tcb_bootloader), "tee": $(conf tcb_tee),
                     "snp": $(conf tcb_snp), "microcode": $(conf tcb_microcode)},
         "measurements": ["$MEASUREMENT"]},
 "tdx": {"min_tee_tcb_svn": "$(conf tee_tcb_svn)", "mrtd": ["$MRTD"]},
 "tpm": {"vtpm": "cloud"}}
EOF
mkpolicy p.json '{}'

# SEV-SNP through configfs-tsm, with the vTPM's quote and event log.
expect 0 ok snp p.json
field 'd["form"] == "collect" and d["tee"] == "snp" and d["vtpm"] == "cloud"'
field '[s["status"] for s in d["steps"] if s["name"] == "tpm.replay"] == ["pass"]'
field 'd["claims"]["snp"]["measurement"] == "'"$MEASUREMENT"'"'
mkpolicy p-bound.json '{"tpm": {"vtpm": "bound"}}'
expect 1 tpm.ak_untrusted snp p-bound.json
mkpolicy p-ignore.json '{"tpm": {"vtpm": "ignore"}}'
expect 0 ok snp p-ignore.json
field 'd["vtpm"] == "ignore"'
mkpolicy p-measurement.json '{"snp": {"measurements": ["'"$OTHER48"'"]}}'
expect 1 snp.measurement snp p-measurement.json
mkpolicy p-tcb.json '{"snp": {"min_tcb": {"snp": '$(($(conf tcb_snp) + 1))'}}}'
expect 1 snp.tcb_min snp p-tcb.json
mkpolicy p-pcr.json '{"tpm": {"pcrs": {"sha256": {"7": ["'"$(printf '%064d' 0)"'"]}}}}'
expect 1 tpm.pcr_policy snp p-pcr.json
echo "ok   snp: accepted; vtpm bound, cloud and ignore; measurement, TCB and PCR rules"

# Tampered copies.
tamper() {
        rm -rf "$W/x"
        cp -r "$W/$1" "$W/x"
}
tamper snp
printf '%s' "ff${NONCE:2}" >"$W/x/nonce.hex"
expect 1 binding.report_data x p.json
tamper snp
python3 - "$W/x/pcrs.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["sha256"]["3"] = "ff" + d["sha256"]["3"][2:]
json.dump(d, open(sys.argv[1], "w"))
PY
expect 1 tpm.pcr_digest x p.json
tamper snp
# An event's SHA-256 digest changed: the log no longer replays to the quote.
python3 - "$W/x/eventlog.bin" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
sizes = {4: 20, 0xb: 32, 0xc: 48, 0xd: 64}
o = 32 + struct.unpack_from("<I", d, 28)[0]  # after the SHA-1 format Spec ID event
while o < len(d):
    pcr, typ, count = struct.unpack_from("<III", d, o)
    p = o + 12
    hit = None
    for _ in range(count):
        alg = struct.unpack_from("<H", d, p)[0]
        if alg == 0xb and typ != 3 and pcr == 4 and hit is None:
            hit = p + 2
        p += 2 + sizes[alg]
    if hit is not None:
        d[hit] ^= 1
        break
    o = p + 4 + struct.unpack_from("<I", d, p)[0]
else:
    sys.exit("no PCR 4 event")
open(sys.argv[1], "wb").write(d)
PY
expect 1 tpm.eventlog_replay x p.json
# A log cut short: the events of PCR 9 are gone, every event left replays.
tamper snp
python3 - "$W/x/eventlog.bin" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
sizes = {4: 20, 0xb: 32, 0xc: 48, 0xd: 64}
o = 32 + struct.unpack_from("<I", d, 28)[0]
out, dropped = bytearray(d[:o]), 0
while o + 12 <= len(d):
    pcr, typ, count = struct.unpack_from("<III", d, o)
    p = o + 12
    for _ in range(count):
        p += 2 + sizes[struct.unpack_from("<H", d, p)[0]]
    end = p + 4 + struct.unpack_from("<I", d, p)[0]
    if pcr == 9:
        dropped += 1
    else:
        out += d[o:end]
    o = end
assert dropped, "no PCR 9 event"
open(sys.argv[1], "wb").write(out)
PY
expect 1 tpm.eventlog_replay x p.json
field '"PCR 9" in d["detail"] and "never extends it" in d["detail"]'
tamper snp
rm "$W/x/eventlog.bin"
expect 1 tpm.eventlog_missing x p.json
mkpolicy p-nolog.json '{"tpm": {"require_eventlog": false}}'
expect 0 ok x p-nolog.json
echo "ok   snp: another nonce, a changed PCR value, a changed event, a log cut short, no event log"

# Reports the platform would make with other values.
tamper snp
"$CONFNODE_SIM" snp-report --dir "$W/sim" --report-data "$(hex_pad64 "$NONCE")" --out "$W/x/tee-report.bin" \
        --set snp.policy=0xb0000
expect 1 snp.debug x p.json
mkpolicy p-debug.json '{"snp": {"allow_debug": true}}'
expect 0 ok x p-debug.json
"$CONFNODE_SIM" snp-report --dir "$W/sim" --report-data "$(hex_pad64 "$NONCE")" --out "$W/x/tee-report.bin" \
        --set snp.vmpl=2
expect 1 snp.vmpl x p.json
mkpolicy p-vmpl.json '{"snp": {"vmpl": [0, 2]}}'
expect 0 ok x p-vmpl.json
echo "ok   snp: debug and VMPL rules"

# The roots: a simulated one only with "simulated": true, and only its own.
mkpolicy p-nosim.json '{"anchors": {"simulated": null}}'
rc=0
"$V" check snp --policy p-nosim.json >"$W/out.json" 2>"$W/err.txt" || rc=$?
[[ $rc == 2 ]] && grep -q "p-nosim.json: anchors.amd_ark\[0\]: 'sim/amd/ark.pem' is a simulated root" "$W/err.txt" ||
        fail "a simulated root without \"simulated\": exit $rc, $(cat "$W/err.txt")"
sim_init "$W/other" --generation milan
mkpolicy p-other.json '{"anchors": {"amd_ark": ["other/amd/ark.pem"], "amd_certs": []}}'
expect 1 snp.ark_untrusted snp p-other.json
echo "ok   roots: a simulated root only with \"simulated\": true, and another platform's is not this one's"

# TDX through configfs-tsm.
expect 0 ok tdx p.json
field 'd["tee"] == "tdx" and d["claims"]["tdx"]["mrtd"] == "'"$MRTD"'"'
mkpolicy p-mrtd.json '{"tdx": {"mrtd": ["'"$OTHER48"'"]}}'
expect 1 tdx.mrtd tdx p-mrtd.json
mkpolicy p-svn.json '{"tdx": {"min_tee_tcb_svn": "ff000000000000000000000000000000"}}'
expect 1 tdx.tcb_min tdx p-svn.json
mkpolicy p-rtmr.json '{"tdx": {"rtmr": {"2": ["'"$OTHER48"'"]}}}'
expect 1 tdx.rtmr tdx p-rtmr.json
mkpolicy p-ccel.json '{"tdx": {"require_ccel": true}}'
expect 1 tdx.ccel_replay tdx p-ccel.json
mkpolicy p-intel.json '{"anchors": {"intel_root_ca": []}}'
expect 1 tdx.root_untrusted tdx p-intel.json
tamper tdx
"$CONFNODE_SIM" tdx-quote --dir "$W/sim" --report-data "$(hex_pad64 "$NONCE")" --out "$W/x/tee-report.bin" \
        --set tdx.td_attributes=0100000000000000
expect 1 tdx.debug x p.json
echo "ok   tdx: accepted; MRTD, TCB SVN, RTMR, CCEL, root and debug rules"

# Reference values: what a golden node's bundle holds, as a fragment that,
# merged into a policy with only the anchors, accepts that node again.
for b in snp tdx; do
        "$V" reference --from "$b" --policy p.json --out "$W/ref-$b.json" 2>"$W/err.txt" ||
                fail "reference --from $b: $(cat "$W/err.txt")"
        python3 - "$W/base.json" "$W/ref-$b.json" "$W/p-ref-$b.json" <<'PY'
import json, sys
base, frag = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ("snp", "tdx"):
    base.pop(k)
assert "NOT" not in frag["comment"][0], frag["comment"]
for k, v in frag.items():
    if isinstance(v, dict) and isinstance(base.get(k), dict):
        base[k].update(v)
    else:
        base[k] = v
json.dump(base, open(sys.argv[3], "w"), indent=1)
PY
        expect 0 ok "$b" "p-ref-$b.json"
        field '[s["status"] for s in d["steps"] if s["name"] == "tpm.pcr_policy"] == ["pass"]'
done
field '[s["status"] for s in d["steps"] if s["name"] == "tdx.rtmr"] == ["pass"]'
"$V" reference --from snp >"$W/ref.json" 2>"$W/err.txt" || fail "reference without --policy failed"
grep -q "NOT verified" "$W/err.txt" && grep -q "NOT verified" "$W/ref.json" ||
        fail "reference without --policy does not say the values are unverified"
rc=0
"$V" reference --from snp --policy p-other.json >"$W/ref.json" 2>"$W/err.txt" || rc=$?
[[ $rc == 1 ]] && grep -q "snp.ark_untrusted" "$W/err.txt" ||
        fail "reference of evidence that does not verify: exit $rc, $(cat "$W/err.txt")"
echo "ok   reference: fragments that accept the golden node again; unverified values are called so"

# A saved KBS exchange: TDX evidence, and the TPM evidence as additional
# evidence, bound as protocol 0.4.0 binds them. The session's key is the
# P-256 base point (a valid public key; nothing is decrypted here).
KBS_NONCE=$(head -c 32 /dev/urandom | base64)
python3 - "$KBS_NONCE" >"$W/binding.env" <<'PY'
import base64, hashlib, json, sys
b64u = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
key = {"kty": "EC", "crv": "P-256", "alg": "ECDH-ES+A256KW",
       "x": b64u(bytes.fromhex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296")),
       "y": b64u(bytes.fromhex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"))}
jcs = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
rt = {"nonce": sys.argv[1], "tee-pubkey": key}
print("TPM_NONCE=" + hashlib.sha384(jcs(rt)).hexdigest()[:64])
json.dump(key, open("key.json", "w"))
PY
source "$W/binding.env"
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/tpmev" --nonce "$TPM_NONCE" \
        2>"$W/collect.txt" || fail "collect for the exchange failed: $(cat "$W/collect.txt")"
tsm_tree_stop
openssl pkey -pubin -in "$W/tpmev/ak.pem" -outform DER -out "$W/tpmev/ak.der"
mkdir -p "$W/kbs"
# kbs_exchange OUT_DIR [TAMPER]: builds request, challenge and attestation.
kbs_exchange() {
        python3 - "$W/tpmev" "$KBS_NONCE" "$1" "${2:-}" <<'PY' >"$W/report-data.hex"
import base64, hashlib, json, os, sys
ev, nonce, out, tamper = sys.argv[1:5]
b64 = lambda p: base64.b64encode(open(os.path.join(ev, p), "rb").read()).decode()
pcrs = json.load(open(os.path.join(ev, "pcrs.json")))["sha256"]
tpm = {"tpm_quote": {"signature": b64("tpm-quote.sig"), "message": b64("tpm-quote.msg"),
                     "pcrs": [pcrs[str(i)] for i in range(24)]},
       "ak_public": b64("ak.der"), "ak_tpmt_public": b64("ak.pub"), "tpm_eventlog": b64("eventlog.bin")}
additional = json.dumps({"tpm": tpm})
key = json.load(open("key.json"))
jcs = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
digest = hashlib.sha384(jcs({"additional-evidence": additional, "nonce": nonce, "tee-pubkey": key})).digest()
print((digest + bytes(16)).hex())
os.makedirs(out, exist_ok=True)
version = "0.3.0" if tamper == "version" else "0.4.0"
json.dump({"version": version, "tee": "tdx", "extra-params": ""}, open(os.path.join(out, "request.json"), "w"))
json.dump({"nonce": nonce, "extra-params": ""}, open(os.path.join(out, "challenge.json"), "w"))
if tamper == "additional":
    additional = json.dumps({"tpm": tpm}, indent=1)  # the same evidence, other bytes
att_nonce = base64.b64encode(os.urandom(32)).decode() if tamper == "nonce" else nonce
json.dump({"runtime-data": {"nonce": att_nonce, "tee-pubkey": key},
           "tee-evidence": {"primary_evidence": {"quote": "QUOTE", "cc_eventlog": None},
                            "additional_evidence": additional}},
          open(os.path.join(out, "attestation.json"), "w"))
PY
        "$CONFNODE_SIM" tdx-quote --dir "$W/sim" --report-data "$(cat "$W/report-data.hex")" --out "$1/quote.bin"
        python3 - "$1" <<'PY'
import base64, json, os, sys
p = os.path.join(sys.argv[1], "attestation.json")
a = json.load(open(p))
a["tee-evidence"]["primary_evidence"]["quote"] = base64.b64encode(
    open(os.path.join(sys.argv[1], "quote.bin"), "rb").read()).decode()
json.dump(a, open(p, "w"))
PY
        rm "$1/quote.bin"
}
kbs_exchange "$W/kbs"
mkpolicy p-kbs.json '{"tpm": {"vtpm": "bound"}}'
expect 0 ok kbs p-kbs.json
field 'd["form"] == "kbs" and d["tee"] == "tdx" and d["vtpm"] == "tee"'
field '[s["status"] for s in d["steps"] if s["name"] == "tpm.replay"] == ["pass"]'
kbs_exchange "$W/kbs-additional" additional
expect 1 binding.report_data kbs-additional p-kbs.json
field 'd["vtpm"] == "none"'
kbs_exchange "$W/kbs-nonce" nonce
expect 1 nonce.mismatch kbs-nonce p-kbs.json
kbs_exchange "$W/kbs-version" version
expect 1 protocol.version kbs-version p-kbs.json
echo "ok   kbs exchange: bound as the protocol says, the AK vouched for by the TEE; other bytes, nonce or version refused"

# Azure: the HCL report in swtpm's NV, made anew for the agent's nonce.
AK=0x81000003
"$CONFNODE_SIM" hcl-nv --tcti "$TCTI" --dir "$W/sim" --ak-handle "$AK" 2>"$W/sim.txt" ||
        fail "hcl-nv failed: $(cat "$W/sim.txt")"
cat >"$W/az.conf" <<EOC
[agent]
tee = azure
eventlog = $W/bbm
[tpm]
ak_handle = $AK
pcrs = sha256:0-23
EOC
"$CONFNODE" --config "$W/az.conf" --tcti "$TCTI" collect --out "$W/az" --nonce "$NONCE" 2>/dev/null &&
        fail "collect took a stale HCL report"
"$CONFNODE_SIM" hcl-nv --tcti "$TCTI" --dir "$W/sim" --ak-handle "$AK" 2>"$W/sim.txt" ||
        fail "hcl-nv failed: $(cat "$W/sim.txt")"
"$CONFNODE" --config "$W/az.conf" --tcti "$TCTI" collect --out "$W/az" --nonce "$NONCE" 2>"$W/collect.txt" ||
        fail "collect (tee = azure) failed: $(cat "$W/collect.txt")"
mkpolicy p-az.json '{"tpm": {"vtpm": "bound"}}'
expect 0 ok az p-az.json
field 'd["tee"] == "az-snp-vtpm" and d["vtpm"] == "azure"'
tamper az
printf '%s' "ff${NONCE:2}" >"$W/x/nonce.hex"
expect 1 binding.report_data x p-az.json
tamper az
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[32 + 1184 + 40] ^= 1; open(sys.argv[1], "wb").write(d)' \
        "$W/x/tee-report.bin"
rc=0
"$V" check x --policy p-az.json >"$W/out.json" 2>/dev/null || rc=$?
field 'not d["accepted"] and d["reason"].startswith("az.")'
"$V" reference --from az --policy p.json --out "$W/ref-az.json" || fail "reference --from az failed"
python3 -c 'import json, sys; f = json.load(open(sys.argv[1])); assert "az-snp-vtpm" in f and "tpm" in f, f' "$W/ref-az.json" ||
        fail "the Azure fragment has no az-snp-vtpm or tpm section"
echo "ok   azure: accepted with the HCL runtime data's AK; another nonce and a changed runtime data refused"

# Usage: what is not a bundle or not a policy is exit 2.
for args in "$W/none --policy p.json" "$W/sim --policy p.json" "snp --policy $W/none.json" \
        "snp --policy p.json --at yesterday" "snp extra --policy p.json"; do
        rc=0
        # shellcheck disable=SC2086
        "$V" check $args >/dev/null 2>"$W/err.txt" || rc=$?
        [[ $rc == 2 && -s $W/err.txt ]] || fail "check $args: exit $rc, want 2 with a message"
done
rc=0
"$V" reference --from snp extra >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "reference with an extra operand: exit $rc"
echo "ok   usage: a missing bundle, a directory that is none, a missing policy, a bad time: exit 2"
echo "check-bundle: all checks passed"
