#!/bin/bash
# `confnode collect` on bad input: usage errors name the bad option (exit 2),
# a missing event log is no error, a malformed one or an unreachable TPM is
# (exit 1).
# Binaries come from CONFNODE and CONFNODE_SIM.
set -euo pipefail

: "${CONFNODE:?}" "${CONFNODE_SIM:?}"
source "$(dirname "$0")/tpm-lib.sh"
W=$(mktemp -d)
trap 'swtpm_stop; rm -rf "$W"' EXIT

# expect_exit WANT GREP -- ARGS: confnode ARGS exits WANT and says GREP.
expect_exit() {
        local want=$1 pattern=$2 rc=0
        shift 3
        "$CONFNODE" "$@" >"$W/out.txt" 2>"$W/err.txt" || rc=$?
        [[ $rc == "$want" ]] || fail "confnode $*: exit $rc, want $want; $(cat "$W/err.txt")"
        grep -q -- "$pattern" "$W/err.txt" || fail "confnode $*: error does not mention '$pattern': $(cat "$W/err.txt")"
        echo "ok   confnode $*: exit $rc"
}

cat >"$W/confnode.conf" <<EOC
[agent]
eventlog = $W/no-such-log
[tpm]
pcrs = sha256:0-7
EOC
expect_exit 2 --nonce -- --config "$W/confnode.conf" collect --out "$W/o" --nonce xyz
expect_exit 2 --nonce -- --config "$W/confnode.conf" collect --out "$W/o" --nonce "$(printf '%0130d' 0)"
expect_exit 2 --nonce -- --config "$W/confnode.conf" collect --out "$W/o" --nonce ''
expect_exit 2 --out -- --config "$W/confnode.conf" collect --nonce 00
expect_exit 2 "takes no arguments" -- --config "$W/confnode.conf" collect --out "$W/o" stray

# A TPM nobody listens for: pick a port and make sure it is closed.
port=$((20000 + RANDOM % 40000))
while ! port_is_free $port; do port=$((20000 + RANDOM % 40000)); done
expect_exit 1 "evidence.collect\|Failed to collect" -- --config "$W/confnode.conf" \
        --tcti "swtpm:host=127.0.0.1,port=$port" collect --out "$W/o" --nonce 00

swtpm_start "$W/tpm"
"$CONFNODE_SIM" measure-boot --tcti "$TCTI" --out "$W/log.bin"

# No event log at the configured path: the quote alone is collected.
mkdir -p "$W/o2" && echo stale >"$W/o2/eventlog.bin"
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/o2" --nonce 01 2>"$W/err.txt"
[[ -s $W/o2/tpm-quote.msg && ! -e $W/o2/eventlog.bin ]] || fail "without a log: quote missing or stale eventlog.bin kept"
grep -q "no event log" "$W/err.txt" || fail "the summary does not say there was no event log"
echo "ok   a missing event log is not an error (and a stale eventlog.bin is removed)"

# A malformed log is an error: half of a real one.
head -c 1000 "$W/log.bin" >"$W/broken.bin"
sed -i "s|^eventlog = .*|eventlog = $W/broken.bin|" "$W/confnode.conf"
expect_exit 1 "Failed to collect" -- --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/o3" --nonce 02
[[ -z $(TPM2TOOLS_TCTI=$TCTI tpm2_getcap handles-transient) ]] || fail "a failed collect left transient objects"
echo "collect-errors: all checks passed"
