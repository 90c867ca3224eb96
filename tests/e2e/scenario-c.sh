#!/bin/bash
# Scenario c: the node boots with a changed kernel command line (the EFI
# stub measures it into PCR 9). The verifier rejects the evidence with its
# reason; kubelet never starts; the state disk is byte-identical before and
# after; the guest's journal carries the reason as CONFNODE_REASON=.
# Usage: scenario-c.sh BUILD_DIR (after golden.sh)
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"
e2e_init "$1"
trap 'vm_stop; verifier_stop' EXIT
[[ -f $W/policy.json ]] || fail "no golden policy: run golden.sh first"

VERIFIER_WANT_PORT=$(e2e_free_port)
verifier_start "$W/pki" "$W/policy.json"
e2e_seed boot "$VERIFIER_PORT" 20s
before=$(head -c 16M "$W/vm/data.img" | sha256sum)
vm_boot "$W/vm" 600 --guestfwd "$VERIFIER_PORT" --append "confnode.e2e_changed=1"
after=$(head -c 16M "$W/vm/data.img" | sha256sum)

[[ $before == "$after" ]] || fail "the state disk changed although the node was rejected"
vm_result "$W/vm" kubelet.txt | grep -q . && fail "kubelet started on a rejected node: $(vm_result "$W/vm" kubelet.txt)"
vm_result "$W/vm" units.txt | grep -A3 "Id=confnode.service" | grep -q "ActiveState=failed" ||
        fail "confnode.service did not fail: $(vm_result "$W/vm" units.txt)"
e2e_journal | jq -r 'select(.CONFNODE_REASON != null) | .CONFNODE_REASON' | grep -qx "tpm.pcr_policy" ||
        fail "the guest journal has no CONFNODE_REASON=tpm.pcr_policy: $(e2e_journal | jq -r '.CONFNODE_REASON // empty' | sort -u | tr '\n' ' ')"
n=$(sqlite3 "$W/pki/state.db" "select count(*) from decisions where accepted = 0 and reason = 'tpm.pcr_policy'")
[[ $n -ge 1 ]] || fail "the verifier recorded no tpm.pcr_policy rejection"
detail=$(sqlite3 "$W/pki/state.db" "select detail from decisions where reason = 'tpm.pcr_policy' limit 1")
grep -q "PCR 9" <<<"$detail" || fail "the rejection does not name PCR 9: $detail"
echo "scenario c: rejected ($detail); kubelet did not start; state disk unchanged"
