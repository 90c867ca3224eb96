# Shared by the e2e scenario tests (sourced). The scenarios share one VM's
# disks and vTPM, in BUILD/e2e-work, set up by golden.sh (a ctest fixture):
#   image/      the guest image (tests/e2e/image.sh)
#   sim/        the simulated SEV-SNP platform; only its simulated keys enter the guest
#   pki/        the verifier's TLS (valid for 10.0.2.100, where the guest reaches it)
#   vm/         OVMF variables, vTPM state, the state disk (data.img), results disk
#   policy.json the reference values of the golden boot, as an operator reviews them
# e2e_init BUILD        sets W and loads the helpers
# e2e_seed MODE [CONF]  the results disk's seed for the next boot
# e2e_free_port         a free loopback port for the verifier
set -euo pipefail
E2E_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$E2E_HERE/qemu-lib.sh"
source "$E2E_HERE/../integration/tpm-lib.sh"
source "$E2E_HERE/../integration/sim-lib.sh"
source "$E2E_HERE/../integration/kbs-lib.sh"

e2e_init() {
        local build
        build=$(realpath "$1")
        W=$build/e2e-work
        export CONFNODE=$build/src/agent/confnode CONFNODE_SIM=$build/src/sim/confnode-sim \
                CONFNODE_VERIFIER=$build/src/verifier/confnode-verifier
        VM_IMAGE_DIR=$W/image
        mkdir -p "$W"
}

# The agent's configuration inside the guest; $1 is the verifier port.
# $E2E_DISK_EXTRA, if set, adds lines to its [disk] section.
e2e_agent_conf() {
        cat <<EOC
[agent]
tee = sev-guest
[tpm]
tcti = device:/dev/tpmrm0
ak_algorithm = ecc-p256
# As the KBS quote: every SHA-256 PCR (the golden bundle gives reference values for all).
pcrs = sha256:0-23
[verifier]
url = https://10.0.2.100:$1
ca = /etc/confnode/verifier-ca.pem
retry_initial = 2s
retry_max = 10s
retry_deadline = ${2:-30s}
rejection_retry = 5s
[disk]
device = /dev/vdb
${E2E_DISK_EXTRA:-}
EOC
}

# e2e_seed MODE PORT [DEADLINE]: the results disk's content for the next boot.
e2e_seed() {
        local seed=$W/vm/seed
        rm -rf "$seed"
        mkdir -p "$seed/etc-confnode"
        echo "$1" >"$seed/mode"
        cp -a "$W/sim" "$seed/sim"
        # Signing keys only: the simulated CAs' own keys stay on the host.
        rm -f "$seed/sim/private/amd-ark.key" "$seed/sim/private/amd-ask.key" \
                "$seed/sim/private/intel-root-ca.key" "$seed/sim/private/intel-platform-ca.key"
        cp "$W/pki/ca.pem" "$seed/etc-confnode/verifier-ca.pem"
        e2e_agent_conf "$2" "${3:-30s}" >"$seed/etc-confnode/confnode.conf"
        cp "$seed/etc-confnode/confnode.conf" "$seed/etc-confnode/golden.conf"
}

e2e_free_port() {
        local p
        for _ in $(seq 1 50); do
                p=$((20000 + RANDOM % 40000))
                port_is_free "$p" && { echo "$p"; return 0; }
        done
        return 1
}

# The confnode journal records of the last boot, one JSON object per line.
e2e_journal() {
        vm_result "$W/vm" confnode.journal.json
}
