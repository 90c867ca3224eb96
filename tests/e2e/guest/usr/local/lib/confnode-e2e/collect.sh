#!/bin/bash
# Runs after confnode and kubelet are done: the mode's own work, then the
# journal and unit states to the results disk for the host to read.
set -uo pipefail
mode=$(cat /run/confnode-e2e.mode 2>/dev/null || echo none)
export CONFNODE=/usr/local/bin/confnode CONFNODE_SIM=/usr/local/bin/confnode-sim \
        CONFNODE_VERIFIER=/usr/local/bin/confnode-verifier
tests=/usr/local/lib/confnode-tests
case $mode in
cuse)
        modprobe cuse
        "$tests/sim-sev-guest-cuse.sh" >/results/cuse.out 2>&1
        echo $? >/results/cuse.rc
        ;;
golden)
        # A golden node's evidence, from the same boot the scenarios make.
        /usr/local/bin/confnode --config /etc/confnode/golden.conf collect --out /results/golden \
                >/results/golden.out 2>&1
        echo $? >/results/golden.rc
        ;;
esac
systemctl show confnode.service kubelet.service -p Id -p ActiveState -p Result -p ExecMainStatus \
        >/results/units.txt 2>&1
journalctl -b -u confnode.service -o json --no-pager >/results/confnode.journal.json 2>&1
journalctl -b -o short-monotonic --no-pager >/results/journal.txt 2>&1
sync
umount /results
