#!/bin/bash
# units/confnode.service: the ordering kubelet relies on, and a hardened
# sandbox (systemd-analyze security exposure at most 3.5 out of 10; see below).
set -euo pipefail
unit=${1:?confnode.service} dropin=${2:?10-confnode.conf}
grep -qx 'Type=notify' "$unit" || { echo "confnode.service is not Type=notify" >&2; exit 1; }
grep -q '^After=.*network-online.target' "$unit" || { echo "not After=network-online.target" >&2; exit 1; }
grep -q '^Before=.*kubelet.service' "$unit" || { echo "not Before=kubelet.service" >&2; exit 1; }
grep -qx 'Requires=confnode.service' "$dropin" || { echo "kubelet drop-in lacks Requires=" >&2; exit 1; }
grep -qx 'After=confnode.service' "$dropin" || { echo "kubelet drop-in lacks After=" >&2; exit 1; }
score=$(systemd-analyze security --offline=true "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[[ -n $score ]] || { echo "systemd-analyze security gave no score" >&2; exit 1; }
echo "exposure $score"
# 3.5, not 2.0: the state disk (issue 6) needs CAP_SYS_ADMIN, @mount and the
# dm/disk devices, and its mounts must reach the host, which rules out every
# option that gives the service its own mount namespace (ProtectSystem,
# ProtectHome, PrivateTmp, ProtectKernel*, ProtectControlGroups, ProtectProc).
# confnode.service explains each; the rest of the sandbox stays.
awk -v s="$score" 'BEGIN { exit !(s <= 3.5) }' || { echo "exposure $score > 3.5" >&2; exit 1; }
