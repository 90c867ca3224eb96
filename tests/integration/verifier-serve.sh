#!/bin/bash
# `confnode-verifier serve` on loopback, through its error paths: each
# request is sent with curl (the test CA pinned) and the answer's status,
# RFC 7807 type and reason code are checked. No evidence is accepted here
# (the whole flow with the agent is kbs-flow.sh); what is covered is the
# HTTP surface: health and metrics, the protocol checks of /auth and
# /attest, sessions (unknown, expired, single-use nonce), resource access
# without an attested session, body and connection limits, the session
# table bound, the decision records in SQLite, SIGHUP reload (good and bad
# policy) and the refusals at start (loose master secret, no TLS).
# Every server is started on 127.0.0.1 port 0 (the kernel picks a free
# one; the log says which) and stopped by its PID, pass or fail.
set -euo pipefail
: "${CONFNODE_VERIFIER:?}" "${PEER_DATA:?}"
V=$CONFNODE_VERIFIER
W=$(mktemp -d)
PIDS=()
cleanup() {
        local p
        for p in "${PIDS[@]}"; do
                kill "$p" 2>/dev/null || true
                wait "$p" 2>/dev/null || true
        done
        rm -rf "$W"
}
trap cleanup EXIT

fail() {
        echo "FAIL: $*" >&2
        [[ -f $W/log ]] && { echo "--- verifier log:" >&2; tail -n 30 "$W/log" >&2; }
        exit 1
}

# The test PKI: a CA, a server certificate for 127.0.0.1, a cluster CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=verifier-serve test CA" -keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$W/server.key" -out "$W/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$W/ext.cnf"
openssl x509 -req -in "$W/server.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 2 \
        -extfile "$W/ext.cnf" -out "$W/server.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=kubernetes" \
        -keyout "$W/cluster-ca.key" -out "$W/cluster-ca.pem" 2>/dev/null
chmod 0600 "$W"/*.key
(umask 077 && head -c 32 /dev/urandom >"$W/master.key")

M48=a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c
policy() { # OUT [TAG-OF-DISK-KEY]
        cat >"$1" <<EOF
{"version": 1,
 "anchors": {"builtin": false, "amd_ark": ["$PEER_DATA/snp/milan-ask-ark.pem"]},
 "snp": {"min_tcb": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115}, "measurements": ["$M48"]},
 "resources": [{"path": "confnode/disk-key/${2:-*}", "kind": "disk-key", "tees": ["snp"]},
               {"path": "confnode/kubelet/join", "kind": "join-bundle", "tees": ["snp"]}]}
EOF
}
policy "$W/policy.json"

PID= PORT= URL=
# start [ARGS...]: a verifier with its log in $W/log; sets PID, PORT, URL.
start() {
        local i
        : >"$W/log"
        "$V" serve --listen 127.0.0.1:0 --tls-cert "$W/server.pem" --tls-key "$W/server.key" \
                --policy "$W/policy.json" --master-secret "$W/master.key" --state "$W/state.db" \
                --api-server https://127.0.0.1:6443 --cluster-ca "$W/cluster-ca.pem" --threads 2 \
                "$@" 2>>"$W/log" &
        PID=$!
        PIDS+=("$PID")
        for i in $(seq 1 100); do
                kill -0 "$PID" 2>/dev/null || fail "the verifier exited at start"
                PORT=$(sed -n 's/^Serving KBS on .*(port \([0-9]*\)).*/\1/p' "$W/log")
                if [[ -n $PORT ]]; then
                        URL="https://127.0.0.1:$PORT"
                        return 0
                fi
                sleep 0.1
        done
        fail "the verifier did not report its port"
}
stop() {
        kill "$PID"
        wait "$PID" || fail "the verifier exited $? on SIGTERM, expected 0"
        PID=
}

