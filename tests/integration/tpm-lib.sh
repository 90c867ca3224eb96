# Shared by the tpm-*.sh / collect-*.sh integration tests (sourced, not run).
# swtpm_start DIR: starts a TPM 2.0 swtpm on a free loopback port with its
# state in DIR, sets SWTPM_PID, SWTPM_PORT and TCTI, and makes sure it is
# killed (by that PID) when the test exits, pass or fail.

SWTPM_PID=
swtpm_stop() {
        if [[ -n $SWTPM_PID ]]; then
                kill "$SWTPM_PID" 2>/dev/null || true
                wait "$SWTPM_PID" 2>/dev/null || true
                SWTPM_PID=
        fi
}

port_is_free() {
        ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

swtpm_start() {
        local dir=$1 port try i
        mkdir -p "$dir"
        for try in $(seq 1 20); do
                port=$((20000 + RANDOM % 40000))
                port_is_free "$port" && port_is_free $((port + 1)) || continue
                swtpm socket --tpm2 --tpmstate dir="$dir" \
                        --server type=tcp,port="$port",bindaddr=127.0.0.1 \
                        --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
                        --flags startup-clear,not-need-init --log file="$dir/swtpm.log" &
                SWTPM_PID=$!
                for i in $(seq 1 50); do
                        if ! kill -0 "$SWTPM_PID" 2>/dev/null; then
                                break # lost the port to someone else: try another
                        fi
                        if ! port_is_free "$port"; then
                                SWTPM_PORT=$port
                                TCTI="swtpm:host=127.0.0.1,port=$port"
                                return 0
                        fi
                        sleep 0.1
                done
                swtpm_stop
        done
        echo "could not start swtpm on a free loopback port" >&2
        return 1
}

# swtpm_restart DIR: a power cycle with the same state (persistent objects
# survive, PCRs reset), on a new port.
swtpm_restart() {
        swtpm_stop
        swtpm_start "$1"
}

fail() {
        echo "FAIL: $*" >&2
        exit 1
}
