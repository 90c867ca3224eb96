#!/bin/bash
# The configfs-tsm collector against the simulator's FUSE look-alike:
# `confnode collect` with tee = tsm (and auto) writes a report that the
# teammates' parsers decode (`confnode inspect`), whose report_data is the
# nonce and whose measurement (SNP) or MRTD (TDX) is the simulated
# platform's, and that `confnode-verifier check` verifies to the simulated
# roots; another writer is noticed by generation and gets a retry; the
# entries are removed; errors name the path. Also `confnode boot`'s detect
# phase names the TEE.
# Usage: sim-tsm.sh sev_guest|tdx_guest
# Binaries come from CONFNODE, CONFNODE_SIM and CONFNODE_VERIFIER.
set -euo pipefail

PROVIDER=${1:?usage: $0 sev_guest|tdx_guest}
: "${CONFNODE:?}" "${CONFNODE_SIM:?}" "${CONFNODE_VERIFIER:?}"
source "$(dirname "$0")/tpm-lib.sh"
source "$(dirname "$0")/sim-lib.sh"
W=$(mktemp -d)
trap 'tsm_tree_stop; swtpm_stop; rm -rf "$W"' EXIT

MEASUREMENT=$(od -An -N48 -tx1 /dev/urandom | tr -d ' \n')
MRTD=$(od -An -N48 -tx1 /dev/urandom | tr -d ' \n')
sim_init "$W/sim" --set snp.measurement="$MEASUREMENT" --set tdx.mrtd="$MRTD"
swtpm_start "$W/tpm"
tsm_tree_start "$W/sim" "$W/tsm" --provider "$PROVIDER"

cat >"$W/confnode.conf" <<EOC
[agent]
tee = tsm
tsm_path = $W/tsm/report
eventlog = $W/no-event-log
[tpm]
pcrs = sha256:0-7
EOC

# check_out DIR NONCE: the collected evidence is of this platform, for
# this nonce, and verifies.
check_out() {
        local out=$1 nonce=$2 want
        want=$(hex_pad64 "$nonce")
        [[ -s $out/tee-report.bin && -s $out/tee.json ]] || fail "collect wrote no TEE report"
        case $PROVIDER in
        sev_guest)
                python3 - "$out/tee.json" <<'PY' || fail "tee.json is not an SNP report with certificates"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["tee"] == "snp" and t["source"] == "tsm" and t["provider"] == "sev_guest", t
assert t["format"] == "snp-report" and t["report_size"] == 1184, t
assert t["certificates"] == ["ark", "ask", "vcek"] and t["certs"] == "tee-certs.bin", t
PY
                for c in ark ask vcek; do
                        [[ -s $out/certs/$c.pem ]] || fail "no certs/$c.pem"
                done
                cmp -s "$out/certs/ark.pem" "$W/sim/amd/ark.pem" || fail "certs/ark.pem is not the simulated ARK"
                "$CONFNODE" inspect --type snp-report "$out/tee-report.bin" >"$W/inspect.json" ||
                        fail "confnode inspect cannot parse the collected SNP report"
                python3 - "$W/inspect.json" "$want" "$MEASUREMENT" "$W/sim/sim.conf" <<'PY' ||
import json, re, sys
r = json.load(open(sys.argv[1]))
assert r["report_data"] == sys.argv[2], (r["report_data"], sys.argv[2])
assert r["measurement"] == sys.argv[3], r["measurement"]
chip = re.search(r"^chip_id = (\w+)$", open(sys.argv[4]).read(), re.M).group(1)
assert r["chip_id"] == chip, (r["chip_id"], chip)
assert r["vmpl"] == 0 and r["version"] == 3, r
PY
                        fail "the SNP report does not carry the nonce, measurement and chip of the simulated platform"
                # The certificates the platform handed out verify it, with
                # the simulated ARK as the one trusted root.
                "$CONFNODE_VERIFIER" check --type snp-report "$out/tee-report.bin" --certs "$out/certs" \
                        --trust-ark "$W/sim/amd/ark.pem" >"$W/verdict.json" ||
                        fail "confnode-verifier rejects the collected report: $(cat "$W/verdict.json")"
                python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["verified"] and all(d["checked"].values()) and d["ark_trust"] == "pinned", d' "$W/verdict.json"
                ;;
        tdx_guest)
                python3 - "$out/tee.json" <<'PY' || fail "tee.json is not a TDX quote"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["tee"] == "tdx" and t["source"] == "tsm" and t["provider"] == "tdx_guest", t
assert t["format"] == "tdx-quote" and "certs" not in t, t
PY
                [[ ! -e $out/tee-certs.bin ]] || fail "a TDX quote came with a certificate table"
                "$CONFNODE" inspect --type tdx-quote "$out/tee-report.bin" >"$W/inspect.json" ||
                        fail "confnode inspect cannot parse the collected TDX quote"
                python3 - "$W/inspect.json" "$want" "$MRTD" <<'PY' || fail "the quote does not carry the nonce and MRTD"
import json, sys
q = json.load(open(sys.argv[1]))
def find(o, k):
    if isinstance(o, dict):
        if k in o:
            return o[k]
        for v in o.values():
            f = find(v, k)
            if f is not None:
                return f
    return None
