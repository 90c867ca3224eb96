#!/bin/bash
# A persistent AK: the first `confnode collect` creates it at the configured
# handle, a later boot (swtpm power cycle, same state) reuses it; a handle
# holding a key of another type is refused and left alone.
# Binaries come from CONFNODE, CONFNODE_SIM and CONFNODE_VERIFIER.
set -euo pipefail

: "${CONFNODE:?}" "${CONFNODE_SIM:?}" "${CONFNODE_VERIFIER:?}"
source "$(dirname "$0")/tpm-lib.sh"
W=$(mktemp -d)
trap 'swtpm_stop; rm -rf "$W"' EXIT
HANDLE=0x81010002

config() {
        cat >"$W/confnode.conf" <<EOC
[agent]
eventlog = $W/binary_bios_measurements
[tpm]
ak_handle = $HANDLE
ak_algorithm = $1
pcrs = sha256:0-9
EOC
}

boot_and_collect() {
        "$CONFNODE_SIM" measure-boot --tcti "$TCTI" --out "$W/binary_bios_measurements"
        "$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$1" --nonce "$2"
        [[ -z $(TPM2TOOLS_TCTI=$TCTI tpm2_getcap handles-transient) ]] || fail "collect left transient objects"
        "$CONFNODE_VERIFIER" check --type tpm-quote "$1/tpm-quote.msg" --sig "$1/tpm-quote.sig" --ak "$1/ak.pem" \
                --nonce "$2" --pcrs "$1/pcrs.json" >/dev/null || fail "the quote in $1 does not verify"
}

persistent_handles() {
        TPM2TOOLS_TCTI=$TCTI tpm2_getcap handles-persistent | tr -d '\n -'
}

swtpm_start "$W/tpm"
config rsa2048
[[ -z $(persistent_handles) ]] || fail "a fresh swtpm already has persistent objects"
boot_and_collect "$W/first" aa01
[[ $(persistent_handles) == "$HANDLE" ]] || fail "the AK was not persisted at $HANDLE (have: $(persistent_handles))"
echo "ok   first run created the AK at $HANDLE"

swtpm_restart "$W/tpm"
boot_and_collect "$W/second" bb02
[[ $(persistent_handles) == "$HANDLE" ]] || fail "the second run changed the persistent handles"
cmp -s "$W/first/ak.pem" "$W/second/ak.pem" || fail "the second run used another AK"
cmp -s "$W/first/ak.pub" "$W/second/ak.pub" || fail "the second run's TPMT_PUBLIC differs"
echo "ok   after a power cycle the same AK is reused"

# Our RSA AK sits at the handle; asking for an ECC AK there must fail
# without touching it.
config ecc-p256
rc=0
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/third" --nonce cc03 2>"$W/err.txt" || rc=$?
[[ $rc == 1 ]] || fail "collect with an ECC AK over the RSA one exited $rc, want 1"
grep -q "evidence.collect\|Failed to collect" "$W/err.txt" || fail "no error message: $(cat "$W/err.txt")"
config rsa2048
"$CONFNODE" --config "$W/confnode.conf" --tcti "$TCTI" collect --out "$W/fourth" --nonce dd04
cmp -s "$W/first/ak.pem" "$W/fourth/ak.pem" || fail "the refused ECC run changed the AK"
echo "ok   a handle holding another key type is refused and left alone"
echo "collect-persistent-ak: all checks passed"
