#!/bin/bash
# Builds the Debian 12 guest image the end-to-end tests boot, in two layers:
#  1. a base root file system from Debian's archive (mmdebstrap, about five
#     minutes), cached as a tarball named by the hash of its package list and
#     of this script's base recipe, so reruns reuse it;
#  2. the image proper: the base plus this build's binaries, units and test
#     scripts, written with `mke2fs -d` (seconds, no mounts), cached by the
#     hash of everything that went into it.
# Usage: image.sh BUILD_DIR OUT_DIR
#   OUT_DIR gets rootfs.img, vmlinuz and initrd.img (links into the cache).
# The cache is $CONFNODE_E2E_CACHE (default /var/cache/confnode-e2e); images
# unused for a day are removed, the three newest kept.
set -euo pipefail
build=$(realpath "$1")
out=$2
top=$(realpath "$(dirname "$0")/../..")
cache=${CONFNODE_E2E_CACHE:-/var/cache/confnode-e2e}
mkdir -p "$cache" "$out"

# What the guest needs: systemd as PID 1, the kernel (TPM CRB, dm-crypt,
# FUSE, CUSE), the shared libraries our binaries link, the disk tools, and
# python3 + swtpm for the test scripts that run inside.
PACKAGES=(
        systemd systemd-sysv udev dbus kmod util-linux procps iproute2 linux-image-amd64
        initramfs-tools e2fsprogs xfsprogs cryptsetup-bin fuse3 swtpm swtpm-tools python3-minimal
        jq ca-certificates tpm2-tools
        libtss2-esys-3.0.2-0 libtss2-mu0 libtss2-rc0 libtss2-sys1 libtss2-tctildr0
        libtss2-tcti-device0 libtss2-tcti-swtpm0 libjson-c5 libinih1 libfuse3-3 libcurl4
        libcryptsetup12 libblkid1 libssl3 libsystemd0 libmicrohttpd12 libsqlite3-0
)
BASE_RECIPE=1 # bump when the base changes in a way the package list does not show
base_hash=$(printf '%s\n' "$BASE_RECIPE" "${PACKAGES[@]}" | sha256sum | cut -c1-16)
base=$cache/base-$base_hash.tar

if [[ ! -s $base ]]; then
        echo "==> building the base guest root file system (mmdebstrap, a few minutes; cached as $base)"
        inc=$(IFS=,; echo "${PACKAGES[*]}")
        # The host's apt sources, so only the Debian archive is reached.
        mmdebstrap --mode=root --variant=minbase --include="$inc" \
                --customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer serial-getty@ttyS0.service getty@tty1.service systemd-timesyncd.service' \
                --customize-hook='echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$1/etc/fstab"' \
                --customize-hook='echo confnode-e2e >"$1/etc/hostname"' \
                bookworm "$cache/base-$base_hash.tmp.tar" >"$cache/base-$base_hash.log" 2>&1 ||
                { tail -n 30 "$cache/base-$base_hash.log" >&2; rm -f "$cache/base-$base_hash.tmp.tar"; exit 1; }
        mv "$cache/base-$base_hash.tmp.tar" "$base"
fi

# Layer 2: what this build adds. Everything that goes in is hashed.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/usr/local/bin" "$stage/usr/sbin" "$stage/usr/local/lib/confnode-tests" "$stage/etc/systemd/system"
install -m 0755 "$build/src/agent/confnode" "$build/src/sim/confnode-sim" \
        "$build/src/verifier/confnode-verifier" "$stage/usr/local/bin/"
install -m 0755 "$build/src/agent/confnode" "$stage/usr/sbin/confnode" # as units/confnode.service runs it
install -m 0644 "$top/units/confnode.service" "$stage/etc/systemd/system/"
cp -r "$top/units/kubelet.service.d" "$stage/etc/systemd/system/"
cp "$top/tests/integration/"*.sh "$top/tests/integration/"*.py "$stage/usr/local/lib/confnode-tests/"
if [[ -d $top/tests/e2e/guest ]]; then
        cp -r "$top/tests/e2e/guest/." "$stage/"
fi
# bench/guest-boot.sh times LUKS2 opens on the guest's own dm-crypt with it.
if [[ -x $build/bench/bench-luks ]]; then
        install -m 0755 "$build/bench/bench-luks" "$stage/usr/local/bin/"
fi
kubectl=$(command -v kubectl || true)
[[ -n $kubectl ]] && install -m 0755 "$(readlink -f "$kubectl")" "$stage/usr/local/bin/kubectl"
img_hash=$( (echo "$base_hash"; cd "$stage" && find . -type f -print0 | sort -z | xargs -0 sha256sum) |
        sha256sum | cut -c1-16)
img=$cache/rootfs-$img_hash.img

if [[ ! -s $img ]]; then
        root=$(mktemp -d)
        trap 'rm -rf "$stage" "$root"' EXIT
        tar -C "$root" -xf "$base"
        cp -a "$stage/." "$root/"
        # Units the guest tree asks for (tests/e2e/guest/etc/confnode-e2e.enable).
        if [[ -f $root/etc/confnode-e2e.enable ]]; then
                while read -r unit; do
                        [[ -n $unit ]] && chroot "$root" systemctl enable "$unit" >/dev/null 2>&1
                done <"$root/etc/confnode-e2e.enable"
        fi
        cp "$root"/boot/vmlinuz-* "$cache/vmlinuz-$base_hash"
        cp "$root"/boot/initrd.img-* "$cache/initrd-$base_hash"
        mke2fs -q -t ext4 -d "$root" -L root "$img.tmp" 1200M
        mv "$img.tmp" "$img"
        rm -rf "$root"
fi
# The image's mtime says when it was last used. Every build makes its own
# (1.2 GB), so drop those unused for a day, keeping the three newest; one a
# concurrent run still uses has been touched since.
touch "$img"
find "$cache" -maxdepth 1 -name 'rootfs-*.img' -printf '%T@ %p\n' | sort -rn | tail -n +4 |
        while read -r _ old; do
                if [[ $old != "$img" && -n $(find "$old" -mmin +1440 2>/dev/null) ]]; then
                        rm -f "$old"
                fi
        done
ln -sf "$img" "$out/rootfs.img"
ln -sf "$cache/vmlinuz-$base_hash" "$out/vmlinuz"
ln -sf "$cache/initrd-$base_hash" "$out/initrd.img"
echo "$img"
