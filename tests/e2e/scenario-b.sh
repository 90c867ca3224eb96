#!/bin/bash
# Scenario b: the second boot of scenario a's disks. The node attests
# again, gets the key of the UUID in the LUKS2 header, opens (no format)
# and mounts the state disk; the file kubelet wrote on the first boot is
# still there. This boot also checks the file system first ([disk] fsck).
# Usage: scenario-b.sh BUILD_DIR (after scenario-a.sh)
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"
e2e_init "$1"
trap 'vm_stop; verifier_stop' EXIT
cryptsetup isLuks "$W/vm/data.img" || fail "no LUKS2 state disk from scenario a"
uuid=$(cryptsetup luksUUID "$W/vm/data.img")
VERIFIER_WANT_PORT=$(e2e_free_port)
verifier_start "$W/pki" "$W/policy.json"
E2E_DISK_EXTRA="fsck = yes" e2e_seed boot "$VERIFIER_PORT" 120s
vm_boot "$W/vm" 900 --guestfwd "$VERIFIER_PORT"
k=$(vm_result "$W/vm" kubelet.txt)
grep -q '^kubectl=ok' <<<"$k" || { e2e_journal | jq -r '.MESSAGE' | tail -n 15 >&2; fail "kubelet did not start: $k"; }
grep -q '^boots=2$' <<<"$k" || fail "the file written on the first boot is not on the state disk: $k"
e2e_journal | jq -r 'select(.CONFNODE_PHASE == "disk") | .MESSAGE' | grep -q "State disk '/dev/vdb' unlocked" ||
        fail "the disk was not simply opened: $(e2e_journal | jq -r 'select(.CONFNODE_PHASE == "disk") | .MESSAGE')"
[[ $(cryptsetup luksUUID "$W/vm/data.img") == "$uuid" ]] || fail "the LUKS UUID changed"
fsck_ms=$(e2e_journal | jq -r 'select(.CONFNODE_PHASE == "disk") | .MESSAGE' | sed -n 's/.*fsck \([0-9.]*\) ms.*/\1/p; s/.*fsck \([0-9.]*\),.*/\1/p' | head -n 1)
[[ -n $fsck_ms && $fsck_ms != 0.0 ]] || fail "the file system was not checked before mounting (fsck '$fsck_ms' ms)"
e2e_journal | jq -r 'select(.CONFNODE_PHASE != null) | "\(.CONFNODE_PHASE): \(.MESSAGE)"'
echo "scenario b: unlocked $uuid, the first boot's file is still there"
