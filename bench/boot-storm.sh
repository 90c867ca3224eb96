#!/bin/bash
# bench/boot-storm.sh [--build DIR] [--threads N] [--connections N] [--floor-elapsed] [N...]
#
# N concurrent simulated nodes doing the full RCAR flow against one
# `confnode-verifier serve` on loopback, for each N (default 100 1000 10000).
# Sets up in a temporary directory: a simulated SEV-SNP platform
# (confnode-sim init), a TLS PKI for the verifier and a cluster CA (openssl),
# a master secret, a policy that accepts the platform (boot-storm policy);
# starts the verifier and stops it by its PID on exit, pass or fail; runs
# boot-storm run, which measures the crypto floor with `openssl speed` and
# prints per N the wall rate, the verifier's per-core rate, latency p50/p99
# and the verifier's RSS, ending with one line per N:
#   boot-storm N=<n>: <x> attestations/s, floor <y>/s, ratio <x/y>, p99 <ms> ms, rss <MiB> MiB
# where <x> is per core of verifier (N / verifier CPU seconds). See
# bench/README.md. Exits non-zero if any attestation failed.
#
# Binaries come from the build directory: --build DIR, else
# $CONFNODE_BUILD_DIR, else ../build next to this script. Extra verifier
# options: $BOOT_STORM_VERIFIER_ARGS. BOOT_STORM_KEEP=1 keeps the temporary
# directory (policy, verifier log, state database).

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${CONFNODE_BUILD_DIR:-$here/../build}
threads=2
connections=256
extra=()
ns=()

usage() {
        sed -n '2p' "$0" | sed 's/^# /Usage: /'
}

while (($#)); do
        case $1 in
        --build) build=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --floor-elapsed) extra+=(--floor-elapsed); shift ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "boot-storm.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
        *)
                [[ $1 =~ ^[1-9][0-9]*$ ]] || { echo "boot-storm.sh: N '$1' is not a positive number" >&2; exit 2; }
                ns+=("$1"); shift ;;
        esac
done
((${#ns[@]})) || ns=(100 1000 10000)

verifier=${CONFNODE_VERIFIER:-$build/src/verifier/confnode-verifier}
sim=${CONFNODE_SIM:-$build/src/sim/confnode-sim}
storm=${BOOT_STORM:-$build/bench/boot-storm}
for b in "$verifier" "$sim" "$storm"; do
        [[ -x $b ]] || { echo "boot-storm.sh: '$b' is missing: build first (cmake --build $build)" >&2; exit 2; }
done
for t in openssl curl; do
        command -v "$t" >/dev/null || { echo "boot-storm.sh: '$t' is not installed" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/boot-storm.XXXXXX")
VERIFIER_PID=

verifier_stop() {
        [[ -n $VERIFIER_PID ]] || return 0
        kill -TERM "$VERIFIER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
                kill -0 "$VERIFIER_PID" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$VERIFIER_PID" 2>/dev/null || true
        wait "$VERIFIER_PID" 2>/dev/null || true
        VERIFIER_PID=
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
        verifier_stop
        if [[ ${BOOT_STORM_KEEP:-0} == 1 ]]; then
                echo "boot-storm.sh: kept $tmp" >&2
        else
                rm -rf "$tmp"
        fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The simulated platform and the verifier's PKI.
"$sim" init "$tmp/sim" >/dev/null 2>"$tmp/sim-init.log" || { cat "$tmp/sim-init.log" >&2; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=confnode boot-storm CA" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=127.0.0.1" -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$tmp/ext.cnf"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
        -days 2 -extfile "$tmp/ext.cnf" -out "$tmp/server.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=kubernetes" -keyout "$tmp/cluster-ca.key" -out "$tmp/cluster-ca.pem" 2>/dev/null
chmod 0600 "$tmp"/*.key
(umask 077 && head -c 32 /dev/urandom >"$tmp/master.key")

"$storm" policy --sim "$tmp/sim" --ark sim/amd/ark.pem --out "$tmp/policy.json"

# Every session of every storm may still be alive when the last one runs.
sessions=64
for n in "${ns[@]}"; do sessions=$((sessions + n)); done
sessions=$((sessions * 2))

verifier_start() {
        local port
        for _ in $(seq 1 20); do
                port=$((20000 + RANDOM % 40000))
                # shellcheck disable=SC2086 # BOOT_STORM_VERIFIER_ARGS is a list of words
                "$verifier" serve --listen "127.0.0.1:$port" \
                        --tls-cert "$tmp/server.pem" --tls-key "$tmp/server.key" \
                        --policy "$tmp/policy.json" --master-secret "$tmp/master.key" \
                        --state "$tmp/state.db" --api-server https://127.0.0.1:6443 \
                        --cluster-ca "$tmp/cluster-ca.pem" --nonce-ttl 900 \
                        --max-sessions "$sessions" --max-connections $((connections + 256)) \
                        ${BOOT_STORM_VERIFIER_ARGS:-} 2>>"$tmp/verifier.log" &
                VERIFIER_PID=$!
                for _ in $(seq 1 100); do
                        if ! kill -0 "$VERIFIER_PID" 2>/dev/null; then
                                wait "$VERIFIER_PID" 2>/dev/null || true
                                VERIFIER_PID=
                                break
                        fi
                        if curl -sf --cacert "$tmp/ca.pem" "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
                                VERIFIER_URL="https://127.0.0.1:$port"
                                return 0
                        fi
                        sleep 0.1
                done
                verifier_stop
                grep -qi "address already in use" "$tmp/verifier.log" 2>/dev/null || break
        done
        echo "boot-storm.sh: the verifier did not start; its log:" >&2
        tail -n 50 "$tmp/verifier.log" >&2
        return 1
}

verifier_start
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

rc=0
"$storm" run --url "$VERIFIER_URL" --cacert "$tmp/ca.pem" --sim "$tmp/sim" \
        --verifier-pid "$VERIFIER_PID" --threads "$threads" --connections "$connections" \
        ${extra[@]+"${extra[@]}"} "${ns[@]}" || rc=$?

if ! kill -0 "$VERIFIER_PID" 2>/dev/null; then
        echo "boot-storm.sh: the verifier (PID $VERIFIER_PID) died during the run; its log:" >&2
        tail -n 50 "$tmp/verifier.log" >&2
        rc=1
elif ((rc != 0)); then
        echo "boot-storm.sh: the run failed (exit $rc); the verifier's last log lines:" >&2
        tail -n 20 "$tmp/verifier.log" >&2
fi
exit "$rc"
