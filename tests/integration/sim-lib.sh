# Shared by the sim-*.sh integration tests (sourced, after tpm-lib.sh).
# tsm_tree_start SIMDIR MOUNTPOINT ARGS...: serves a configfs-tsm look-alike
# in the background, sets TSM_PID and TSM_MNT, and makes sure it is stopped
# (by that PID, then unmounted) when the test exits, pass or fail.

TSM_PID=
TSM_MNT=
tsm_tree_stop() {
        if [[ -n $TSM_PID ]]; then
                kill "$TSM_PID" 2>/dev/null || true
                for _ in $(seq 1 50); do
                        kill -0 "$TSM_PID" 2>/dev/null || break
                        sleep 0.1
                done
                TSM_PID=
        fi
        # A daemon that died unmounting leaves the mount behind.
        if [[ -n $TSM_MNT ]] && mountpoint -q "$TSM_MNT" 2>/dev/null; then
                fusermount3 -u "$TSM_MNT" 2>/dev/null || true
        fi
        TSM_MNT=
}

tsm_tree_start() {
        local simdir=$1 mnt=$2
        shift 2
        mkdir -p "$mnt"
        "$CONFNODE_SIM" tsm-tree --dir "$simdir" "$mnt" --daemon --pid-file "$mnt.pid" "$@" \
                2>>"$mnt.log" || { cat "$mnt.log" >&2; return 1; }
        TSM_PID=$(cat "$mnt.pid")
        TSM_MNT=$mnt
        [[ -d $mnt/report ]] || { echo "no report directory under $mnt" >&2; return 1; }
}

# sim_init SIMDIR ARGS...: a simulated platform, made once per test.
sim_init() {
        "$CONFNODE_SIM" init "$@" 2>/dev/null
}

# hex_pad64 HEX: HEX zero-padded to 64 bytes, as report_data holds a nonce.
hex_pad64() {
        local h=$1
        while ((${#h} < 128)); do h+=0; done
        echo "$h"
}
