#!/bin/bash
# `confnode inspect FILE` without --type picks the right decoder for each
# kind of peer fixture, and gives the same JSON as with the type named.
set -euo pipefail
: "${CONFNODE:?}" "${PEER_DATA:?}"
check() { # TYPE FILE
        local auto named
        auto=$("$CONFNODE" inspect "$2") || { echo "FAIL: inspect $2 (no --type) failed" >&2; exit 1; }
        named=$("$CONFNODE" inspect --type "$1" "$2")
        [[ "$auto" == "$named" ]] || { echo "FAIL: $2 was not decoded as $1" >&2; exit 1; }
        echo "ok   $1 $(basename "$2")"
}
for f in "$PEER_DATA"/snp/*-report.bin; do check snp-report "$f"; done
for f in "$PEER_DATA"/tdx/*quote*.dat; do check tdx-quote "$f"; done
for f in "$PEER_DATA"/azure/*hcl-report*.bin; do check hcl-report "$f"; done
for f in "$PEER_DATA"/tpm-quote/*.attest; do check tpm-quote "$f"; done
for f in "$PEER_DATA"/eventlog/g[at]?-*.bin "$PEER_DATA"/eventlog/t2t-*.bin; do
        case $f in *ccel*) continue ;; esac
        check eventlog "$f"
done
