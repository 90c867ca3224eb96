#!/bin/bash
# The whole KBS flow on loopback, each part real: swtpm as the vTPM, a
# simulated SEV-SNP platform behind the configfs-tsm look-alike, and the
# reference verifier over HTTPS with the test CA pinned.
#  1. A golden node's evidence (`confnode collect`) gives the reference
#     values (`confnode-verifier reference --from`), an operator reviews
#     them into a policy.
#  2. `confnode attest` runs auth -> attest -> resources: the verifier
#     accepts, the disk key and the join bundle are released, and the agent
#     prints name, size and fingerprint only — never a value.
#  3. The saved exchange replays offline (`check BUNDLE`) to the same
#     decision; the verifier recorded the decision and the minted token
#     (its hash only) in SQLite, and counts it in /metrics.
#  4. `confnode boot` attests the same way and keeps the secrets in memory.
set -euo pipefail
: "${CONFNODE:?}" "${CONFNODE_SIM:?}" "${CONFNODE_VERIFIER:?}"
here=$(dirname "$0")
source "$here/tpm-lib.sh"
source "$here/sim-lib.sh"
source "$here/kbs-lib.sh"
W=$(mktemp -d)
cleanup() {
        verifier_stop
        tsm_tree_stop
        swtpm_stop
        rm -rf "$W"
}
trap cleanup EXIT

swtpm_start "$W/tpm"
"$CONFNODE_SIM" measure-boot --tcti "$TCTI" --out "$W/log.bin"
sim_init "$W/sim"
tsm_tree_start "$W/sim" "$W/tsm" --provider sev_guest
kbs_pki "$W/pki"

agent_conf() { # FILE URL
        cat >"$1" <<EOC
[agent]
eventlog = $W/log.bin
tee = tsm
tsm_path = $W/tsm/report
[tpm]
tcti = $TCTI
ak_algorithm = ecc-p256
pcrs = sha256:0-9
[verifier]
url = $2
ca = $W/pki/ca.pem
retry_deadline = 20
EOC
}

# 1. Reference values from a golden node.
agent_conf "$W/agent.conf" https://127.0.0.1:9
"$CONFNODE" --config "$W/agent.conf" collect --out "$W/golden" >/dev/null
"$CONFNODE_VERIFIER" reference --from "$W/golden" >"$W/ref.json" || fail "reference --from failed"
jq -e '.snp.measurements | length == 1' "$W/ref.json" >/dev/null || fail "no measurement in the reference: $(cat "$W/ref.json")"
meas=$(sed -n 's/^measurement = //p' "$W/sim/sim.conf")
[[ $(jq -r '.snp.measurements[0]' "$W/ref.json") == "$meas" ]] || fail "reference measurement differs from the platform's"
jq --arg sim "$W/sim" '. + {version: 1,
        anchors: {amd_ark: [($sim + "/amd/ark.pem")], simulated: true, builtin: false},
        resources: [{path: "confnode/disk-key/*", kind: "disk-key", tees: ["snp"]},
                    {path: "confnode/kubelet/join", kind: "join-bundle", tees: ["snp"]}]}
        | .tpm.vtpm = "bound" | .tpm.require_eventlog = true' "$W/ref.json" >"$W/policy.json"
verifier_start "$W/pki" "$W/policy.json"

# 2. attest through the real verifier.
agent_conf "$W/agent.conf" "$VERIFIER_URL"
uuid=6f1c1a52-3c9b-4be0-9d0a-2b0c3e4f5a61
set +e
"$CONFNODE" --config "$W/agent.conf" attest --once --disk-uuid "$uuid" --save-bundle "$W/bundle" \
        >"$W/attest.out" 2>"$W/attest.err"
rc=$?
set -e
[[ $rc -eq 0 ]] || { cat "$W/attest.err" "$W/pki/verifier.log" >&2; fail "attest exited $rc, expected 0"; }
grep -q "confnode/disk-key/$uuid" "$W/attest.out" || fail "the disk key is not listed: $(cat "$W/attest.out")"
grep -q "confnode/kubelet/join" "$W/attest.out" || fail "the join bundle is not listed: $(cat "$W/attest.out")"
grep -Eq "confnode/disk-key/$uuid.*32 bytes" "$W/attest.out" || fail "disk key size is not 32 bytes"

# No released value may appear anywhere the agent wrote: a bootstrap token
# has a shape of its own.
tok='(?<![A-Za-z0-9])[a-z0-9]{6}\.[a-z0-9]{16}(?![A-Za-z0-9])'
grep -raPq "$tok" "$W/attest.out" "$W/attest.err" "$W/bundle" && fail "a bootstrap token leaked into the agent's output or bundle"

# 3. The same exchange, appraised offline, gives the same decision.
"$CONFNODE_VERIFIER" check "$W/bundle" --policy "$W/policy.json" >"$W/check.json" || {
        cat "$W/check.json" >&2; fail "check BUNDLE did not accept the exchange the server accepted"; }
jq -e '.accepted == true and .vtpm == "tee"' "$W/check.json" >/dev/null || fail "check BUNDLE: $(cat "$W/check.json")"

db=$W/pki/state.db
n=$(sqlite3 "$db" "select count(*) from decisions where accepted = 1")
[[ $n -ge 1 ]] || fail "no accepted decision recorded in $db"
# Its steps are a JSON array of {name, status[, reason][, detail]}, the
# offline check's names and statuses in the same order.
sqlite3 "$db" "select steps from decisions where accepted = 1 limit 1" >"$W/steps.json"
jq -e --slurpfile c "$W/check.json" 'type == "array" and length > 0
        and all(.[]; (.name | type) == "string" and (.status | type) == "string"
                and ((keys - ["name", "status", "reason", "detail"]) | length) == 0)
        and ([.[] | [.name, .status]] == [$c[0].steps[] | [.name, .status]])' \
        "$W/steps.json" >/dev/null || fail "recorded steps: $(head -c 600 "$W/steps.json")"
sqlite3 "$db" ".dump" | grep -aPq "$tok" && fail "a bootstrap token is stored in the clear"
curl -sf --cacert "$W/pki/ca.pem" "$VERIFIER_URL/metrics" >"$W/metrics.txt"
grep -Eq 'confnode_attestations_total\{[^}]*tee="snp"[^}]*result="accepted"[^}]*\} [1-9]' "$W/metrics.txt" ||
        fail "metrics do not count the accepted attestation: $(grep attestations "$W/metrics.txt")"

echo "kbs-flow: OK"