# req NAME [CURL ARGS...]: one request; sets STATUS, BODY, TYPE, REASON.
req() {
        local name=$1
        shift
        STATUS=$(curl -sS --cacert "$W/ca.pem" -o "$W/body" -D "$W/headers" -w '%{http_code}' "$@") ||
                fail "$name: curl failed"
        BODY=$(cat "$W/body")
        TYPE=$(jq -r '.type // "" | sub(".*/errors/"; "")' "$W/body" 2>/dev/null || true)
        REASON=$(jq -r '.detail // "" | split(":")[0]' "$W/body" 2>/dev/null || true)
}
# expect NAME STATUS TYPE REASON [CURL ARGS...]
expect() {
        local name=$1 status=$2 type=$3 reason=$4
        shift 4
        req "$name" "$@"
        [[ $STATUS == "$status" && $TYPE == "$type" && $REASON == "$reason" ]] ||
                fail "$name: expected $status $type $reason, got $STATUS '$BODY'"
        echo "ok   $name: $STATUS $type $reason"
}
auth_body() { # VERSION TEE
        printf '{"version":"%s","tee":"%s","extra-params":""}' "$1" "$2"
}
attest_body() { # NONCE
        printf '{"runtime-data":{"nonce":"%s","tee-pubkey":{"kty":"EC","crv":"P-256","alg":"ECDH-ES+A256KW","x":"%s","y":"%s"}},"tee-evidence":{"primary_evidence":{"attestation_report":{}},"additional_evidence":""}}' \
                "$1" AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
}
J=(-H "Content-Type: application/json")
# auth JAR: a session for tee snp; sets NONCE.
auth() {
        req auth -c "$1" "${J[@]}" -d "$(auth_body 0.4.0 snp)" "$URL/kbs/v0/auth"
        [[ $STATUS == 200 ]] || fail "auth: $STATUS $BODY"
        NONCE=$(jq -r .nonce "$W/body")
        SESSION=$(awk '$6 == "kbs-session-id" { print $7 }' "$1")
}
metric() { # NAME{LABELS}: its value
        curl -sS --cacert "$W/ca.pem" "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

### The shipped unit: hardened to an exposure of 2.0 or less.
unit=$(dirname "$0")/../../units/confnode-verifier.service
if command -v systemd-analyze >/dev/null; then
        score=$(systemd-analyze security --offline=true "$unit" 2>/dev/null |
                sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        [[ -n $score ]] || fail "systemd-analyze security gave no score for $unit"
        awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "unit exposure $score > 2.0"
        echo "ok   confnode-verifier.service exposure $score"
fi
grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"

### Start-up refusals.
chmod 0644 "$W/master.key"
if "$V" serve --tls-cert "$W/server.pem" --tls-key "$W/server.key" --policy "$W/policy.json" \
        --master-secret "$W/master.key" --state "$W/state.db" 2>"$W/err"; then
        fail "a master secret readable by others was accepted"
fi
grep -q "gives group or others access" "$W/err" || fail "loose master secret: $(cat "$W/err")"
chmod 0600 "$W/master.key"
set +e
"$V" serve --policy "$W/policy.json" --master-secret "$W/master.key" 2>"$W/err"
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q -- "--tls-cert and --tls-key are required" "$W/err" || fail "serve without TLS: exit $rc"
echo "ok   refusals at start: loose master secret, no TLS"

### The protocol surface.
start
req healthz "$URL/healthz"
[[ $STATUS == 200 && $BODY == ok ]] || fail "healthz: $STATUS $BODY"
curl -sS --cacert "$W/ca.pem" -D "$W/headers" -o "$W/metrics" "$URL/metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$W/headers" || fail "metrics content type"
grep -q '^# TYPE confnode_attestations_total counter$' "$W/metrics" || fail "metrics: no attestation counter"
grep -q '^confnode_sessions{state="authed"} 0$' "$W/metrics" || fail "metrics: no session gauge"
echo "ok   healthz, metrics"

auth "$W/jar"
[[ ${#NONCE} -eq 44 ]] || fail "nonce '$NONCE' is not 32 bytes of base64"
grep -qi '^set-cookie: kbs-session-id=[A-Za-z0-9_-]\{22\}; Path=/kbs/v0; Max-Age=300; Secure; HttpOnly' \
        "$W/headers" || fail "auth: cookie: $(grep -i set-cookie "$W/headers")"
jq -e '.["extra-params"] == ""' "$W/body" >/dev/null || fail "auth: challenge $BODY"
echo "ok   auth: 200, challenge and cookie"
COOKIE=$(awk '$6 == "kbs-session-id" { print $7 }' "$W/jar")

expect auth-version 401 AttestationError protocol.version "${J[@]}" -d "$(auth_body 0.3.0 snp)" "$URL/kbs/v0/auth"
expect auth-version-pre 401 AttestationError protocol.version "${J[@]}" -d "$(auth_body 0.4.0-rc1 snp)" \
        "$URL/kbs/v0/auth"
expect auth-tee-unknown 401 AttestationError evidence.tee_unsupported "${J[@]}" -d "$(auth_body 0.4.0 sgx)" \
        "$URL/kbs/v0/auth"
expect auth-tee-bogus 401 SerdeError request.malformed "${J[@]}" -d "$(auth_body 0.4.0 pdp11)" "$URL/kbs/v0/auth"
expect auth-malformed 401 SerdeError request.malformed "${J[@]}" -d '{"version": "0.4.0", "tee": ' \
        "$URL/kbs/v0/auth"
expect auth-not-object 401 SerdeError request.malformed "${J[@]}" -d '[]' "$URL/kbs/v0/auth"
expect auth-deep 401 SerdeError request.malformed "${J[@]}" -d "$(printf '%.0s[' $(seq 1 5000))" "$URL/kbs/v0/auth"
head -c 300000 /dev/zero | tr '\0' ' ' >"$W/big-auth"
expect auth-oversized 413 SerdeError request.too_large "${J[@]}" --data-binary @"$W/big-auth" "$URL/kbs/v0/auth"
expect path-unknown 404 InvalidRequestPath request.path "$URL/nope"
expect path-plugin 404 PluginNotFound request.path "$URL/kbs/v0/reference-value/x"
expect method 405 InvalidRequestPath request.method "$URL/kbs/v0/auth"
grep -qi '^allow: POST' "$W/headers" || fail "405 without Allow"
expect resource-path 404 InvalidRequestPath resource.path "$URL/kbs/v0/resource/confnode/disk-key"
expect resource-path-chars 404 InvalidRequestPath resource.path "$URL/kbs/v0/resource/confnode/disk%20key/x"
expect resource-path-dots 404 InvalidRequestPath resource.path "$URL/kbs/v0/resource/confnode/../x"
expect resource-path-long 404 InvalidRequestPath resource.path \
        "$URL/kbs/v0/resource/confnode/disk-key/$(printf 'a%.0s' $(seq 1 65))"
expect resource-no-session 401 TokenNotFound token.missing "$URL/kbs/v0/resource/confnode/disk-key/x"
expect resource-unknown-cookie 401 TokenNotFound session.unknown -b "kbs-session-id=AAAAAAAAAAAAAAAAAAAAAA" \
        "$URL/kbs/v0/resource/confnode/disk-key/x"
expect resource-not-attested 401 TokenNotFound session.not_attested -b "$W/jar" \
        "$URL/kbs/v0/resource/confnode/disk-key/x"
expect resource-bad-token 401 TokenVerifierError token.unknown -H "Authorization: Bearer $COOKIE" \
        "$URL/kbs/v0/resource/confnode/disk-key/x"
expect resource-bad-scheme 401 TokenVerifierError token.scheme -H "Authorization: Basic Zm9vOmJhcg==" \
        "$URL/kbs/v0/resource/confnode/disk-key/x"

expect attest-no-cookie 401 AttestationError session.unknown "${J[@]}" -d "$(attest_body "$NONCE")" \
        "$URL/kbs/v0/attest"
expect attest-unknown-cookie 401 AttestationError session.unknown -b "kbs-session-id=AAAAAAAAAAAAAAAAAAAAAA" \
        "${J[@]}" -d "$(attest_body "$NONCE")" "$URL/kbs/v0/attest"
expect attest-oversized-cookie 401 AttestationError session.unknown \
        -b "kbs-session-id=$(printf 'A%.0s' $(seq 1 300))" "${J[@]}" -d "$(attest_body "$NONCE")" "$URL/kbs/v0/attest"
# Another session's nonce: rejected, and that session is spent.
expect attest-nonce-mismatch 401 AttestationError nonce.mismatch -b "$W/jar" "${J[@]}" \
        -d "$(attest_body AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=)" "$URL/kbs/v0/attest"
# The answer is held until the decision is on record: the row is there
# the moment the answer is (WAL lets this reader in while the server runs).
n=$(sqlite3 "$W/state.db" "SELECT count(*) FROM decisions WHERE reason = 'nonce.mismatch'")
[[ $n -ge 1 ]] || fail "the nonce.mismatch answer came before its decision was recorded"
expect attest-after-rejection 401 AttestationError nonce.reused -b "$W/jar" "${J[@]}" \
        -d "$(attest_body "$NONCE")" "$URL/kbs/v0/attest"
# The right nonce with evidence that is not evidence: rejected; then the
# same nonce again is a reuse.
auth "$W/jar2"
expect attest-bad-evidence 401 AttestationError evidence.malformed -b "$W/jar2" "${J[@]}" \
        -d "$(attest_body "$NONCE")" "$URL/kbs/v0/attest"
expect attest-nonce-reused 401 AttestationError nonce.reused -b "$W/jar2" "${J[@]}" -d "$(attest_body "$NONCE")" \
        "$URL/kbs/v0/attest"
auth "$W/jar3"
expect attest-malformed 401 SerdeError request.malformed -b "$W/jar3" "${J[@]}" -d '{"runtime-data": {' \
        "$URL/kbs/v0/attest"
auth "$W/jar4"
expect attest-legacy 401 AttestationError protocol.version -b "$W/jar4" "${J[@]}" \
        -d '{"tee-pubkey":{"kty":"EC","crv":"P-256","alg":"ECDH-ES+A256KW","x":"AA","y":"AA"},"tee-evidence":"{}"}' \
        "$URL/kbs/v0/attest"
auth "$W/jar5"
NONCE5=$NONCE
head -c 5000000 /dev/zero | tr '\0' ' ' >"$W/big"
# With "Expect: 100-continue" (curl's default for a large body) the answer
# comes before the body; without it the body is read and dropped first.
expect attest-oversized 413 SerdeError request.too_large -b "$W/jar5" "${J[@]}" --data-binary @"$W/big" \
        "$URL/kbs/v0/attest"
expect attest-oversized-no-expect 413 SerdeError request.too_large -b "$W/jar5" -H "Expect:" "${J[@]}" \
        --data-binary @"$W/big" "$URL/kbs/v0/attest"
expect attest-oversized-chunked 413 SerdeError request.too_large -b "$W/jar5" -H "Transfer-Encoding: chunked" \
        "${J[@]}" --data-binary @"$W/big" "$URL/kbs/v0/attest"
# The session survives an oversized body it never read.
expect attest-after-413 401 AttestationError evidence.malformed -b "$W/jar5" "${J[@]}" \
        -d "$(attest_body "$NONCE5")" "$URL/kbs/v0/attest"

# Many clients at once: 40 sessions opened in parallel, all answered.
CURLS=()
for i in $(seq 1 40); do
        curl -sS --cacert "$W/ca.pem" -o /dev/null -w '%{http_code}\n' "${J[@]}" -d "$(auth_body 0.4.0 tdx)" \
                "$URL/kbs/v0/auth" >"$W/par.$i" &
        CURLS+=($!)
done
wait "${CURLS[@]}" || true
n=$(cat "$W"/par.* | grep -c '^200$' || true)
[[ $n -eq 40 ]] || fail "parallel auth: $n of 40 answered 200"
echo "ok   40 parallel auth requests"

# The HTTP/1.1 surface below curl: raw requests over TLS (the test CA
# pinned), each answer's status checked, and whether the connection stays
# usable (keep-alive, pipelining) or is closed after a framing error.
python3 - "$PORT" "$W/ca.pem" <<'EOP'
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(s, server_hostname="127.0.0.1")

def read_answer(t, buf=b""):
    """One response: (status, headers dict, body, rest of the buffer)."""
    while b"\r\n\r\n" not in buf:
        d = t.recv(65536)
        if not d:
            raise SystemExit(f"connection closed before an answer; got {buf!r}")
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    n = int(hdrs.get("content-length", "0"))
    while len(buf) < n:
        d = t.recv(65536)
        if not d:
            raise SystemExit("connection closed inside a body")
        buf += d
    return status, hdrs, buf[:n], buf[n:]

def closed(t):
    try:
        return t.recv(1) == b""
    except (ConnectionResetError, ssl.SSLError):
        return True

def expect(name, raw, status, then_closed):
    t = conn()
    t.sendall(raw)
    st, hdrs, body, _ = read_answer(t)
    if st != status:
        raise SystemExit(f"{name}: status {st}, expected {status}: {body!r}")
    if then_closed and not closed(t):
        raise SystemExit(f"{name}: the connection stayed open after a framing error")
    if not then_closed:
        # Still usable: one more request on it.
        t.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        st2, _, b2, _ = read_answer(t)
        if st2 != 200 or b2 != b"ok\n":
            raise SystemExit(f"{name}: the connection is not usable afterwards: {st2}")
    t.close()
    print(f"ok   raw {name}: {status}")

# Two requests in one write (pipelining): two answers, in order.
t = conn()
t.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
a1 = read_answer(t)
a2 = read_answer(t, a1[3])
if (a1[0], a2[0]) != (200, 404):
    raise SystemExit(f"pipelined: {a1[0]}, {a2[0]}")
t.close()
print("ok   raw pipelined: 200 then 404 on one connection")

expect("404-keeps-connection", b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, False)
expect("no-host", b"GET /healthz HTTP/1.1\r\n\r\n", 400, True)
expect("http2-line", b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505, True)
expect("folded", b"GET /healthz HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", 400, True)
expect("cl-and-te", b"POST /kbs/v0/auth HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
       b"Transfer-Encoding: chunked\r\n\r\n", 400, True)
expect("gzip-te", b"POST /kbs/v0/auth HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
       501, True)
expect("head-too-large", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 + b"\r\n\r\n",
       431, True)
expect("bad-chunk", b"POST /kbs/v0/auth HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       b"zz\r\n", 400, True)
# A chunked /auth body, split in odd places, is decoded and answered.
body = b'{"version":"0.4.0","tee":"snp","extra-params":""}'
chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7]) for i in range(0, len(body), 7))
expect("chunked-auth", b"POST /kbs/v0/auth HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       + chunks + b"0\r\n\r\n", 200, False)
# HTTP/1.0 is answered and closed.
expect("http10", b"GET /healthz HTTP/1.0\r\n\r\n", 200, True)
EOP
echo "ok   raw HTTP/1.1: pipelining, keep-alive after 404, 400/431/501/505 close the connection"

# The metrics count what happened.
[[ $(metric 'confnode_attestations_total{tee="snp",result="rejected"}') -ge 5 ]] ||
        fail "metrics: rejected attestations not counted"
[[ $(metric 'confnode_http_responses_total{code="413"}') -ge 4 ]] || fail "metrics: 413s not counted"
[[ $(metric 'confnode_sessions{state="dead"}') -ge 5 ]] || fail "metrics: dead sessions not counted"
[[ $(metric 'confnode_auth_total{result="ok"}') -ge 45 ]] || fail "metrics: auth not counted"
echo "ok   metrics count rejections, 413s, sessions, auths"

### SIGHUP: a good policy is swapped in, a broken one is refused and the
### running one kept.
policy "$W/policy.json" 0a1b2c3d-0000-4000-8000-00000000abcd
kill -HUP "$PID"
for i in $(seq 1 50); do
        [[ $(metric 'confnode_policy_reloads_total{result="ok"}') == 1 ]] && break
        sleep 0.1
done
[[ $(metric 'confnode_policy_reloads_total{result="ok"}') == 1 ]] || fail "SIGHUP: no reload"
echo '{"version": 1, "snp": {"min_tcb": 7}}' >"$W/policy.json"
kill -HUP "$PID"
for i in $(seq 1 50); do
        [[ $(metric 'confnode_policy_reloads_total{result="failed"}') == 1 ]] && break
        sleep 0.1
done
[[ $(metric 'confnode_policy_reloads_total{result="failed"}') == 1 ]] || fail "SIGHUP: broken policy not counted"
grep -q "Policy reload failed, keeping the running policy: .*policy.json: snp.min_tcb" "$W/log" ||
        fail "SIGHUP: the reload error does not name the file and member"
req auth-after-reload "${J[@]}" -d "$(auth_body 0.4.0 snp)" "$URL/kbs/v0/auth"
[[ $STATUS == 200 ]] || fail "after a failed reload the server does not answer: $STATUS"
policy "$W/policy.json"
echo "ok   SIGHUP reload: good policy swapped in, broken one refused with file and member"

# Secrets stay out of the log: no session id, no nonce of ours.
grep -qF "$COOKIE" "$W/log" && fail "a session id is in the log"
grep -q "Attestation rejected: tee=snp .*(reason: nonce.mismatch)" "$W/log" ||
        fail "no decision line with its reason in the log"
stop
echo "ok   clean stop on SIGTERM"

### What was recorded.
[[ $(sqlite3 "$W/state.db" 'PRAGMA user_version') == 1 ]] || fail "state: schema version"
[[ $(sqlite3 "$W/state.db" 'PRAGMA journal_mode') == wal ]] || fail "state: not WAL"
for r in nonce.mismatch evidence.malformed request.malformed protocol.version; do
        n=$(sqlite3 "$W/state.db" "SELECT count(*) FROM decisions WHERE reason = '$r' AND accepted = 0")
        [[ $n -ge 1 ]] || fail "state: no '$r' decision recorded"
done
n=$(sqlite3 "$W/state.db" "SELECT count(*) FROM decisions WHERE reason LIKE 'session.%' OR reason = 'nonce.reused'")
[[ $n -eq 0 ]] || fail "state: $n decisions recorded for attempts that never reached a session"
sqlite3 "$W/state.db" "SELECT count(*) FROM nodes WHERE id LIKE 'tee-pubkey:%' AND attestations >= 1" | grep -q '^1$' ||
        fail "state: the node named by its tee-pubkey is not recorded once"
[[ $(stat -c %a "$W/state.db") == 600 ]] || fail "state: mode $(stat -c %a "$W/state.db")"
echo "ok   decisions recorded with reasons; node row; schema 1, WAL, mode 0600"

### Sessions expire (--nonce-ttl 1s).
start --nonce-ttl 1s
auth "$W/jar-exp"
sleep 2.2
# curl's jar drops the cookie at its Max-Age; a late client that still
# sends it is told the session expired (the periodic sweep keeps expired
# sessions a minute for that), then that it is gone.
expect attest-expired 401 AttestationError session.expired -b "kbs-session-id=$SESSION" "${J[@]}" \
        -d "$(attest_body "$NONCE")" "$URL/kbs/v0/attest"
expect attest-expired-gone 401 AttestationError session.unknown -b "kbs-session-id=$SESSION" "${J[@]}" \
        -d "$(attest_body "$NONCE")" "$URL/kbs/v0/attest"
stop

### A full session table answers 503 with Retry-After.
start --max-sessions 3
for i in 1 2 3; do auth "$W/jar-max$i"; done
expect sessions-full 503 AttestationError server.busy "${J[@]}" -d "$(auth_body 0.4.0 snp)" "$URL/kbs/v0/auth"
grep -qi '^retry-after: 5' "$W/headers" || fail "503 without Retry-After"
# A rejected session gives way to a new one.
req attest -b "$W/jar-max1" "${J[@]}" -d "$(attest_body x)" "$URL/kbs/v0/attest"
auth "$W/jar-max4"
echo "ok   a dead session makes room"
stop

### Connections beyond the limit are closed as soon as they are accepted;
### the server lives on.
start --max-connections 8
python3 - "$PORT" <<'EOP'
import select, socket, sys, time
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
# Every connection is idle (not even a TLS hello); the server keeps at most
# 8 (--max-connections) and closes the others at once: EOF on our side.
closed = set()
deadline = time.monotonic() + 10
while time.monotonic() < deadline and len(closed) < 52:
    r, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.2)
    for s in r:
        try:
            data = s.recv(1)
        except ConnectionResetError:
            data = b""
        if not data:
            closed.add(s)
held = len(socks) - len(closed)
print(f"held {held}, closed {len(closed)}")
if held > 8 + 2:  # the limit, and one per worker thread accepting at the same moment
    sys.exit(f"{held} connections held open, more than --max-connections 8")
for s in socks:
    s.close()
EOP
kill -0 "$PID" || fail "the verifier died under too many connections"
for i in $(seq 1 50); do
        if curl -sf --cacert "$W/ca.pem" -o /dev/null "$URL/healthz"; then break; fi
        sleep 0.1
done
req healthz-after "$URL/healthz"
[[ $STATUS == 200 ]] || fail "healthz after the connection flood: $STATUS"
[[ $(metric confnode_connections_refused_total) -ge 50 ]] || fail "refused connections not counted"
echo "ok   60 connections against a limit of 8: the rest closed at accept, server alive"
stop

echo "verifier-serve: OK"
