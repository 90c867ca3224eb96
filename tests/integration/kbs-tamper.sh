#!/bin/bash
# The tamper matrix: each case changes one thing — a bit of the evidence on
# the wire (through kbs-proxy.py, a man in the middle with the test CA), the
# simulated platform's values, the policy, the protocol messages or the
# session's timing — and the verifier must reject it with the expected
# stable reason (the code that starts the RFC 7807 detail). Cases that need
# a signed artifact with one wrong value inside (a quote over another
# nonce, PCR values that do not match their digest) appraise an edited
# `confnode collect` bundle offline with `check BUNDLE`, which runs the same
# appraisal. A control case first proves the unchanged flow is accepted, so
# a rejection is the mutation's doing.
#
# Usage: kbs-tamper.sh [CASE-PREFIX]   (runs every case by default)
set -euo pipefail
: "${CONFNODE:?}" "${CONFNODE_SIM:?}" "${CONFNODE_VERIFIER:?}"
here=$(dirname "$0")
source "$here/tpm-lib.sh"
source "$here/sim-lib.sh"
source "$here/kbs-lib.sh"
only=${1:-}
W=$(mktemp -d)
PROXY_PID=
proxy_stop() {
        if [[ -n $PROXY_PID ]]; then
                kill "$PROXY_PID" 2>/dev/null || true
                wait "$PROXY_PID" 2>/dev/null || true
                PROXY_PID=
        fi
}
cleanup() {
        proxy_stop
        verifier_stop
        tsm_tree_stop
        swtpm_stop
        rm -rf "$W"
}
trap cleanup EXIT

swtpm_start "$W/tpm"
"$CONFNODE_SIM" measure-boot --tcti "$TCTI" --out "$W/log.bin"
sim_init "$W/sim"
kbs_pki "$W/pki"

# A second, unrelated simulated platform: its VCEK, sent with our ASK and
# ARK, was not issued by our ASK.
sim_init "$W/other"
python3 - "$W/other/amd/vcek.pem" "$W/sim/amd/ask.pem" "$W/sim/amd/ark.pem" >"$W/other-vcek.json" <<'EOP'
import base64, json, sys
def der(path):
    pem = open(path).read()
    return list(base64.b64decode("".join(l for l in pem.splitlines() if l and not l.startswith("-----"))))
print(json.dumps([{"cert_type": t, "data": der(p)} for t, p in zip(("VCEK", "ASK", "ARK"), sys.argv[1:])]))
EOP
# Another valid P-256 public key as a JWK: a report made for one key must
# not serve another.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout -outform DER 2>/dev/null |
        python3 -c '
import base64, json, sys
d = sys.stdin.buffer.read()[-64:]
b = lambda x: base64.urlsafe_b64encode(x).decode().rstrip("=")
print(json.dumps({"kty": "EC", "crv": "P-256", "alg": "ECDH-ES+A256KW", "x": b(d[:32]), "y": b(d[32:])}))' \
        >"$W/other-jwk.json"

TSM_ARGS=()
tsm_restart() { # [--set K=V]... with the provider in TSM_PROVIDER
        tsm_tree_stop
        tsm_tree_start "$W/sim" "$W/tsm" --provider "$TSM_PROVIDER" "$@"
}

agent_conf() { # TEE URL
        local tee=$1 url=$2
        {
                echo "[agent]"
                echo "eventlog = $W/log.bin"
                if [[ $tee == none ]]; then
                        echo "tee = none"
                else
                        echo "tee = tsm"
                        echo "tsm_path = $W/tsm/report"
                fi
                echo "[tpm]"
                echo "tcti = $TCTI"
                echo "ak_algorithm = ecc-p256"
                echo "pcrs = sha256:0-9"
                echo "[verifier]"
                echo "url = $url"
                echo "ca = $W/pki/ca.pem"
        } >"$W/agent.conf"
}

# The base policies: the reference values of this platform, from a golden
# node's bundle, reviewed into a policy as an operator would.
golden() { # TEE OUT
        agent_conf "$1" https://127.0.0.1:9
        "$CONFNODE" --config "$W/agent.conf" collect --out "$2" >/dev/null
}
make_policy() { # REFERENCE VTPM TEES OUT
        jq --arg sim "$W/sim" --arg vtpm "$2" --argjson tees "$3" '. + {version: 1,
                anchors: {amd_ark: [($sim + "/amd/ark.pem")],
                          intel_root_ca: [($sim + "/intel/root-ca.pem")], simulated: true, builtin: false},
                resources: [{path: "confnode/disk-key/*", kind: "disk-key", tees: $tees},
                            {path: "confnode/kubelet/join", kind: "join-bundle", tees: $tees}]}
                | .tpm.vtpm = $vtpm | .tpm.require_eventlog = true' "$1" >"$4"
}

