#!/bin/bash
# Issue 4's last point, where it can run: the CUSE /dev/sev-guest simulator
# and the agent's sev-guest collector, inside a QEMU guest (the build host
# has no /dev/cuse). The guest runs tests/integration/sim-sev-guest-cuse.sh
# unchanged and the host reads its output and exit code from the results
# disk.
# Usage: cuse.sh BUILD_DIR
set -euo pipefail
here=$(dirname "$0")
source "$here/qemu-lib.sh"
W=$(mktemp -d)
trap 'vm_stop; rm -rf "$W" "$VM_IMAGE_DIR"' EXIT
vm_image "$1"
vm_new "$W/vm"
vm_boot "$W/vm" 600 --append confnode.e2e=cuse
rc=$(vm_result "$W/vm" cuse.rc)
vm_result "$W/vm" cuse.out
if [[ $rc != 0 ]]; then
        echo "FAIL: sim-sev-guest-cuse.sh in the guest exited '${rc:-nothing}'" >&2
        grep -E "confnode|sev|cuse|Failed" "$W/vm/serial.log" | tail -n 20 >&2
        exit 1
fi
echo "e2e cuse: OK"
