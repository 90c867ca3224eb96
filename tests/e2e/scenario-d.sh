#!/bin/bash
# Scenario d: the verifier is down when the node boots and comes up 30 s
# after confnode starts. The node waits (STATUS= and the journal say so,
# retrying with backoff), then attests and hands off. The node's state disk
# here is a blank one of its own with the options the other scenarios leave
# at their defaults: xfs and dm-integrity (hmac-sha256), so the first boot
# wipes the integrity tags, makes xfs and mounts it; scenario a's disk is
# put back afterwards.
# Usage: scenario-d.sh BUILD_DIR (after scenario-a.sh)
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"
e2e_init "$1"
cryptsetup isLuks "$W/vm/data.img" || fail "no LUKS2 state disk from scenario a"
mv "$W/vm/data.img" "$W/vm/data-ab.img"
restore() { mv "$W/vm/data-ab.img" "$W/vm/data.img"; }
trap 'vm_stop; verifier_stop; restore' EXIT
# xfs wants 300 MiB; dm-integrity's tags and journal take some of the rest.
truncate -s 400M "$W/vm/data.img"
port=$(e2e_free_port)
E2E_DISK_EXTRA=$'fs = xfs\nintegrity = hmac-sha256' e2e_seed boot "$port" 300s
vm_start "$W/vm" --guestfwd "$port"
for i in $(seq 1 600); do
        grep -aq "Starting.*confnode\.service" "$W/vm/serial.log" 2>/dev/null && break
        kill -0 "$VM_QEMU_PID" 2>/dev/null || fail "the guest stopped before confnode started"
        sleep 0.5
done
grep -aq "Starting.*confnode\.service" "$W/vm/serial.log" || fail "confnode did not start within 300 s"
sleep 30
VERIFIER_WANT_PORT=$port
verifier_start "$W/pki" "$W/policy.json"
vm_wait "$W/vm" 900
k=$(vm_result "$W/vm" kubelet.txt)
grep -q '^kubectl=ok' <<<"$k" || { e2e_journal | jq -r '.MESSAGE' | tail -n 15 >&2; fail "kubelet did not start: $k"; }
waits=$(e2e_journal | jq -r 'select(.MESSAGE | startswith("Waiting for verifier")) | .MESSAGE' | wc -l)
[[ $waits -ge 2 ]] || fail "the node did not wait and retry ($waits waiting records)"
e2e_journal | jq -r 'select(.CONFNODE_PHASE == "ready") | .MESSAGE' | grep -q "Node attested" || fail "no ready record"
disk=$(e2e_journal | jq -r 'select(.CONFNODE_PHASE == "disk") | .MESSAGE')
grep -q "formatted" <<<"$disk" || fail "the blank disk was not formatted: $disk"
grep -q '^kubelet_fstype=xfs$' <<<"$k" || fail "kubelet's state directory is not on xfs: $k"
grep -q '^wrote=/var/lib/kubelet/e2e-boots' <<<"$k" || fail "kubelet could not write to its state directory: $k"
cryptsetup luksDump "$W/vm/data.img" >"$W/luksdump-d.txt" || fail "no LUKS2 header on the xfs disk"
grep -q "integrity: *hmac(sha256)" "$W/luksdump-d.txt" ||
        fail "the LUKS2 segment has no hmac(sha256) integrity: $(grep -i -A8 '^Data segments' "$W/luksdump-d.txt")"
echo "scenario d: waited ($waits retries logged), then joined: $(e2e_journal | jq -r 'select(.CONFNODE_PHASE == "ready") | .MESSAGE')"
echo "scenario d: $disk"
