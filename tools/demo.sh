#!/usr/bin/env bash
# The main job from README.md, on the embedded default: a simulated SEV-SNP
# platform served through a configfs-tsm look-alike (FUSE), a software TPM
# (swtpm) whose PCRs a simulated measured boot has extended, the reference
# verifier serving the KBS protocol over HTTPS on loopback, and the agent
# attesting to it: auth, evidence bound to the verifier's nonce and the
# agent's ephemeral key, appraisal against a policy made from a golden
# node's reference values, and release of the disk key and the kubelet join
# bundle into the agent's locked memory.
# Installs its dependencies, builds, runs, and stops everything it started.
#
# Then the same agent end to end in a QEMU guest (tests/e2e): a golden boot
# gives the reference values, the first boot formats the LUKS2 state disk and
# hands off to kubelet, the second unlocks it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/deps.sh"
confnode_install_deps

build="$top/build"
echo "==> build ($build)"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target confnode confnode-verifier confnode-sim >/dev/null
CONFNODE=$build/src/agent/confnode
VERIFIER=$build/src/verifier/confnode-verifier
SIM=$build/src/sim/confnode-sim

. "$top/tests/integration/tpm-lib.sh"
CONFNODE_SIM=$SIM
CONFNODE_VERIFIER=$VERIFIER
. "$top/tests/integration/sim-lib.sh"
. "$top/tests/integration/kbs-lib.sh"
W=$(mktemp -d /tmp/confnode-demo.XXXXXX)
trap 'verifier_stop; tsm_tree_stop; swtpm_stop; rm -rf "$W"' EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "A simulated SEV-SNP platform (simulated AMD ARK/ASK/VCEK), served as configfs-tsm over FUSE"
sim_init "$W/sim"
tsm_tree_start "$W/sim" "$W/tsm" --provider sev_guest
echo "simulator pid $TSM_PID, configfs-tsm look-alike at $W/tsm/report"

step "Start a software TPM (swtpm) on loopback"
swtpm_start "$W/tpm"
echo "swtpm pid $SWTPM_PID, TCTI $TCTI"

step "Simulated measured boot: firmware, boot loader and kernel command line extend the PCRs and write the event log"
"$SIM" measure-boot --tcti "$TCTI" --out "$W/binary_bios_measurements" \
        --cmdline "root=/dev/vda ro console=ttyS0 confnode.demo=1"
"$CONFNODE" inspect --type eventlog "$W/binary_bios_measurements" |
        jq -r '"\(.events | length) events; replayed sha256 PCRs 0-9:", (.pcrs.sha256 | to_entries[] | select((.key | tonumber) < 10) | "  PCR \(.key): \(.value)")'

agent_conf() { # URL
        cat >"$W/confnode.conf" <<EOC
[agent]
tee = tsm
tsm_path = $W/tsm/report
eventlog = $W/binary_bios_measurements
[tpm]
tcti = $TCTI
ak_algorithm = ecc-p256
[verifier]
url = $1
ca = $W/pki/ca.pem
retry_deadline = 30s
EOC
}
kbs_pki "$W/pki"
agent_conf https://127.0.0.1:8443
step "Configuration (confnode check-config)"
"$CONFNODE" --config "$W/confnode.conf" check-config

step "A golden node's reference values (confnode collect, then confnode-verifier reference --from)"
"$CONFNODE" --config "$W/confnode.conf" collect --out "$W/golden" >/dev/null
"$VERIFIER" reference --from "$W/golden" 2>/dev/null >"$W/reference.json"
jq -c '{snp: {measurements: .snp.measurements, min_tcb: .snp.min_tcb}, "tpm.pcrs.sha256": (.tpm.pcrs.sha256 | keys)}' "$W/reference.json"

step "The operator's policy: those values, the (simulated) AMD root, and what may be released"
jq --arg sim "$W/sim" '. + {version: 1,
        anchors: {amd_ark: [($sim + "/amd/ark.pem")], simulated: true, builtin: false},
        resources: [{path: "confnode/disk-key/*", kind: "disk-key", tees: ["snp"]},
                    {path: "confnode/kubelet/join", kind: "join-bundle", tees: ["snp"]}]}
        | .tpm.vtpm = "bound" | .tpm.require_eventlog = true' "$W/reference.json" >"$W/policy.json"
