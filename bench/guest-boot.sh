#!/bin/bash
# The agent's boot inside the e2e QEMU guest (tests/e2e), timed by the guest
# itself: each phase from the monotonic timestamps of confnode's journal
# records (and the durations the agent puts in them), the time from
# confnode's start to kubelet's first byte, and LUKS2 open times on the
# guest's real dm-crypt, confnode's PBKDF2 against cryptsetup's default
# argon2id (bench-luks). Prints figures, asserts nothing on time; not part
# of ctest. See bench/README.md, "guest-boot".
#
# Usage: bench/guest-boot.sh [--build DIR] [--boots N] [--luks-n N] [--luks-argon N] [--no-luks]
#
# It works in BUILD/bench-guest-work (wiped at the start, kept afterwards for
# the journals), never in BUILD/e2e-work, which the e2e tests own: a golden
# boot (tests/e2e/golden.sh, run on a build directory of links, so its work
# directory is BUILD/bench-guest-work/build/e2e-work) gives the image, the
# simulated SEV-SNP platform, the verifier's PKI and the policy; then N
# pairs of a first boot (blank state disk: format) and a second boot
# (unlock), against one verifier; then one boot that runs bench-luks on a
# blank virtio disk. Every process it starts (verifier, swtpm, QEMU, the
# golden boot) is stopped by PID when it exits, pass or fail.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=${CONFNODE_BUILD_DIR:-$top/build}
boots=1
luks=1
luks_n=21
luks_argon=5

usage() {
        sed -n 's/^# Usage: //p' "$0"
}

while [[ $# -gt 0 ]]; do
        case $1 in
        --build) build=$2; shift 2 ;;
        --boots) boots=$2; shift 2 ;;
        --luks-n) luks_n=$2; shift 2 ;;
        --luks-argon) luks_argon=$2; shift 2 ;;
        --no-luks) luks=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
        esac
done
for v in "$boots" "$luks_n" "$luks_argon"; do
        [[ $v =~ ^[1-9][0-9]{0,3}$ ]] || { echo "guest-boot: '$v' is not a count from 1 to 9999" >&2; exit 2; }
done
build=$(realpath "$build")
for b in src/agent/confnode src/sim/confnode-sim src/verifier/confnode-verifier; do
        [[ -x $build/$b ]] || { echo "guest-boot: no '$build/$b': build first (cmake --build $build)" >&2; exit 1; }
done
if ((luks)) && [[ ! -x $build/bench/bench-luks ]]; then
        echo "guest-boot: no '$build/bench/bench-luks': skipping the LUKS part" >&2
        luks=0
fi

# The golden boot runs golden.sh as it is; its work directory follows from
# the build directory it is given, so it gets one of links to this build.
work=$build/bench-guest-work
rm -rf "$work"
mkdir -p "$work/build"
ln -s "$build/src" "$work/build/src"
ln -s "$build/bench" "$work/build/bench"

source "$top/tests/e2e/e2e-lib.sh"
e2e_init "$work/build" # W=$work/build/e2e-work

