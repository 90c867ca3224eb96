#!/bin/bash
# /dev/sev-guest over CUSE: the agent's sev-guest collector against the
# simulator's device with the real ioctl ABI. The first certificate buffer
# is one page, too small for the simulated ARK, ASK and VCEK, so the
# collector must grow it as the driver says. Needs /dev/cuse, which the
# build host lacks (it runs in the QEMU guest); without it the test is
# skipped (exit 77). The request handling itself is unit-tested on every
# host (test-sev-guest-sim).
# Binaries come from CONFNODE, CONFNODE_SIM and CONFNODE_VERIFIER.
set -euo pipefail

: "${CONFNODE:?}" "${CONFNODE_SIM:?}" "${CONFNODE_VERIFIER:?}"
if [[ ! -c /dev/cuse ]]; then
        echo "SKIP: no /dev/cuse here (the QEMU guest has it)"
        exit 77
fi
source "$(dirname "$0")/tpm-lib.sh"
source "$(dirname "$0")/sim-lib.sh"
W=$(mktemp -d)
DEV=confnode-sev-$$
CUSE_PID=
cuse_stop() {
        if [[ -n $CUSE_PID ]]; then
                kill "$CUSE_PID" 2>/dev/null || true
                for _ in $(seq 1 50); do
                        kill -0 "$CUSE_PID" 2>/dev/null || break
                        sleep 0.1
                done
                CUSE_PID=
        fi
}
trap 'cuse_stop; swtpm_stop; rm -rf "$W"' EXIT

sim_init "$W/sim"
swtpm_start "$W/tpm"
"$CONFNODE_SIM" sev-guest --dir "$W/sim" --name "$DEV" --daemon --pid-file "$W/cuse.pid" 2>"$W/cuse.log" ||
        fail "the CUSE device did not start: $(cat "$W/cuse.log")"
CUSE_PID=$(cat "$W/cuse.pid")
for _ in $(seq 1 50); do
        [[ -c /dev/$DEV ]] && break
        sleep 0.1
done
[[ -c /dev/$DEV ]] || fail "no /dev/$DEV"

cat >"$W/confnode.conf" <<EOC
[agent]
tee = sev-guest
sev_guest_path = /dev/$DEV
eventlog = $W/no-event-log
[tpm]
pcrs = sha256:0-7
EOC
NONCE=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out" --nonce "$NONCE" 2>"$W/err.txt" ||
        fail "collect (tee = sev-guest) failed: $(cat "$W/err.txt")"
python3 - "$W/out/tee.json" "$(hex_pad64 "$NONCE")" <<'PY' || fail "tee.json: $(cat "$W/out/tee.json")"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["tee"] == "snp" and t["source"] == "sev-guest" and t["format"] == "snp-report", t
assert t["certificates"] == ["ark", "ask", "vcek"] and t["report_data"] == sys.argv[2], t
PY
"$CONFNODE_VERIFIER" check --type snp-report "$W/out/tee-report.bin" --certs "$W/out/certs" \
        --trust-ark "$W/sim/amd/ark.pem" >"$W/verdict.json" || fail "the report does not verify: $(cat "$W/verdict.json")"
echo "ok   collect through /dev/$DEV: the certificate buffer grew, the report verifies"

sed -i "s/^tee = .*/tee = auto\ntsm_path = ${W//\//\\/}\/no-tsm/" "$W/confnode.conf"
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/out2" --nonce 00 2>"$W/err.txt" ||
        fail "collect (tee = auto) failed: $(cat "$W/err.txt")"
python3 -c 'import json,sys; t = json.load(open(sys.argv[1])); assert t["source"] == "sev-guest", t' "$W/out2/tee.json"
echo "ok   tee = auto detects /dev/$DEV"
echo "sim-sev-guest-cuse: all checks passed"
