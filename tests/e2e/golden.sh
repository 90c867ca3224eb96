#!/bin/bash
# The e2e fixture: builds (or reuses) the guest image, makes the simulated
# platform and the verifier's PKI, and boots the guest once as a golden node:
# it collects its evidence (simulated SEV-SNP through CUSE /dev/sev-guest,
# the vTPM quote and the real UEFI event log of this OVMF boot) onto the
# results disk. The reference values (`confnode-verifier reference --from`)
# become the policy the scenarios use, as an operator would review them.
# Usage: golden.sh BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"
e2e_init "$1"
trap 'vm_stop' EXIT
rm -rf "$W"
mkdir -p "$W"
"$E2E_HERE/image.sh" "$1" "$W/image" >/dev/null
sim_init "$W/sim"
kbs_pki "$W/pki"
vm_new "$W/vm"
e2e_seed golden 9
t0=$(date +%s)
vm_boot "$W/vm" 600
rc=$(vm_result "$W/vm" golden.rc)
[[ $rc == 0 ]] || { vm_result "$W/vm" golden.out >&2; tail -n 30 "$W/vm/serial.log" >&2;
        fail "the golden boot did not collect its evidence (rc '${rc:-none}')"; }
vm_result_dir "$W/vm" golden "$W"
[[ -f $W/golden/tee-report.bin && -f $W/golden/eventlog.bin ]] || fail "no golden evidence on the results disk"
# Verified against the (simulated) AMD root, so the reference also says which
# quoted PCRs the event log does not explain (IMA's PCR 10).
jq -n --arg sim "$W/sim" '{version: 1, anchors: {amd_ark: [($sim + "/amd/ark.pem")], simulated: true, builtin: false}}' \
        >"$W/anchors.json"
"$CONFNODE_VERIFIER" reference --from "$W/golden" --policy "$W/anchors.json" >"$W/reference.json" 2>"$W/reference.err" ||
        fail "the golden evidence does not verify: $(cat "$W/reference.err")"
jq --arg sim "$W/sim" '. + {version: 1,
        anchors: {amd_ark: [($sim + "/amd/ark.pem")], simulated: true, builtin: false},
        resources: [{path: "confnode/disk-key/*", kind: "disk-key", tees: ["snp"]},
                    {path: "confnode/kubelet/join", kind: "join-bundle", tees: ["snp"]}]}
        | .tpm.vtpm = "bound" | .tpm.require_eventlog = true' "$W/reference.json" >"$W/policy.json"
jq -e '.tpm.pcrs.sha256["9"] | length == 1' "$W/policy.json" >/dev/null ||
        fail "the golden boot's PCR 9 (kernel command line) is not in the reference values"
echo "golden boot took $(($(date +%s) - t0)) s; reference values: $(jq -c '{snp: .snp.measurements, pcrs: (.tpm.pcrs.sha256 | keys)}' "$W/policy.json")"