assert q["version"] == 4, q["version"]
assert find(q, "report_data") == sys.argv[2], find(q, "report_data")
assert find(q, "mrtd") == sys.argv[3], find(q, "mrtd")
PY
                "$CONFNODE_VERIFIER" check --type tdx-quote "$out/tee-report.bin" --root-ca "$W/sim/intel/root-ca.pem" \
                        >"$W/verdict.json" || fail "confnode-verifier rejects the collected quote: $(cat "$W/verdict.json")"
                python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); c = d["checked"]; assert d["verified"] and c["chain"] and c["qe_report"] and c["qe_binding"] and c["signature"], d' "$W/verdict.json"
                # Intel's real root does not vouch for a simulated PCK.
                if "$CONFNODE_VERIFIER" check --type tdx-quote "$out/tee-report.bin" >"$W/verdict.json" 2>/dev/null; then
                        fail "the simulated quote verifies to Intel's root CA"
                fi
                ;;
        esac
        [[ -z $(ls "$W/tsm/report") ]] || fail "collect left entries behind: $(ls "$W/tsm/report")"
}

NONCE=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out" --nonce "$NONCE" 2>"$W/err.txt" ||
        fail "collect (tee = tsm) failed: $(cat "$W/err.txt")"
check_out "$W/out" "$NONCE"
grep -q "TEE $([[ $PROVIDER == sev_guest ]] && echo snp || echo tdx) via tsm" "$W/err.txt" ||
        fail "the summary does not name the TEE: $(cat "$W/err.txt")"
echo "ok   $PROVIDER: collect (tee = tsm) gives a report that parses, binds the nonce and verifies"

# Auto-detection finds the tree (no /dev/sev-guest or /dev/tdx_guest on
# the build host, and swtpm has no HCL report), with a 64-byte nonce.
NONCE=$(od -An -N64 -tx1 /dev/urandom | tr -d ' \n')
sed -i 's/^tee = .*/tee = auto/' "$W/confnode.conf"
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out" --nonce "$NONCE" 2>"$W/err.txt" ||
        fail "collect (tee = auto) failed: $(cat "$W/err.txt")"
check_out "$W/out" "$NONCE"
echo "ok   $PROVIDER: tee = auto detects configfs-tsm"

# The boot path's detect phase names the TEE (and stops later: no verifier
# answers; the evidence for a verifier is tested in agent-retry.sh).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test \
        -keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
echo -e "[verifier]\nurl = https://127.0.0.1:1\nca = $W/ca.pem\nretry_deadline = 1s" >>"$W/confnode.conf"
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" boot 2>"$W/boot.txt" || true
grep -q "\[detect\] TEE $([[ $PROVIDER == sev_guest ]] && echo snp || echo tdx) via tsm '$W/tsm/report' (provider $PROVIDER)" \
        "$W/boot.txt" || fail "boot's detect phase does not name the TEE: $(cat "$W/boot.txt")"
grep -q "reason: kbs.unreachable" "$W/boot.txt" || fail "boot did not stop for want of a verifier: $(cat "$W/boot.txt")"
echo "ok   $PROVIDER: boot detects the TEE"

# Another writer between our inblob and our outblob: generation tells, and
# the collector starts over in a fresh entry.
tsm_tree_stop
tsm_tree_start "$W/sim" "$W/tsm" --provider "$PROVIDER" --simulate-other-writer
sed -i 's/^tee = .*/tee = tsm/' "$W/confnode.conf"
NONCE=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out2" --nonce "$NONCE" 2>"$W/err.txt" ||
        fail "collect with another writer failed: $(cat "$W/err.txt")"
check_out "$W/out2" "$NONCE"
python3 -c 'import json,sys; t = json.load(open(sys.argv[1])); assert t["attempts"] == 2, t' "$W/out2/tee.json" ||
        fail "the collector did not start over after another writer"
grep -q "another writer" "$W/err.txt" || fail "the summary does not mention the other writer"
echo "ok   $PROVIDER: another writer is noticed by generation and the report taken again"

# Errors name what failed: a report directory that is not there, and a
# tree that was there but is gone.
sed -i "s|^tsm_path = .*|tsm_path = $W/no-such-tsm/report|" "$W/confnode.conf"
rc=0
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out3" --nonce 00 2>"$W/err.txt" || rc=$?
[[ $rc == 1 ]] || fail "collect with no configfs-tsm: exit $rc, want 1"
grep -q "$W/no-such-tsm/report" "$W/err.txt" || fail "the error does not name the path: $(cat "$W/err.txt")"
grep -q "evidence.collect\|tee = tsm" "$W/err.txt" || fail "the error does not say what failed: $(cat "$W/err.txt")"
echo "ok   $PROVIDER: a missing report directory is an error that names it"

# The stale TEE files of a run with a TEE go when the next run has none.
sed -i 's/^tee = .*/tee = none/' "$W/confnode.conf"
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out" --nonce 01 2>/dev/null ||
        fail "collect with tee = none failed"
[[ ! -e $W/out/tee-report.bin && ! -e $W/out/tee-certs.bin && ! -e $W/out/certs ]] ||
        fail "tee = none left the TEE files of the earlier run"
python3 -c 'import json,sys; t = json.load(open(sys.argv[1])); assert t["tee"] == "none", t' "$W/out/tee.json"
echo "ok   $PROVIDER: tee = none removes stale TEE files"
echo "sim-tsm $PROVIDER: all checks passed"