golden_pid=
cleanup() {
        if [[ -n $golden_pid ]]; then
                kill "$golden_pid" 2>/dev/null || true
                wait "$golden_pid" 2>/dev/null || true
                golden_pid=
        fi
        vm_stop
        verifier_stop
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# unit_prop FILE UNIT PROPERTY: one property of `systemctl show` output.
unit_prop() {
        awk -v RS= -v id="Id=$2" -v p="$3=" '
                { n = split($0, l, "\n"); hit = 0; v = ""
                  for (i = 1; i <= n; i++) { if (l[i] == id) hit = 1; if (index(l[i], p) == 1) v = substr(l[i], length(p) + 1) }
                  if (hit) print v }' "$1"
}

# A value from a KEY=VALUE file, or "null".
kv() {
        local v
        v=$(sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1)
        [[ $v =~ ^[0-9]+$ ]] && echo "$v" || echo null
}

# From confnode's journal records: each phase as [start, end] in ms from
# t0 (µs, CLOCK_MONOTONIC). journald stamps a record when it receives it;
# a phase's start is its end record's stamp minus the duration the agent
# measured and wrote into the message (its own CLOCK_MONOTONIC).
PHASES_JQ='
def ts: .__MONOTONIC_TIMESTAMP | tonumber;
def rel($us): if $us == null then null else (($us | tonumber) - $t0) / 1000 end;
def lastp($ph; $re): [.[] | select(.CONFNODE_PHASE == $ph and (.MESSAGE | test($re)))] | last;
def took($rec; $re): if $rec == null then null
        else ($rec.MESSAGE | capture($re).v | tonumber) as $d | rel($rec | ts) as $e | [$e - $d, $e] end;
def at($rec): if $rec == null then null else rel($rec | ts) end;
. as $all
| lastp("config"; "^Configuration loaded") as $cfg
| lastp("detect"; "^Detection took") as $det
| lastp("disk"; "; asking for the key of ") as $probe
| lastp("auth"; "^Attesting as") as $auth
| lastp("resources"; "^Attested to ") as $att
| ([$all[] | select(.CONFNODE_PHASE == "evidence" and (.MESSAGE | test("^Evidence collected in"))
        and ($att == null or ts <= ($att | ts)))] | last) as $ev
| lastp("disk"; "^State disk .* in [0-9.]+ ms [(]probe") as $disk
| lastp("kubelet"; "^Wrote the bootstrap kubeconfig") as $kub
| lastp("ready"; ".") as $ready
| took($cfg; " in (?<v>[0-9.]+) ms$") as $c
| took($ev; "^Evidence collected in (?<v>[0-9.]+) ms") as $e
| (if $disk == null then null else $disk.MESSAGE | capture("^State disk .* (?<action>formatted|unlocked|[a-z]+): .* in (?<total>[0-9.]+) ms [(]probe (?<probe>[0-9.]+), format (?<format>[0-9.]+), open (?<open>[0-9.]+), mkfs (?<mkfs>[0-9.]+), fsck (?<fsck>[0-9.]+), mount (?<mount>[0-9.]+) ms[)]$") end) as $dm
| (if $dm == null then null else at($disk) as $de | ($de - ($dm.total | tonumber)) as $ds
        | reduce ("probe", "format", "open", "mkfs", "fsck", "mount") as $k ({t: $ds, s: {}};
                .s[$k] = [.t, .t + ($dm[$k] | tonumber)] | .t += ($dm[$k] | tonumber))
        | .s + {all: [$ds, $de], rest: [.t, $de]} end) as $d
| {
        action: ($dm.action // null),
        t0_first_record: rel($all[0] | ts),
        rows: [
                ["fork, sandbox, exec, start-up to main", [0, (if $c then $c[0] else null end)]],
                ["config", $c],
                ["detect TEE", took($det; "^Detection took (?<v>[0-9.]+) ms")],
                ["disk probe (which key to ask for)", took($probe; "[(]probe (?<v>[0-9.]+) ms[)]$")],
                ["auth (KBS /auth, ephemeral key)", [at($auth), (if $e then $e[0] else null end)]],
                ["evidence collect (SNP report, quote, log)", $e],
                ["attest + 2 resources (verifier)", [(if $e then $e[1] else null end), at($att)]],
                ["= attest phase, auth..resources", [at($auth), at($att)]],
                ["disk setup (\($dm.action // "?"))", $d.all],
                ["  probe", $d.probe], ["  format (LUKS2 header)", $d.format], ["  open (dm-crypt)", $d.open],
                ["  mkfs", $d.mkfs], ["  fsck", $d.fsck], ["  mount (+ binds)", $d.mount],
                ["  rest (locate, mark ready)", $d.rest],
                ["kubelet files (kubeconfig, CA, env)", took($kub; " in (?<v>[0-9.]+) ms$")],
                ["READY=1 (the agent'"'"'s record)", [null, at($ready)]],
                ["READY=1 (systemd: unit active)", [null, rel($ext.ready_systemd)]],
                ["kubelet.service forked (systemd)", [null, rel($ext.kubelet_exec)]],
                ["kubelet first byte (stand-in, monotonic)", [null, rel($ext.kubelet_first)]],
                ["kubelet first line (journald stamp)", [null, rel($ext.kubelet_line)]]
        ] | map(select(.[1] != null and .[1][1] != null) | [.[0], .[1][0], .[1][1]]),
        summary: {
                ready: at($ready),
                attest: (if $auth and $att then at($att) - at($auth) else null end),
                disk: ($dm.total // null | if . then tonumber else null end),
                format: ($dm.format // null | if . then tonumber else null end),
                open: ($dm.open // null | if . then tonumber else null end),
                mkfs: ($dm.mkfs // null | if . then tonumber else null end),
                mount: ($dm.mount // null | if . then tonumber else null end),
                kubelet_first_byte: rel($ext.kubelet_first)
        }
}'

# analyse DIR KIND: phases.json from a boot's results, and its table.
analyse() {
        local d=$1 kind=$2 t0 t0_what first_ns first_us line ext mono mono2 boot real freal fup off est agree
        t0=$(unit_prop "$d/units-monotonic.txt" confnode.service ExecMainStartTimestampMonotonic)
        t0_what="ExecMainStartTimestampMonotonic of confnode.service (systemd forks /usr/sbin/confnode)"
        if [[ ! $t0 =~ ^[1-9][0-9]*$ ]]; then
                t0=$(jq -rs '.[0].__MONOTONIC_TIMESTAMP' "$d/confnode.journal.json")
                t0_what="the unit's first journal record (systemd's 'Starting confnode.service')"
        fi
        first_ns=$(kv "$d/kubelet.txt" first_monotonic_ns)
        first_us=null
        [[ $first_ns != null ]] && first_us=$((first_ns / 1000))
        line=$(jq -rs '[.[] | select((.MESSAGE // "") | startswith("kubelet stand-in started"))][0].__MONOTONIC_TIMESTAMP // "null"' \
                "$d/kubelet.journal.json" 2>/dev/null || echo null)
        ext=$(jq -n --argjson rs "$(unit_prop "$d/units-monotonic.txt" confnode.service ActiveEnterTimestampMonotonic | grep -E '^[1-9][0-9]*$' || echo null)" \
                --argjson ke "$(unit_prop "$d/units-monotonic.txt" kubelet.service ExecMainStartTimestampMonotonic | grep -E '^[1-9][0-9]*$' || echo null)" \
                --argjson kf "$first_us" --argjson kl "$line" \
                '{ready_systemd: $rs, kubelet_exec: $ke, kubelet_first: $kf, kubelet_line: $kl}')
        jq -s --argjson t0 "$t0" --argjson ext "$ext" "$PHASES_JQ" "$d/confnode.journal.json" >"$d/phases.json"
        echo
        echo "$kind boot ($(jq -r '.action // "?"' "$d/phases.json") the state disk), ms of guest CLOCK_MONOTONIC from t=0:"
        echo "  t=0 is $t0_what, at ${t0} us; its first journal record is at $(jq -r '.t0_first_record' "$d/phases.json") ms"
        printf '  %-44s %10s %10s %10s\n' phase start end took
        # A point in time has no start: "-" (tabs would collapse in read).
        jq -r '.rows[] | [.[0], (.[1] // "-" | tostring), (.[2] | tostring),
                (if .[1] == null then "-" else .[2] - .[1] | tostring end)] | @tsv' "$d/phases.json" |
                while IFS=$'\t' read -r name s e t; do
                        [[ $s == - ]] || s=$(printf '%.1f' "$s")
                        [[ $t == - ]] && t="" || t=$(printf '%.1f' "$t")
                        printf '  %-44s %10s %10.1f %10s\n' "$name" "$s" "$e" "$t"
                done
        # The clocks: kubelet's first byte is read from /proc/timer_list
        # (CLOCK_MONOTONIC, as journald and systemd); cross-checked against
        # its CLOCK_REALTIME and /proc/uptime (CLOCK_BOOTTIME).
        mono=$(kv "$d/clocks.txt" monotonic_ns)
        mono2=$(kv "$d/clocks.txt" monotonic_after_ns)
        boot=$(kv "$d/clocks.txt" boottime_ns)
        real=$(kv "$d/clocks.txt" realtime_ns)
        freal=$(kv "$d/kubelet.txt" first_realtime_us)
        fup=$(kv "$d/kubelet.txt" started_monotonic_us)
        if [[ "$mono $mono2 $boot $real $freal $fup $first_us" != *null* ]]; then
                off=$(((real - (mono + mono2) / 2) / 1000))
                est=$((freal - off))
                if ((boot - mono <= mono2 - mono)); then agree="they agree: no suspend"; else agree="they differ"; fi
                echo "  clocks: BOOTTIME - MONOTONIC = $(((boot - mono) / 1000)) us (read within" \
                        "$(((mono2 - mono) / 1000)) us at the end of the boot: $agree); the stand-in's REALTIME," \
                        "read right after /proc/timer_list, maps to $((est - first_us)) us after it;" \
                        "/proc/uptime (10 ms ticks, read after a fork) to $(((fup - first_us) / 1000)) ms after it"
        fi
}

# boot_once KIND INDEX: one boot of the e2e VM, its results in $work/boot-INDEX-KIND.
boot_once() {
        local kind=$1 i=$2 d=$work/boot-$2-$1 want f
        e2e_seed boot "$VERIFIER_PORT" 120s
        if [[ $kind == first ]]; then
                truncate -s 0 "$W/vm/data.img"
                truncate -s 256M "$W/vm/data.img"
                want=formatted
        else
                want=unlocked
        fi
        local t=$SECONDS
        vm_boot "$W/vm" 900 --guestfwd "$VERIFIER_PORT"
        mkdir -p "$d"
        for f in confnode.journal.json kubelet.journal.json units-monotonic.txt units.txt kubelet.txt clocks.txt \
                journal.txt; do
                vm_result "$W/vm" "$f" >"$d/$f" || true
        done
        cp "$W/vm/serial.log" "$d/"
        if ! grep -q '^kubectl=ok' "$d/kubelet.txt"; then
                jq -r '.MESSAGE' "$d/confnode.journal.json" | tail -n 15 >&2
                fail "$kind boot $i: kubelet did not start with a valid kubeconfig ($d)"
        fi
        analyse "$d" "$kind"
        [[ $(jq -r '.action' "$d/phases.json") == "$want" ]] ||
                fail "$kind boot $i: the state disk was not $want (see $d/confnode.journal.json)"
        echo "  (the whole boot took $((SECONDS - t)) s of host time under TCG)"
}

echo "==> golden boot (tests/e2e/golden.sh): guest image, simulated SEV-SNP platform, verifier PKI, reference values -> policy"
"$top/tests/e2e/golden.sh" "$work/build" >"$work/golden.log" 2>&1 &
golden_pid=$!
if ! wait "$golden_pid"; then
        golden_pid=
        cat "$work/golden.log" >&2
        fail "the golden boot failed"
fi
golden_pid=
tail -n 1 "$work/golden.log"

VERIFIER_WANT_PORT=$(e2e_free_port)
verifier_start "$W/pki" "$W/policy.json"
echo "==> $boots pair(s) of boots against the verifier on 127.0.0.1:$VERIFIER_PORT (guest: 10.0.2.100)"
for i in $(seq 1 "$boots"); do
        boot_once first "$i"
        boot_once second "$i"
done
verifier_stop

if ((luks)); then
        echo
        echo "==> LUKS2 open inside the guest: bench-luks -m -d /dev/vdb -n $luks_n -a $luks_argon (a blank 256 MiB virtio disk)"
        v=$W/vm-luks
        vm_new "$v" >/dev/null
        mkdir -p "$v/seed" "$work/luks"
        echo bench-luks >"$v/seed/mode"
        echo "-n $luks_n -a $luks_argon" >"$v/seed/bench-luks.args"
        vm_boot "$v" 1800
        vm_result "$v" bench-luks.out >"$work/luks/bench-luks.out" || true
        vm_result "$v" journal.txt >"$work/luks/journal.txt" || true
        rc=$(vm_result "$v" bench-luks.rc || true)
        [[ $rc == 0 ]] || { cat "$work/luks/bench-luks.out" >&2; fail "bench-luks in the guest failed (rc '${rc:-none}')"; }
        grep -v '^bench-luks ' "$work/luks/bench-luks.out" | sed 's/^/  /'
        vm_result "$v" bench-luks-unit.out >"$work/luks/bench-luks-unit.out" || true
        rc=$(vm_result "$v" bench-luks-unit.rc || true)
        echo "  PBKDF2 again under confnode.service's RestrictAddressFamilies= (no AF_ALG), rc ${rc:-none}:"
        grep -v '^bench-luks ' "$work/luks/bench-luks-unit.out" | sed 's/^/  /'
fi

# The closing lines: per kind, the median over the boots.
echo
for kind in first second; do
        jq -rs --arg kind "$kind" --argjson n "$boots" '
                def med: map(select(. != null)) | sort | if length == 0 then null
                        elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
                def f: if . == null then "?" else . * 10 | round / 10 | tostring end;
                map(.summary) as $s | ($s[0] | keys) as $k
                | (reduce $k[] as $x ({}; .[$x] = ([$s[][$x]] | med))) as $m
                | "guest-boot \($kind): confnode→READY \($m.ready | f) ms, attest \($m.attest | f), disk \($m.disk | f) (format \($m.format | f), open \($m.open | f), mkfs \($m.mkfs | f), mount \($m.mount | f)), kubelet first byte \($m.kubelet_first_byte | f) ms"
                  + (if $n > 1 then " (median of \($n))" else "" end)' "$work"/boot-*-"$kind"/phases.json
done
if ((luks)); then
        # lf FILE KDF FIELD: a figure of bench-luks -k's line for KDF.
        lf() {
                local v
                v=$(sed -n "s/^bench-luks kdf=$2 .* $3=\([0-9.]*\) .*/\1/p; s/^bench-luks kdf=$2 .* $3='\(.*\)'$/\1/p" "$1")
                echo "${v:-?}"
        }
        o=$work/luks/bench-luks.out u=$work/luks/bench-luks-unit.out
        echo "guest-luks open: pbkdf2 $(lf "$o" pbkdf2 activate_ms) ms, argon2id $(lf "$o" argon2id activate_ms) ms" \
                "($(lf "$o" argon2id params); pbkdf2: $(lf "$o" pbkdf2 params); disk_unlock() to dm-crypt on virtio," \
                "median of $luks_n and $luks_argon; a process's first open: pbkdf2 $(lf "$o" pbkdf2 activate_first_ms) ms," \
                "argon2id $(lf "$o" argon2id activate_first_ms) ms)"
        echo "guest-luks open in confnode.service's address families (no AF_ALG): pbkdf2 $(lf "$u" pbkdf2 activate_ms) ms" \
                "(first $(lf "$u" pbkdf2 activate_first_ms) ms; keyslot alone $(lf "$u" pbkdf2 keyslot_ms) ms," \
                "$(lf "$o" pbkdf2 keyslot_ms) ms with AF_ALG)"
fi
