#!/bin/bash
# Scenario d: the verifier is down when the node boots and comes up 30 s
# after confnode starts. The node waits (STATUS= and the journal say so,
# retrying with backoff), then attests, unlocks its disk and hands off.
# Usage: scenario-d.sh BUILD_DIR (after scenario-a.sh)
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"
e2e_init "$1"
trap 'vm_stop; verifier_stop' EXIT
cryptsetup isLuks "$W/vm/data.img" || fail "no LUKS2 state disk from scenario a"
port=$(e2e_free_port)
e2e_seed boot "$port" 300s
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
echo "scenario d: waited ($waits retries logged), then joined: $(e2e_journal | jq -r 'select(.CONFNODE_PHASE == "ready") | .MESSAGE')"
