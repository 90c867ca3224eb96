#!/bin/bash
# The state disk in `confnode boot`, against swtpm, the simulated SEV-SNP
# platform and the real verifier on loopback, with loop devices as disks:
#  1. A loop device holding ext4 with a file: refused with disk.foreign_fs
#     before any key is asked for; the file and the first MiB are
#     byte-identical afterwards.
#  2. A blank loop device: the key for a fresh UUID is released, the LUKS2
#     header is written ("formatting", checked with cryptsetup luksDump),
#     and opening fails because this host has no device-mapper
#     (disk.open_failed): the disk stays "unfinished".
#  3. Booting again: the unfinished volume's own UUID is asked for, its key
#     opens the keyslot, and the first format is redone (same UUID).
# Activation, mkfs and mount need device-mapper: the QEMU e2e tests cover them.
set -euo pipefail
: "${CONFNODE:?}" "${CONFNODE_SIM:?}" "${CONFNODE_VERIFIER:?}"
here=$(dirname "$0")
source "$here/tpm-lib.sh"
source "$here/sim-lib.sh"
source "$here/kbs-lib.sh"
W=$(mktemp -d)
LOOPS=()
cleanup() {
        local l
        for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done
        verifier_stop
        tsm_tree_stop
        swtpm_stop
        rm -rf "$W"
}
trap cleanup EXIT

command -v losetup >/dev/null && command -v cryptsetup >/dev/null || { echo "SKIP: no losetup/cryptsetup"; exit 77; }
loop_attach() { # IMAGE -> the loop device in $LOOP (not a subshell: cleanup must see it)
        LOOP=$(losetup --find --show "$1")
        LOOPS+=("$LOOP")
}
# Probe once: containers often have no loop devices.
truncate -s 1M "$W/probe.img"
if ! probe=$(losetup --find --show "$W/probe.img" 2>/dev/null); then
        echo "SKIP: cannot attach a loop device here"; exit 77
fi
losetup -d "$probe"

swtpm_start "$W/tpm"
"$CONFNODE_SIM" measure-boot --tcti "$TCTI" --out "$W/log.bin"
sim_init "$W/sim"
tsm_tree_start "$W/sim" "$W/tsm" --provider sev_guest
kbs_pki "$W/pki"

agent_conf() { # FILE URL DEVICE
        cat >"$1" <<EOC
[agent]
eventlog = $W/log.bin
tee = tsm
tsm_path = $W/tsm/report
[tpm]
tcti = $TCTI
ak_algorithm = ecc-p256
pcrs = sha256:0-9
[verifier]
url = $2
ca = $W/pki/ca.pem
retry_deadline = 20
[disk]
device = $3
mountpoint = $W/state
bind = $W/kubelet
EOC
}

agent_conf "$W/agent.conf" https://127.0.0.1:9 /dev/null
"$CONFNODE" --config "$W/agent.conf" collect --out "$W/golden" >/dev/null
"$CONFNODE_VERIFIER" reference --from "$W/golden" >"$W/ref.json" || fail "reference --from failed"
jq --arg sim "$W/sim" '. + {version: 1,
        anchors: {amd_ark: [($sim + "/amd/ark.pem")], simulated: true, builtin: false},
        resources: [{path: "confnode/disk-key/*", kind: "disk-key", tees: ["snp"]},
                    {path: "confnode/kubelet/join", kind: "join-bundle", tees: ["snp"]}]}
        | .tpm.vtpm = "bound" | .tpm.require_eventlog = true' "$W/ref.json" >"$W/policy.json"
verifier_start "$W/pki" "$W/policy.json"

boot() { # CONF OUT -> exit status in $rc
        set +e
        "$CONFNODE" --config "$1" boot 2>"$2"
        rc=$?
        set -e
}

