#!/bin/bash
# kubelet's stand-in: confnode hands off through the environment file it
# writes (KUBELET_BOOTSTRAP_KUBECONFIG_ARGS, as kubeadm's drop-in uses);
# the real kubectl must accept the bootstrap kubeconfig. Records the result
# on the results disk.
set -uo pipefail
# Its first act, with no fork before it: the time. /proc/timer_list's "now
# at N nsecs" is ktime_get(), i.e. CLOCK_MONOTONIC, the clock of journald's
# __MONOTONIC_TIMESTAMP and systemd's *TimestampMonotonic (/proc/uptime is
# CLOCK_BOOTTIME at 10 ms); EPOCHREALTIME, read next, is CLOCK_REALTIME, a
# cross-check. Then its first byte of output, to the journal.
# bench/guest-boot.sh takes kubelet's start from these.
first_mono_ns=
for _ in 1 2 3 4; do
        read -r w1 w2 w3 rest || break
        [[ $w1 == now && $w2 == at ]] && { first_mono_ns=$w3; break; }
done 2>/dev/null </proc/timer_list
first_realtime=$EPOCHREALTIME
echo "kubelet stand-in started (CLOCK_MONOTONIC ${first_mono_ns:-unknown} ns)"
out=/results/kubelet.txt
{
        echo "first_monotonic_ns=$first_mono_ns"
        echo "first_realtime_us=${first_realtime/[.,]/}"
        echo "started_monotonic_us=$(awk '{printf "%d", $1 * 1000000}' /proc/uptime)"
        echo "args=${KUBELET_BOOTSTRAP_KUBECONFIG_ARGS:-}"
        boot=$(sed -n 's/.*--bootstrap-kubeconfig=\([^ ]*\).*/\1/p' <<<"${KUBELET_BOOTSTRAP_KUBECONFIG_ARGS:-}")
        echo "bootstrap_kubeconfig=$boot"
        if [[ -n $boot ]] && /usr/local/bin/kubectl config view --kubeconfig "$boot" --raw -o json >/run/kc.json 2>/run/kc.err; then
                echo "kubectl=ok"
                echo "server=$(jq -r '.clusters[0].cluster.server' /run/kc.json)"
        else
                echo "kubectl=failed $(cat /run/kc.err 2>/dev/null)"
        fi
        # The state disk is mounted where kubelet keeps its state: leave a file there.
        if mountpoint -q /var/lib/kubelet || findmnt -n /var/lib/kubelet >/dev/null; then
                echo "kubelet_dir=mounted"
        fi
        echo "kubelet_fstype=$(findmnt -n -o FSTYPE --target /var/lib/kubelet 2>/dev/null)"
        date +%s >>/var/lib/kubelet/e2e-boots 2>/dev/null && echo "wrote=/var/lib/kubelet/e2e-boots"
        echo "boots=$(wc -l </var/lib/kubelet/e2e-boots 2>/dev/null || echo 0)"
} >>"$out" 2>&1
rm -f /run/kc.json /run/kc.err
