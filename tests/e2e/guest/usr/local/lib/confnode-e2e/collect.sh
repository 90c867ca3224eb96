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
bench-luks)
        # bench/guest-boot.sh: LUKS2 opens on this guest's real dm-crypt, on
        # the second virtio disk (the host made it blank; left blank again),
        # confnode's PBKDF2 against cryptsetup's default argon2id.
        if [[ -x /usr/local/bin/bench-luks ]]; then
                args=() # the host's options (-n N -a N), one line
                [[ -s /results/bench-luks.args ]] && read -r -a args </results/bench-luks.args || true
                /usr/local/bin/bench-luks -m -k -d /dev/vdb "${args[@]}" >/results/bench-luks.out 2>&1
                echo $? >/results/bench-luks.rc
                # PBKDF2 again under confnode.service's RestrictAddressFamilies=
                # (no AF_ALG: libcryptsetup decrypts the keyslot through a
                # dm-crypt mapping of its own), as the agent opens the disk.
                systemd-run --wait --pipe --quiet -p RestrictAddressFamilies="AF_UNIX AF_INET AF_INET6" \
                        /usr/local/bin/bench-luks -m -k -d /dev/vdb "${args[@]}" -a 0 \
                        >/results/bench-luks-unit.out 2>&1
                echo $? >/results/bench-luks-unit.rc
        else
                echo "bench-luks is not in the guest image (build bench/ before the image)" >/results/bench-luks.out
                echo 127 >/results/bench-luks.rc
        fi
        ;;
esac
systemctl show confnode.service kubelet.service -p Id -p ActiveState -p Result -p ExecMainStatus \
        >/results/units.txt 2>&1
journalctl -b -u confnode.service -o json --no-pager >/results/confnode.journal.json 2>&1
journalctl -b -o short-monotonic --no-pager >/results/journal.txt 2>&1
# For bench/guest-boot.sh: the units' CLOCK_MONOTONIC timestamps (us), the
# kubelet stand-in's journal, and the guest's clocks read back to back
# between two MONOTONIC reads (BOOTTIME - MONOTONIC is the time spent
# suspended; REALTIME - MONOTONIC converts the stand-in's EPOCHREALTIME).
systemctl show confnode.service kubelet.service -p Id -p InactiveExitTimestampMonotonic \
        -p ExecMainStartTimestampMonotonic -p ActiveEnterTimestampMonotonic \
        -p ExecMainExitTimestampMonotonic >/results/units-monotonic.txt 2>&1
journalctl -b -u kubelet.service -o json --no-pager >/results/kubelet.journal.json 2>&1
python3 -c 'from time import clock_gettime_ns as g, CLOCK_MONOTONIC as M, CLOCK_BOOTTIME as B, CLOCK_REALTIME as R
m1 = g(M); b = g(B); r = g(R); m2 = g(M)
print("monotonic_ns=%d\nboottime_ns=%d\nrealtime_ns=%d\nmonotonic_after_ns=%d" % (m1, b, r, m2))' \
        >/results/clocks.txt 2>&1
sync
umount /results
