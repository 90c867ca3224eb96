#!/bin/bash
# Scenario e: the state disk holds an ext4 file system with data. The node
# refuses it, names what it found, asks for no key and touches nothing;
# kubelet does not start.
# Usage: scenario-e.sh BUILD_DIR (after golden.sh)
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"
e2e_init "$1"
trap 'vm_stop; verifier_stop; rm -rf "$W/e-data"' EXIT
mkdir -p "$W/e-data"
echo "precious data $(date +%s%N)" >"$W/e-data/precious.txt"
rm -f "$W/vm/data-e.img"
mke2fs -q -t ext4 -d "$W/e-data" -L data "$W/vm/data-e.img" 256M
before=$(sha256sum <"$W/vm/data-e.img")
# This scenario boots with its own state disk; a's and b's stays aside.
mv "$W/vm/data.img" "$W/vm/data-ab.img"
mv "$W/vm/data-e.img" "$W/vm/data.img"
restore() { mv "$W/vm/data.img" "$W/vm/data-e.img"; mv "$W/vm/data-ab.img" "$W/vm/data.img"; }
trap 'vm_stop; verifier_stop; restore; rm -rf "$W/e-data"' EXIT
VERIFIER_WANT_PORT=$(e2e_free_port)
verifier_start "$W/pki" "$W/policy.json"
e2e_seed boot "$VERIFIER_PORT" 60s
vm_boot "$W/vm" 900 --guestfwd "$VERIFIER_PORT"
after=$(sha256sum <"$W/vm/data.img")
[[ $before == "$after" ]] || fail "the ext4 disk changed"
debugfs -R "cat /precious.txt" "$W/vm/data.img" 2>/dev/null | grep -q "precious data" || fail "the data is gone"
vm_result "$W/vm" kubelet.txt | grep -q . && fail "kubelet started"
e2e_journal | jq -r 'select(.CONFNODE_REASON != null) | .CONFNODE_REASON' | grep -qx "disk.foreign_fs" ||
        fail "no CONFNODE_REASON=disk.foreign_fs: $(e2e_journal | jq -r '.CONFNODE_REASON // empty' | sort -u | tr '\n' ' ')"
msg=$(e2e_journal | jq -r 'select(.CONFNODE_REASON == "disk.foreign_fs") | .MESSAGE')
echo "scenario e: refused ($msg); the disk and its data are untouched"
