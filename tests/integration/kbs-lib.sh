# Shared by the KBS integration tests (sourced after tpm-lib.sh and
# sim-lib.sh): a test PKI for the verifier's TLS, and the verifier itself,
# started on a free loopback port and stopped by its PID when the test
# exits, pass or fail.
#   kbs_pki DIR                 CA (DIR/ca.pem) and a server certificate for
#                               127.0.0.1 and 10.0.2.100, the address QEMU
#                               guests reach it at (DIR/server.pem, .key)
#   kbs_master_secret FILE      32 random bytes, mode 0600
#   verifier_start DIR POLICY [ARGS...]
#                               sets VERIFIER_PID, VERIFIER_PORT, VERIFIER_URL
#                               (on $VERIFIER_WANT_PORT if set)
#   verifier_stop
#   verifier_sighup

VERIFIER_PID=
verifier_stop() {
        if [[ -n $VERIFIER_PID ]]; then
                kill "$VERIFIER_PID" 2>/dev/null || true
                wait "$VERIFIER_PID" 2>/dev/null || true
                VERIFIER_PID=
        fi
}

verifier_sighup() {
        kill -HUP "$VERIFIER_PID"
}

kbs_pki() {
        local d=$1
        mkdir -p "$d"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
                -subj "/CN=confnode test verifier CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,IP:10.0.2.100,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
        openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
                -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
        # A cluster CA for join bundles (any certificate will do for the test).
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
                -subj "/CN=kubernetes" -keyout "$d/cluster-ca.key" -out "$d/cluster-ca.pem" 2>/dev/null
        chmod 0600 "$d"/*.key
}

kbs_master_secret() {
        (umask 077 && head -c 32 /dev/urandom >"$1")
}

# verifier_start DIR POLICY [ARGS...]: DIR holds the PKI (kbs_pki) and gets
# the master secret, the state database and the log (DIR/verifier.log).
verifier_start() {
        local d=$1 policy=$2 port try i
        shift 2
        [[ -f $d/master.key ]] || kbs_master_secret "$d/master.key"
        for try in $(seq 1 20); do
                port=${VERIFIER_WANT_PORT:-$((20000 + RANDOM % 40000))}
                port_is_free "$port" || continue
                "$CONFNODE_VERIFIER" serve --listen "127.0.0.1:$port" \
                        --tls-cert "$d/server.pem" --tls-key "$d/server.key" \
                        --policy "$policy" --master-secret "$d/master.key" \
                        --state "$d/state.db" --api-server https://127.0.0.1:6443 \
                        --cluster-ca "$d/cluster-ca.pem" "$@" 2>>"$d/verifier.log" &
                VERIFIER_PID=$!
                for i in $(seq 1 100); do
                        if ! kill -0 "$VERIFIER_PID" 2>/dev/null; then
                                wait "$VERIFIER_PID" 2>/dev/null || true
                                VERIFIER_PID=
                                break
                        fi
                        if curl -sf --cacert "$d/ca.pem" "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
                                VERIFIER_PORT=$port
                                VERIFIER_URL="https://127.0.0.1:$port"
                                return 0
                        fi
                        sleep 0.1
                done
                verifier_stop
                grep -q "Address already in use" "$d/verifier.log" 2>/dev/null || break
        done
        echo "could not start the verifier; its log:" >&2
        cat "$d/verifier.log" >&2
        return 1
}
