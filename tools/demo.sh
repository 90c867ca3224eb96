#!/usr/bin/env bash
# The main job from README.md, on the embedded default: a simulated SEV-SNP
# platform served through a configfs-tsm look-alike (FUSE), a software TPM
# (swtpm) whose PCRs a simulated measured boot has extended, the agent's
# boot path, and the reference verifier's check of what the agent collected.
# Installs its dependencies, builds, runs, and stops everything it started.
#
# What works today: configuration, TEE detection and report collection,
# event log, vTPM quote, offline verification of all of it. The boot path stops honestly after the evidence step: the
# KBS client, the verifier service, the disk and the kubelet handoff are the
# next issues, and until they land no key is released and kubelet never starts.
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
. "$top/tests/integration/sim-lib.sh"
W=$(mktemp -d /tmp/confnode-demo.XXXXXX)
trap 'tsm_tree_stop; swtpm_stop; rm -rf "$W"' EXIT

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
        jq -r '"\(.events | length) events; replayed sha256 PCRs:", (.pcrs.sha256 | to_entries[] | "  PCR \(.key): \(.value)")'

cat >"$W/confnode.conf" <<EOC
[agent]
tee = tsm
tsm_path = $W/tsm/report
eventlog = $W/binary_bios_measurements
[tpm]
tcti = $TCTI
pcrs = sha256:0-9
[verifier]
url = https://127.0.0.1:8443
EOC
step "Configuration (confnode check-config)"
"$CONFNODE" --config "$W/confnode.conf" check-config

step "The boot path (confnode boot), as confnode.service runs it"
set +e
"$CONFNODE" --config "$W/confnode.conf" boot
rc=$?
set -e
if [ "$rc" -ne 1 ]; then
        echo "unexpected: confnode boot exited $rc" >&2
        exit 1
fi
echo "(confnode boot exited 1 on purpose: attestation is the next step, so no key and no kubelet)"

step "Collect the evidence with a verifier-style nonce (confnode collect)"
nonce=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
"$CONFNODE" --config "$W/confnode.conf" collect --out "$W/evidence" --nonce "$nonce"
ls -l "$W/evidence"

step "The reference verifier checks the SEV-SNP report: ARK -> ASK -> VCEK, signature, TCB, chip"
"$VERIFIER" check --type snp-report "$W/evidence/tee-report.bin" --certs "$W/evidence/certs" \
        --trust-ark "$W/sim/amd/ark.pem" | jq '{verified, reason, checked}'
"$CONFNODE" inspect --type snp-report "$W/evidence/tee-report.bin" |
        jq -r '"report_data: \(.report_data)", "measurement: \(.measurement)"'
echo "nonce:       $nonce (zero-padded to 64 bytes)"

step "The reference verifier checks the quote: AK signature, nonce, PCR digest"
"$VERIFIER" check --type tpm-quote "$W/evidence/tpm-quote.msg" --sig "$W/evidence/tpm-quote.sig" \
        --ak "$W/evidence/ak.pem" --nonce "$nonce" --pcrs "$W/evidence/pcrs.json"

step "The event log replays to exactly the quoted PCR values"
"$CONFNODE" inspect --type eventlog "$W/evidence/eventlog.bin" >"$W/replayed.json"
# A PCR the log never extends must still hold its reset value (all zeros).
if jq -e --slurpfile q "$W/evidence/pcrs.json" '
        .pcrs.sha256 as $r | $q[0].sha256 | to_entries |
        all(.value == ($r[.key] // ("0" * 64)))' "$W/replayed.json" >/dev/null; then
        echo "replay == quoted PCRs ($(jq '.sha256 | length' "$W/evidence/pcrs.json") sha256 PCRs)"
else
        echo "event log does not replay to the quoted PCRs" >&2
        exit 1
fi

step "A replayed quote (another nonce) is rejected"
set +e
"$VERIFIER" check --type tpm-quote "$W/evidence/tpm-quote.msg" --sig "$W/evidence/tpm-quote.sig" \
        --ak "$W/evidence/ak.pem" --nonce "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "unexpected: a wrong nonce gave exit $rc" >&2; exit 1; }

step "Done"
cat <<TXT
Evidence collection works end to end: a SEV-SNP report from the simulated
platform through configfs-tsm, a real TPM 2.0 quote (swtpm) and the event
log, each checked independently. Next (in order): the KBS client and the
reference verifier service with its policy and key release, then the LUKS2
state disk and the kubelet handoff in a QEMU guest.
TXT