jq -c '{anchors, resources, vtpm: .tpm.vtpm}' "$W/policy.json"

step "The reference verifier: confnode-verifier serve (HTTPS on loopback, test CA, SQLite state)"
verifier_start "$W/pki" "$W/policy.json"
echo "verifier pid $VERIFIER_PID at $VERIFIER_URL"
agent_conf "$VERIFIER_URL"

step "confnode attest: auth, evidence bound to the nonce, appraisal, release (values never printed)"
"$CONFNODE" --config "$W/confnode.conf" attest --disk-uuid 4f1c2b3a-9d8e-4c7b-a6f5-0e1d2c3b4a59 \
        --save-bundle "$W/exchange"

step "The same exchange appraised offline (confnode-verifier check BUNDLE): each step"
"$VERIFIER" check "$W/exchange" --policy "$W/policy.json" |
        jq -r '"decision: \(if .accepted then "accepted" else "rejected: \(.reason)" end), vTPM trusted via: \(.vtpm)",
                (.steps[] | "  \(.status)\t\(.name)")'

step "The boot path (confnode boot) on this host: no state disk is configured, so it stops before kubelet"
set +e
"$CONFNODE" --config "$W/confnode.conf" boot
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "unexpected: confnode boot exited $rc" >&2; exit 1; }
echo "(confnode boot exited 1: without an encrypted state disk the node must not report ready)"

step "A changed kernel command line: PCR 9 moves, the verifier refuses, nothing is released"
swtpm_stop
rm -rf "$W/tpm"
swtpm_start "$W/tpm"
"$SIM" measure-boot --tcti "$TCTI" --out "$W/binary_bios_measurements" \
        --cmdline "root=/dev/vda ro console=ttyS0 confnode.demo=1 init=/bin/sh" >/dev/null
sed -i "s|^tcti = .*|tcti = $TCTI|" "$W/confnode.conf"
set +e
"$CONFNODE" --config "$W/confnode.conf" attest --once --disk-uuid 4f1c2b3a-9d8e-4c7b-a6f5-0e1d2c3b4a59
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "unexpected: attest of a changed boot exited $rc" >&2; exit 1; }

step "What the verifier recorded and counts"
sqlite3 "$W/pki/state.db" "select accepted, reason, tee from decisions order by rowid" 2>/dev/null |
        sed 's/^/  decision: /' || true
curl -sf --cacert "$W/pki/ca.pem" "$VERIFIER_URL/metrics" | grep -E '^confnode_attestations_total' | grep -v ' 0$' || true

step "End to end in a QEMU guest (OVMF, swtpm vTPM, simulated SEV-SNP over CUSE, the verifier on this host's loopback)"
echo "Building or reusing the Debian 12 guest image (the first time: mmdebstrap from Debian's archive, a few minutes)"
t=$(date +%s)
"$top/tests/e2e/golden.sh" "$build"
echo "(golden boot and reference values: $(($(date +%s) - t)) s)"

step "First boot of a blank state disk: attest, format LUKS2, mount, hand off to kubelet (journal phases from the guest)"
t=$(date +%s)
"$top/tests/e2e/scenario-a.sh" "$build"
echo "(boot: $(($(date +%s) - t)) s of QEMU under TCG)"

step "Second boot of the same disks: attest, unlock, the first boot's file is still there"
t=$(date +%s)
"$top/tests/e2e/scenario-b.sh" "$build"
echo "(boot: $(($(date +%s) - t)) s)"

step "The verifier's decisions for the guest's boots"
sqlite3 "$build/e2e-work/pki/state.db" \
        "select datetime(at, 'unixepoch'), tee, case accepted when 1 then 'accepted' else 'rejected: ' || reason end, (duration_us / 1000.0) || ' ms' from decisions order by id" |
        sed 's/^/  /; s/|/  /g'

step "Done"
cat <<TXT
The node proved itself to the verifier: its SEV-SNP report (simulated AMD
chain) vouches for its vTPM's key, the quote and event log show the boot it
claims, and both are bound to the verifier's nonce and the agent's key. The
disk key and the join bundle were released into locked memory; a changed
boot got nothing. In the QEMU guest the same agent formatted and then
unlocked its LUKS2 state disk and handed off to kubelet, which started only
after READY=1.
TXT