CUR_POLICY=
CUR_ARGS=
use_verifier() { # POLICY [SERVE ARGS...]
        local p=$1
        shift
        if [[ $p == "$CUR_POLICY" && "$*" == "$CUR_ARGS" && -n $VERIFIER_PID ]]; then
                return 0
        fi
        verifier_stop
        verifier_start "$W/pki" "$p" "$@"
        CUR_POLICY=$p
        CUR_ARGS="$*"
}

proxy_start() { # MUTATION
        proxy_stop
        rm -f "$W/proxy.port" "$W/proxy.log"
        python3 "$here/kbs-proxy.py" --upstream-port "$VERIFIER_PORT" --ca "$W/pki/ca.pem" \
                --cert "$W/pki/server.pem" --key "$W/pki/server.key" --port-file "$W/proxy.port" \
                --log "$W/proxy.log" --mutate "$1" 2>"$W/proxy.err" &
        PROXY_PID=$!
        for _ in $(seq 1 100); do [[ -s $W/proxy.port ]] && return 0; sleep 0.05; done
        cat "$W/proxy.err" >&2
        fail "the proxy did not start"
}

PASSED=0
FAILED=()
# One answer of the verifier, from the proxy's log: the status and the
# reason code that starts the detail ("snp.signature: …").
answer_of() { # PATH
        jq -r --arg p "$1" 'select(.path == $p) | "\(.status) \(.body.detail // "" | split(":")[0])"' \
                "$W/proxy.log" 2>/dev/null | tail -n 1
}

wants() { [[ -z $only || $1 == "$only"* ]]; }

# online CASE TEE POLICY MUTATION PATH STATUS REASON [SERVE ARGS...]
online() {
        local name=$1 tee=$2 policy=$3 mutation=$4 path=$5 status=$6 reason=$7 got rc
        shift 7
        wants "$name" || return 0
        use_verifier "$policy" "$@"
        proxy_start "$mutation"
        agent_conf "$tee" "https://127.0.0.1:$(cat "$W/proxy.port")"
        set +e
        "$CONFNODE" --config "$W/agent.conf" attest --once --disk-uuid 0a1b2c3d-0000-4000-8000-00000000abcd \
                >"$W/agent.out" 2>"$W/agent.err"
        rc=$?
        set -e
        got=$(answer_of "$path")
        if [[ $got == "$status $reason" && $rc -ne 0 ]]; then
                PASSED=$((PASSED + 1))
                echo "ok   $name: $got"
        else
                FAILED+=("$name")
                echo "FAIL $name: expected '$status $reason' at $path and a failed attest, got '$got' (attest exit $rc)"
                sed 's/^/     agent: /' "$W/agent.err" | tail -n 5
                cat "$W/proxy.log" 2>/dev/null | sed 's/^/     proxy: /' | tail -n 4
        fi
}

# offline CASE BUNDLE POLICY REASON: check BUNDLE must reject with REASON.
offline() {
        local name=$1 bundle=$2 policy=$3 reason=$4 got rc
        wants "$name" || return 0
        set +e
        "$CONFNODE_VERIFIER" check "$bundle" --policy "$policy" >"$W/check.json" 2>"$W/check.err"
        rc=$?
        set -e
        got=$(jq -r '.reason // "accepted"' "$W/check.json" 2>/dev/null)
        if [[ $rc -eq 1 && $got == "$reason" ]]; then
                PASSED=$((PASSED + 1))
                echo "ok   $name: $got"
        else
                FAILED+=("$name")
                echo "FAIL $name: expected $reason (exit 1), got '$got' (exit $rc)"
                tail -n 3 "$W/check.err" | sed 's/^/     /'
        fi
}

