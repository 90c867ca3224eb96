#!/bin/bash
# Mounts the results disk and puts this boot's scenario in place: the mode
# (golden: collect reference evidence; boot: the real boot path; cuse: the
# CUSE simulator test; bench-luks: LUKS2 open times, bench/guest-boot.sh),
# confnode's configuration and the simulated
# platform's files (only simulated signing keys ever enter the guest).
set -euo pipefail
mkdir -p /results
mount LABEL=results /results
mode=$(sed -n 's/.*confnode\.e2e=\([A-Za-z0-9_-]*\).*/\1/p' /proc/cmdline)
[[ -z $mode && -f /results/mode ]] && mode=$(cat /results/mode)
echo "${mode:-none}" >/run/confnode-e2e.mode
if [[ -d /results/sim ]]; then
        mkdir -p /var/lib/confnode-sim
        cp -a /results/sim/. /var/lib/confnode-sim/
fi
if [[ -d /results/etc-confnode ]]; then
        mkdir -p /etc/confnode
        cp -a /results/etc-confnode/. /etc/confnode/
        # Only the boot mode runs the agent as a service.
        [[ $mode == boot ]] || rm -f /etc/confnode/confnode.conf
fi