# 1. ext4 with a file: refused, untouched.
truncate -s 64M "$W/ext4.img"
mkfs.ext4 -q -F "$W/ext4.img"
echo "node data $RANDOM" >"$W/data.txt"
debugfs -w -R "write $W/data.txt data.txt" "$W/ext4.img" >/dev/null 2>&1
loop_attach "$W/ext4.img"
ext4=$LOOP
head -c 1048576 "$ext4" | sha256sum >"$W/ext4.head.before"
sha256sum <"$W/ext4.img" >"$W/ext4.all.before"
agent_conf "$W/ext4.conf" "$VERIFIER_URL" "$ext4"
boot "$W/ext4.conf" "$W/ext4.out"
[[ $rc -eq 1 ]] || { cat "$W/ext4.out" >&2; fail "boot on an ext4 disk exited $rc, expected 1"; }
grep -q "(reason: disk.foreign_fs)" "$W/ext4.out" || { cat "$W/ext4.out" >&2; fail "no disk.foreign_fs"; }
grep -q "The state disk '$ext4' holds a filesystem signature 'ext4'" "$W/ext4.out" ||
        { cat "$W/ext4.out" >&2; fail "the refusal does not name what it found"; }
grep -q "confnode/disk-key" "$W/pki/verifier.log" && fail "a disk key was asked for a refused disk"
head -c 1048576 "$ext4" | sha256sum | cmp -s - "$W/ext4.head.before" || fail "the first MiB of the ext4 disk changed"
sha256sum <"$W/ext4.img" | cmp -s - "$W/ext4.all.before" || fail "the ext4 disk changed"
debugfs -R "cat data.txt" "$W/ext4.img" 2>/dev/null | cmp -s - "$W/data.txt" || fail "the file on the ext4 disk changed"
[[ ! -e $W/state ]] || fail "the mount point was created for a refused disk"

# 2. A blank disk: formatted up to the open.
truncate -s 64M "$W/blank.img"
loop_attach "$W/blank.img"
blank=$LOOP
agent_conf "$W/blank.conf" "$VERIFIER_URL" "$blank"
boot "$W/blank.conf" "$W/blank.out"
[[ $rc -eq 1 ]] || { cat "$W/blank.out" >&2; fail "boot on a blank disk exited $rc, expected 1"; }
uuid=$(sed -n "s/.*The state disk '.*' holds a blank disk.*; asking for the key of \([0-9a-f-]\{36\}\).*/\1/p" "$W/blank.out")
[[ -n $uuid ]] || { cat "$W/blank.out" >&2; fail "no disk UUID chosen for the blank disk"; }
grep -q "released confnode/disk-key/$uuid (32 bytes" "$W/blank.out" || { cat "$W/blank.out" >&2; fail "disk key not released"; }
grep -q "(reason: disk.open_failed)" "$W/blank.out" || { cat "$W/blank.out" >&2; fail "no disk.open_failed"; }
grep -q "stays marked unfinished" "$W/blank.out" || fail "the open failure does not say the disk stays unfinished"
[[ $(cryptsetup luksUUID "$blank") == "$uuid" ]] || fail "the header's UUID is not the one the key was released for"
cryptsetup luksDump "$blank" >"$W/dump.txt"
grep -qP '^Label:\s+confnode-state$' "$W/dump.txt" || fail "label: $(cat "$W/dump.txt")"
grep -qP '^Subsystem:\s+confnode$' "$W/dump.txt" || fail "subsystem"
grep -qP '^\s+0: confnode$' "$W/dump.txt" || fail "no confnode token"
grep -qP '^\s+PBKDF:\s+pbkdf2$' "$W/dump.txt" || fail "not PBKDF2"
cryptsetup luksDump --dump-json-metadata "$blank" | jq -e '.tokens["0"].state == "formatting" and
        (.keyslots | length) == 1' >/dev/null || fail "token is not 'formatting' with one keyslot"
! grep -q "mkfs\|mounted at" "$W/blank.out" || fail "the boot went past the open"

# 3. Again: the unfinished volume's own UUID, and the format redone.
cp "$W/blank.img" "$W/blank.before"
boot "$W/blank.conf" "$W/again.out"
grep -q "holds confnode's LUKS2 volume $uuid with state 'formatting'.*asking for the key of $uuid" "$W/again.out" ||
        { cat "$W/again.out" >&2; fail "the unfinished volume's UUID was not asked for"; }
grep -q "(reason: disk.open_failed)" "$W/again.out" || { cat "$W/again.out" >&2; fail "second boot: no disk.open_failed"; }
[[ $(cryptsetup luksUUID "$blank") == "$uuid" ]] || fail "the UUID changed on the redone format"
cmp -s "$W/blank.img" "$W/blank.before" && fail "the unfinished format was not redone"

echo "disk-refuse: OK"