# control CASE TEE POLICY: the unchanged flow through the proxy is accepted.
control() {
        local name=$1 tee=$2 policy=$3 rc
        use_verifier "$policy"
        proxy_start none
        agent_conf "$tee" "https://127.0.0.1:$(cat "$W/proxy.port")"
        set +e
        "$CONFNODE" --config "$W/agent.conf" attest --once --disk-uuid 0a1b2c3d-0000-4000-8000-00000000abcd \
                >"$W/agent.out" 2>"$W/agent.err"
        rc=$?
        set -e
        [[ $rc -eq 0 ]] || { cat "$W/agent.err" >&2; tail -n 20 "$W/pki/verifier.log" >&2;
                fail "control $name: the unchanged flow was not accepted (exit $rc)"; }
        echo "ok   $name (control): accepted"
}

jqp() { # IN FILTER OUT: a policy variant
        jq "$2" "$1" >"$3"
}

### SEV-SNP through configfs-tsm, vTPM evidence bound by the report.
TSM_PROVIDER=sev_guest
tsm_restart
golden tsm "$W/golden-snp"
"$CONFNODE_VERIFIER" reference --from "$W/golden-snp" >"$W/ref-snp.json"
P=$W/policy-snp.json
make_policy "$W/ref-snp.json" bound '["snp"]' "$P"
control snp-control tsm "$P"

online snp-report-bitflip tsm "$P" primary-xor:attestation_report.measurement.0 /kbs/v0/attest 401 snp.signature
online snp-signature-bitflip tsm "$P" primary-xor:attestation_report.signature.r.0 /kbs/v0/attest 401 snp.signature
online snp-unrelated-vcek tsm "$P" "primary-set:cert_chain=@$W/other-vcek.json" /kbs/v0/attest 401 snp.cert_chain
online binding-tee-pubkey tsm "$P" "attest-json:runtime-data.tee-pubkey=@$W/other-jwk.json" /kbs/v0/attest 401 binding.report_data
online binding-additional tsm "$P" additional-xor:tpm.tpm_quote.message:40 /kbs/v0/attest 401 binding.report_data
online nonce-foreign tsm "$P" 'attest-json:runtime-data.nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="' /kbs/v0/attest 401 nonce.mismatch
online nonce-reused tsm "$P" attest-replay '/kbs/v0/attest#replay' 401 nonce.reused
online nonce-stale tsm "$P" attest-stale /kbs/v0/attest 401 nonce.mismatch
online protocol-version tsm "$P" 'auth-json:version="0.3.0"' /kbs/v0/auth 401 protocol.version
online tee-unknown tsm "$P" 'auth-json:tee="sgx"' /kbs/v0/auth 401 evidence.tee_unsupported
online json-malformed tsm "$P" attest-truncate /kbs/v0/attest 401 request.malformed
online body-oversized tsm "$P" attest-oversize:5000000 /kbs/v0/attest 413 request.too_large
online session-expired tsm "$P" attest-delay:2.5 /kbs/v0/attest 401 session.expired --nonce-ttl 1

jqp "$P" '.snp.min_tcb.snp = 99' "$W/p-tcb.json"
online snp-tcb-below-min tsm "$W/p-tcb.json" none /kbs/v0/attest 401 snp.tcb_min
jqp "$P" '.snp.measurements = ["'"$(printf '%096d' 0)"'"]' "$W/p-meas.json"
online snp-measurement tsm "$W/p-meas.json" none /kbs/v0/attest 401 snp.measurement
jqp "$P" '.snp.vmpl = [1]' "$W/p-vmpl.json"
online snp-vmpl tsm "$W/p-vmpl.json" none /kbs/v0/attest 401 snp.vmpl
jqp "$P" '.tpm.pcrs.sha256["0"] = ["'"$(printf '%064d' 0)"'"]' "$W/p-pcr.json"
online tpm-pcr-not-in-policy tsm "$W/p-pcr.json" none /kbs/v0/attest 401 tpm.pcr_policy

# Platform values: a debug guest policy, and a chip the VCEK is not for.
if wants snp-debug; then
        tsm_restart --set snp.policy=0xB0000
        online snp-debug tsm "$P" none /kbs/v0/attest 401 snp.debug
fi
if wants snp-wrong-chip; then
        tsm_restart --set snp.chip_id="$(printf '%0128d' 1)"
        online snp-wrong-chip tsm "$P" none /kbs/v0/attest 401 snp.chip_id_mismatch
fi
tsm_restart

