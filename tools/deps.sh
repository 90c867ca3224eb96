#!/usr/bin/env bash
# Installs what confnode needs to build, test and run its demo on Debian 12.
# Sourced by tools/demo.sh and tools/test.sh; runs apt-get only for packages
# that are missing, as root or through sudo.
set -euo pipefail

CONFNODE_PACKAGES=(
        build-essential cmake pkg-config clang libclang-rt-14-dev
        libssl-dev libjson-c-dev libsystemd-dev libinih-dev libtss2-dev libcmocka-dev
        swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0
        libfuse3-dev fuse3
        libcurl4-openssl-dev libsqlite3-dev libblkid-dev sqlite3 curl
        qemu-system-x86 ovmf mmdebstrap cryptsetup e2fsprogs socat
        python3 python3-yaml jq systemd openssl
)

confnode_install_deps() {
        local missing=() p sudo=()
        for p in "${CONFNODE_PACKAGES[@]}"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        if [ "$(id -u)" -ne 0 ]; then
                command -v sudo >/dev/null || { echo "need root (or sudo) to apt-get install: ${missing[*]}" >&2; return 1; }
                sudo=(sudo)
        fi
        echo "==> apt-get install ${missing[*]}"
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# tests/integration/fake-verifier.py encrypts its resources (JWE) with it.
CONFNODE_PACKAGES+=(python3-cryptography)

# The state disk: libcryptsetup (LUKS2), xfsprogs (mkfs.xfs option), fdisk (sfdisk in tests).
CONFNODE_PACKAGES+=(libcryptsetup-dev xfsprogs fdisk)

# tests/integration/kubeconfig-kubectl.sh reads the bootstrap kubeconfig back with
# kubectl; Debian's kubernetes-client provides one where none is installed.
command -v kubectl >/dev/null || CONFNODE_PACKAGES+=(kubernetes-client)
