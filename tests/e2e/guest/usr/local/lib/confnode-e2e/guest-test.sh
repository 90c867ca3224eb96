#!/bin/bash
# Inside the e2e guest: mounts the results disk (label "results"), runs the
# test named by confnode.e2e=NAME on the kernel command line, and leaves
# NAME.out (its output) and NAME.rc (its exit code) there for the host,
# which reads them with debugfs.
set -uo pipefail
name=$(sed -n 's/.*confnode\.e2e=\([A-Za-z0-9_-]*\).*/\1/p' /proc/cmdline)
mkdir -p /results
mount LABEL=results /results || { echo "no results disk" >/dev/console; exit 1; }
export CONFNODE=/usr/local/bin/confnode CONFNODE_SIM=/usr/local/bin/confnode-sim \
        CONFNODE_VERIFIER=/usr/local/bin/confnode-verifier
tests=/usr/local/lib/confnode-tests
case $name in
cuse)
        modprobe cuse
        "$tests/sim-sev-guest-cuse.sh" >/results/cuse.out 2>&1
        echo $? >/results/cuse.rc
        ;;
*)
        echo "unknown test '$name'" >/results/"$name".out
        echo 2 >/results/"$name".rc
        ;;
esac
sync
umount /results