# A released resource changed on the way: the agent must refuse to use it.
if wants jwe-tampered; then
        use_verifier "$P"
        proxy_start resource-xor
        agent_conf tsm "https://127.0.0.1:$(cat "$W/proxy.port")"
        set +e
        "$CONFNODE" --config "$W/agent.conf" attest --once --disk-uuid 0a1b2c3d-0000-4000-8000-00000000abcd \
                >"$W/agent.out" 2>"$W/agent.err"
        rc=$?
        set -e
        if [[ $rc -ne 0 ]] && grep -q "jwe.auth_failed" "$W/agent.err"; then
                PASSED=$((PASSED + 1))
                echo "ok   jwe-tampered: agent refused the resource (jwe.auth_failed)"
        else
                FAILED+=(jwe-tampered)
                echo "FAIL jwe-tampered: attest exit $rc"
                tail -n 5 "$W/agent.err"
        fi
fi

### vTPM only (tee = none): the AK is vouched for by nothing.
golden none "$W/golden-tpm"
"$CONFNODE_VERIFIER" reference --from "$W/golden-tpm" >"$W/ref-tpm.json"
PB=$W/policy-tpm-bound.json
PC=$W/policy-tpm-cloud.json
make_policy "$W/ref-tpm.json" bound '["tpm"]' "$PB"
make_policy "$W/ref-tpm.json" cloud '["tpm"]' "$PC"
online tpm-ak-untrusted none "$PB" none /kbs/v0/attest 401 tpm.ak_untrusted
control tpm-cloud-control none "$PC"
online tpm-quote-signature none "$PC" primary-xor:tpm_quote.signature:10 /kbs/v0/attest 401 tpm.signature
online tpm-quote-body none "$PC" primary-xor:tpm_quote.message:60 /kbs/v0/attest 401 tpm.signature
online tpm-eventlog-digest none "$PC" primary-b64-edit:tpm_eventlog=flip:3 /kbs/v0/attest 401 tpm.eventlog_replay
online tpm-eventlog-truncated none "$PC" primary-b64-edit:tpm_eventlog=truncate-event /kbs/v0/attest 401 tpm.eventlog_replay
online tpm-eventlog-extra none "$PC" primary-b64-edit:tpm_eventlog=extra-event /kbs/v0/attest 401 tpm.eventlog_replay

# Offline: a quote made for another nonce, PCR values that are not the ones
# quoted.
cp -r "$W/golden-tpm" "$W/b-nonce"
printf '%064d\n' 7 >"$W/b-nonce/nonce.hex"
offline tpm-quote-nonce "$W/b-nonce" "$PC" tpm.nonce
cp -r "$W/golden-tpm" "$W/b-pcr"
jq '.sha256["1"] = "'"$(printf '%064d' 1)"'"' "$W/golden-tpm/pcrs.json" >"$W/b-pcr/pcrs.json"
offline tpm-pcr-digest "$W/b-pcr" "$PC" tpm.pcr_digest

### TDX through configfs-tsm (quote v4, simulated Intel hierarchy).
TSM_PROVIDER=tdx_guest
tsm_restart
golden tsm "$W/golden-tdx"
"$CONFNODE_VERIFIER" reference --from "$W/golden-tdx" >"$W/ref-tdx.json"
PT=$W/policy-tdx.json
make_policy "$W/ref-tdx.json" bound '["tdx"]' "$PT"
control tdx-control tsm "$PT"
online tdx-quote-bitflip tsm "$PT" primary-xor:quote:200 /kbs/v0/attest 401 tdx.signature
jqp "$PT" '.tdx.mrtd = ["'"$(printf '%096d' 0)"'"]' "$W/pt-mrtd.json"
online tdx-mrtd tsm "$W/pt-mrtd.json" none /kbs/v0/attest 401 tdx.mrtd
jqp "$PT" '.tdx.rtmr["2"] = ["'"$(printf '%096d' 0)"'"]' "$W/pt-rtmr.json"
online tdx-rtmr tsm "$W/pt-rtmr.json" none /kbs/v0/attest 401 tdx.rtmr
if wants tdx-debug; then
        tsm_restart --set tdx.td_attributes=0100001000000000
        online tdx-debug tsm "$PT" none /kbs/v0/attest 401 tdx.debug
        tsm_restart
fi

echo "tamper matrix: $PASSED rejected as expected, ${#FAILED[@]} failed${FAILED:+: ${FAILED[*]}}"
[[ ${#FAILED[@]} -eq 0 ]] || exit 1
[[ -n $only || $PASSED -ge 25 ]] || fail "only $PASSED cases ran; the matrix needs at least 25"
