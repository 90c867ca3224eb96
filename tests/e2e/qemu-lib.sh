# Shared by the e2e tests (sourced): boots the guest image under QEMU (TCG)
# with OVMF (a real UEFI event log), swtpm as its vTPM (tpm-crb), the state
# disk and a results disk, and stops every process it started by PID when
# the test exits, pass or fail.
#   vm_image BUILD_DIR             builds or reuses the image (tests/e2e/image.sh)
#   vm_new DIR                     a fresh VM: OVMF variables, vTPM state, disks
#   vm_boot DIR TIMEOUT [OPTIONS]  boots, waits for the guest to power off
#   vm_start DIR [OPTIONS], vm_wait DIR TIMEOUT   the same in two steps
#       --append STR               more kernel command line
#       --guestfwd PORT            the guest reaches host 127.0.0.1:PORT as 10.0.2.100:PORT
#   vm_result DIR FILE             prints FILE from the results disk
#   vm_result_dir DIR PATH DEST    copies a directory from the results disk
#   vm_stop                        stops QEMU and swtpm (also done on exit)

VM_QEMU_PID=
VM_SWTPM_PID=
VM_IMAGE_DIR=

vm_stop() {
        local p
        for p in "$VM_QEMU_PID" "$VM_SWTPM_PID"; do
                [[ -n $p ]] || continue
                kill "$p" 2>/dev/null || true
                wait "$p" 2>/dev/null || true
        done
        VM_QEMU_PID=
        VM_SWTPM_PID=
}

vm_image() {
        VM_IMAGE_DIR=$(mktemp -d)
        "$(dirname "${BASH_SOURCE[0]}")/image.sh" "$1" "$VM_IMAGE_DIR" >/dev/null
}

vm_new() {
        local d=$1
        mkdir -p "$d/tpm"
        cp /usr/share/OVMF/OVMF_VARS_4M.fd "$d/vars.fd"
        truncate -s 256M "$d/data.img"
        mke2fs -q -t ext4 -L results "$d/results.img" 64M
}

# vm_boot DIR TIMEOUT [OPTIONS]: vm_start, then vm_wait.
vm_boot() {
        local d=$1 timeout=$2
        shift 2
        vm_start "$d" "$@" && vm_wait "$d" "$timeout"
}

# vm_start DIR [OPTIONS]: boots in the background (VM_QEMU_PID).
vm_start() {
        local d=$1 append="" fwd="" net
        shift
        while [[ $# -gt 0 ]]; do
                case $1 in
                --append) append=$2; shift 2 ;;
                --guestfwd) fwd=$2; shift 2 ;;
                *) echo "vm_boot: unknown option $1" >&2; return 2 ;;
                esac
        done
        # A fresh results disk per boot, seeded with DIR/seed if there is one
        # (the scenario's configuration); the state disk and vTPM persist.
        rm -f "$d/results.img"
        if [[ -d $d/seed ]]; then
                mke2fs -q -t ext4 -L results -d "$d/seed" "$d/results.img" 64M >/dev/null
        else
                mke2fs -q -t ext4 -L results "$d/results.img" 64M >/dev/null
        fi
        # UEFI variables as on a first boot, every boot: OVMF writes its boot
        # entries into them, which would move PCR 1 between boots.
        cp /usr/share/OVMF/OVMF_VARS_4M.fd "$d/vars.fd"
        rm -f "$d/swtpm.sock" "$d/serial.log"
        swtpm socket --tpm2 --tpmstate dir="$d/tpm" --ctrl type=unixio,path="$d/swtpm.sock" \
                --flags startup-clear --log file="$d/swtpm.log",level=1 &
        VM_SWTPM_PID=$!
        for _ in $(seq 1 50); do [[ -S $d/swtpm.sock ]] && break; sleep 0.1; done
        net="user,id=n0,restrict=on"
        # cmd: runs socat for each connection the guest opens; a tcp: target
        # would be one connection, made once when QEMU starts.
        [[ -n $fwd ]] && net+=",guestfwd=tcp:10.0.2.100:$fwd-cmd:socat STDIO TCP:127.0.0.1:$fwd"
        qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 2048 -display none \
                -monitor none -no-reboot -serial file:"$d/serial.log" \
                -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
                -drive if=pflash,format=raw,unit=1,file="$d/vars.fd" \
                -kernel "$VM_IMAGE_DIR/vmlinuz" -initrd "$VM_IMAGE_DIR/initrd.img" \
                -append "root=/dev/vda rw console=ttyS0 $append" \
                -drive file="$VM_IMAGE_DIR/rootfs.img",if=virtio,format=raw,snapshot=on \
                -drive file="$d/data.img",if=virtio,format=raw \
                -drive file="$d/results.img",if=virtio,format=raw \
                -chardev socket,id=chrtpm,path="$d/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
                -device tpm-crb,tpmdev=tpm0 \
                -netdev "$net" -device virtio-net-pci,netdev=n0 &
        VM_QEMU_PID=$!
}

# vm_wait DIR TIMEOUT: waits for the guest to power off.
vm_wait() {
        local d=$1 timeout=$2 i=0
        while kill -0 "$VM_QEMU_PID" 2>/dev/null; do
                if ((i >= timeout * 2)); then
                        echo "the guest did not power off within $timeout s; serial log tail:" >&2
                        tail -n 20 "$d/serial.log" >&2
                        vm_stop
                        return 1
                fi
                sleep 0.5
                i=$((i + 1))
        done
        wait "$VM_QEMU_PID" 2>/dev/null || true
        VM_QEMU_PID=
        kill "$VM_SWTPM_PID" 2>/dev/null || true
        wait "$VM_SWTPM_PID" 2>/dev/null || true
        VM_SWTPM_PID=
}

vm_result() {
        debugfs -R "cat /$2" "$1/results.img" 2>/dev/null
}

# vm_result_dir DIR PATH DEST: copies a directory off the results disk.
vm_result_dir() {
        mkdir -p "$3"
        debugfs -R "rdump /$2 $3" "$1/results.img" >/dev/null 2>&1
}
