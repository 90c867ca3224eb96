#!/bin/bash
# Scenario a: first boot of a blank state disk. The node attests, gets the
# key for a fresh UUID, formats LUKS2, makes the file system, mounts it
# where kubelet keeps its state and hands off; kubelet (a stand-in that
# checks the bootstrap kubeconfig with the real kubectl) starts and writes
# a file to the state disk.
# Usage: scenario-a.sh BUILD_DIR (after golden.sh)
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"
e2e_init "$1"
trap 'vm_stop; verifier_stop' EXIT
[[ -f $W/policy.json ]] || fail "no golden policy: run golden.sh first"
VERIFIER_WANT_PORT=$(e2e_free_port)
verifier_start "$W/pki" "$W/policy.json"
e2e_seed boot "$VERIFIER_PORT" 120s
truncate -s 0 "$W/vm/data.img"
truncate -s 256M "$W/vm/data.img"
vm_boot "$W/vm" 900 --guestfwd "$VERIFIER_PORT"
k=$(vm_result "$W/vm" kubelet.txt)
grep -q '^kubectl=ok' <<<"$k" || { e2e_journal | jq -r '.MESSAGE' | tail -n 15 >&2; fail "kubelet did not start with a valid kubeconfig: $k"; }
grep -q '^wrote=/var/lib/kubelet/e2e-boots' <<<"$k" || fail "kubelet could not write to its state directory: $k"
grep -q '^boots=1$' <<<"$k" || fail "a first boot should see one kubelet run on the disk: $k"
e2e_journal | jq -r 'select(.CONFNODE_PHASE == "disk") | .MESSAGE' | grep -q "formatted\|format" ||
        fail "the journal does not say the disk was formatted"
cryptsetup luksDump "$W/vm/data.img" >"$W/luksdump.txt" || fail "the state disk holds no LUKS2 header"
grep -q "confnode" "$W/luksdump.txt" || fail "the LUKS2 header is not marked as confnode's"
e2e_journal | jq -r 'select(.CONFNODE_PHASE != null) | "\(.CONFNODE_PHASE): \(.MESSAGE)"'
echo "scenario a: formatted, mounted, kubelet ran and wrote to the state disk"
