#!/bin/bash
# The agent's KBS client against a scripted fake verifier (fake-verifier.py,
# HTTPS on loopback with a test CA pinned), with swtpm as the vTPM:
#  1. `confnode boot` while the verifier is down, then answers 500, 429 with
#     Retry-After: 2, garbled JSON, too slowly, and finally rejects with a
#     reason: the agent waits and retries with growing delays, honours
#     Retry-After, logs CONFNODE_REASON= for each failure and the
#     verifier's own reason for the rejection, keeps systemd informed
#     (STATUS=, EXTEND_TIMEOUT_USEC=) and gives up at retry_deadline.
#  2. `confnode attest --once`: no retries, exit 2, when nothing answers; a
#     certificate from another CA is refused; an oversized reply is cut.
#  3. `confnode attest --save-bundle`: a rejection exits 1 with the reason,
#     and the bundle holds the exact bodies exchanged.
#  4. The full round with a resource JWE made by an independent
#     implementation (Python cryptography): `confnode attest` prints path,
#     size and fingerprint of each release (never the value); a redirect is
#     not followed; a resource refused by policy exits 1; `confnode boot`
#     with a LUKS header on [disk] device asks for that disk's key, holds
#     the secrets and still stops before the disk phase.
#  5. The two-stage binding on a simulated SEV-SNP and TDX platform
#     (configfs-tsm look-alike): checked in Python from the saved exchange,
#     the TPM quote's extraData is H({nonce, tee-pubkey}) cut to 32 bytes
#     and the TEE report's report_data H({additional-evidence, nonce,
#     tee-pubkey}), the additional evidence being the exact string sent.
# Timing is only ever the scripted server's; the test asserts what the
# agent logged and computed, never how long it took.
set -euo pipefail
: "${CONFNODE:?}" "${CONFNODE_SIM:?}"
here=$(dirname "$0")
source "$here/tpm-lib.sh"
source "$here/kbs-lib.sh"
source "$here/sim-lib.sh"
PY=/usr/bin/python3
W=$(mktemp -d)
FAKE_PID= AGENT_PID= CAP_PID=
stop_pid() { # NAME: kills and reaps the process whose PID is in variable NAME
        local p=${!1}
        if [[ -n $p ]]; then
                kill "$p" 2>/dev/null || true
                wait "$p" 2>/dev/null || true
                printf -v "$1" ''
        fi
}
cleanup() {
        if [[ -n ${DISK_LOOP:-} ]]; then losetup -d "$DISK_LOOP" 2>/dev/null || true; fi
        stop_pid AGENT_PID
        stop_pid FAKE_PID
        stop_pid CAP_PID
        tsm_tree_stop
        swtpm_stop
        rm -rf "$W"
}
trap cleanup EXIT

$PY -c 'import cryptography' 2>/dev/null || fail "python3-cryptography is missing (tools/deps.sh installs it)"

swtpm_start "$W/tpm"
"$CONFNODE_SIM" measure-boot --tcti "$TCTI" --out "$W/log.bin"
kbs_pki "$W/pki"
kbs_pki "$W/other-pki"

PORT=
for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        port_is_free "$p" && { PORT=$p; break; }
done
[[ -n $PORT ]] || fail "no free loopback port"
URL="https://127.0.0.1:$PORT"

# fake_start NAME [ARGS...]: the fake verifier with its files in $W/NAME.
fake_start() {
        local d=$W/$1 i
        shift
        mkdir -p "$d"
        rm -f "$d/ready"
        $PY "$here/fake-verifier.py" --port "$PORT" --cert "$W/pki/server.pem" --key "$W/pki/server.key" \
                --dir "$d" --log "$d/requests.log" "$@" 2>>"$d/stderr.txt" &
        FAKE_PID=$!
        for i in $(seq 1 100); do
                [[ -f $d/ready ]] && return 0
                kill -0 "$FAKE_PID" 2>/dev/null || break
                sleep 0.1
        done
        cat "$d/stderr.txt" >&2
        fail "the fake verifier did not start"
}

conf() { # FILE [EXTRA LINES for [verifier]]
        local f=$1
        shift
        cat >"$f" <<EOC
[agent]
eventlog = $W/log.bin
tee = none
[tpm]
tcti = $TCTI
[verifier]
url = $URL
ca = $W/pki/ca.pem
connect_timeout = 1s
request_timeout = 1s
retry_initial = 200ms
retry_max = 2s
rejection_retry = 1s
EOC
        local l
        for l in "$@"; do echo "$l" >>"$f"; done
}

# The delays of the "retry N in X s" lines of FILE that match PATTERN.
delays() { grep "$2" "$1" | sed -n 's/.*; retry [0-9]* in \([0-9.]*\) s.*/\1/p'; }

# --- 1. boot: down, 500, 429, garbled, slow, rejected, deadline ----------------
conf "$W/boot.conf" "retry_deadline = 25s"
$PY "$here/sockcapture.py" "$W/notify.sock" "$W/notify.txt" &
CAP_PID=$!
for _ in $(seq 1 50); do [[ -S $W/notify.sock ]] && break; sleep 0.1; done
[[ -S $W/notify.sock ]] || fail "notify capture socket did not appear"

NOTIFY_SOCKET="$W/notify.sock" "$CONFNODE" --config "$W/boot.conf" boot 2>"$W/boot.txt" &
AGENT_PID=$!
# The verifier comes up 3 s after the agent (scheduling only, not asserted).
sleep 3
fake_start boot --attest 500,429:2,garbled,slow:3,reject:snp.measurement
set +e
wait "$AGENT_PID"
rc=$?
set -e
AGENT_PID=
stop_pid FAKE_PID
sleep 0.3
[[ $rc -eq 1 ]] || { cat "$W/boot.txt" >&2; fail "boot exited $rc, expected 1 (gave up at the deadline)"; }

# Waited for the verifier, with growing delays.
refused=$(delays "$W/boot.txt" "connection refused" | tr '\n' ' ')
n=$(echo $refused | wc -w)
((n >= 3)) || { cat "$W/boot.txt" >&2; fail "fewer than 3 retries while the verifier was down: $refused"; }
# retry_initial 200ms doubles to 400, 800, 1600 ms, then the 2 s cap: the
# first four delays grow (half to all of each base), and none passes the cap.
$PY - "$refused" <<'EOP' || fail "retry delays while down do not grow, or pass retry_max: $refused"
import sys
d = [float(x) for x in sys.argv[1].split()]
g = d[:4]
sys.exit(0 if all(a <= b for a, b in zip(g, g[1:])) and g[-1] > g[0] and max(d) <= 2.0 else 1)
EOP
grep -q "Waiting for verifier: $URL: connection refused; retry 1 in" "$W/boot.txt" || fail "no first retry line"
grep -q "connection refused; retry .*(reason: kbs.unreachable)" "$W/boot.txt" || fail "no kbs.unreachable reason"
grep -q "attest: HTTP 500; retry .*(reason: kbs.server_error)" "$W/boot.txt" || fail "500 not retried as kbs.server_error"
# Retry-After: 2 is a floor on the next delay.
d429=$(delays "$W/boot.txt" "HTTP 429")
[[ -n $d429 ]] || fail "no retry after the 429"
$PY -c "import sys; sys.exit(0 if float('$d429') >= 2.0 else 1)" || fail "Retry-After: 2 not honoured (retry in $d429 s)"
grep -q "AttestationResponse is malformed.*(reason: kbs.garbled)" "$W/boot.txt" || fail "garbled reply not retried as kbs.garbled"
grep -q "attest: no complete answer within 1.0 s; retry .*(reason: kbs.timeout)" "$W/boot.txt" || fail "slow reply not a kbs.timeout"
# The rejection carries the verifier's reason and is retried at the slow cadence.
grep -q "\[attest\] Verifier '$URL' rejected the evidence: snp.measurement: 'the evidence does not match the reference values'; attesting again in 1.0 s (reason: snp.measurement)" "$W/boot.txt" \
        || { cat "$W/boot.txt" >&2; fail "rejection not logged with the verifier's reason"; }
grep -q "Giving up: no verifier released the resources within retry_deadline (25.0 s); last '$URL': rejected: snp.measurement" "$W/boot.txt" \
        || fail "no clear give-up error"
grep -q "Giving up.*(reason: snp.measurement)" "$W/boot.txt" || fail "give-up lacks the reason"
grep -q '\[evidence\] Evidence collected' "$W/boot.txt" || fail "no evidence line"
# systemd heard about it.
grep -q "^STATUS=Waiting for verifier: $URL: connection refused; retry 1 in" "$W/notify.txt" || fail "no STATUS= while waiting"
grep -q '^EXTEND_TIMEOUT_USEC=[0-9]' "$W/notify.txt" || fail "no EXTEND_TIMEOUT_USEC="
grep -q "^STATUS=Rejected by verifier $URL: snp.measurement; attesting again in 1.0 s" "$W/notify.txt" || fail "no STATUS= for the rejection"
grep -q '^STATUS=Collecting evidence' "$W/notify.txt" || fail "no STATUS= for the evidence step"
grep -q '^STOPPING=1' "$W/notify.txt" || fail "no STOPPING=1"
! grep -q '^READY=1' "$W/notify.txt" || fail "READY=1 although nothing was released"
# The session was kept: the cookie of /auth went with /attest, and the
# evidence was bound to the session's nonce.
$PY - "$W/boot/requests.log" <<'EOP' || fail "the fake saw attest requests without session or nonce"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if '"attest"' in l]
sys.exit(0 if a and all(x["session"] and x["nonce_ok"] and x["tee"] == "tpm" and x["has_primary"] for x in a) else 1)
EOP
stop_pid CAP_PID

# A stop signal while waiting ends the boot at once, cleanly.
"$CONFNODE" --config "$W/boot.conf" boot 2>"$W/term.txt" &
AGENT_PID=$!
sleep 1
kill -TERM "$AGENT_PID"
set +e
wait "$AGENT_PID"
rc=$?
set -e
AGENT_PID=
[[ $rc -eq 1 ]] || fail "boot stopped by SIGTERM exited $rc"
grep -q "\[attest\] Stopped by signal Terminated while attesting (reason: agent.signal)" "$W/term.txt" \
        || { cat "$W/term.txt" >&2; fail "SIGTERM while waiting not reported"; }

# --- 2. attest --once: nothing there, wrong CA, oversized reply ----------------
conf "$W/once.conf"
set +e
"$CONFNODE" --config "$W/once.conf" attest --once >"$W/once.out" 2>"$W/once.txt"
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "attest --once with no verifier exited $rc, expected 2"
grep -q "No verifier released the resources (--once, no retries); last '$URL': connection refused (reason: kbs.unreachable)" "$W/once.txt" \
        || { cat "$W/once.txt" >&2; fail "--once failure not explained"; }
! grep -q "retry" "$W/once.txt" || fail "--once retried"

fake_start wrongca
conf "$W/wrongca.conf"
sed -i "s|^ca = .*|ca = $W/other-pki/ca.pem|" "$W/wrongca.conf"
set +e
"$CONFNODE" --config "$W/wrongca.conf" attest --once >/dev/null 2>"$W/wrongca.txt"
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "a verifier certificate from another CA: exit $rc"
grep -q "server certificate not trusted.*(reason: kbs.tls_untrusted)" "$W/wrongca.txt" || { cat "$W/wrongca.txt" >&2; fail "untrusted certificate not reported"; }
[[ ! -s $W/wrongca/requests.log ]] || fail "a request reached the verifier over an untrusted connection"
stop_pid FAKE_PID

fake_start huge --auth huge
set +e
"$CONFNODE" --config "$W/once.conf" attest --once >/dev/null 2>"$W/huge.txt"
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "oversized reply: exit $rc"
grep -q "reply larger than 65536 bytes (reason: kbs.garbled)" "$W/huge.txt" || { cat "$W/huge.txt" >&2; fail "oversized reply not refused"; }
stop_pid FAKE_PID

# --- 3. attest --save-bundle: a rejection and the exact bodies ----------------
fake_start bundle --attest reject:tpm.pcr_policy
set +e
"$CONFNODE" --config "$W/once.conf" attest --save-bundle "$W/saved" >"$W/bundle.out" 2>"$W/bundle.txt"
rc=$?
set -e
[[ $rc -eq 1 ]] || { cat "$W/bundle.txt" >&2; fail "a rejection exited $rc, expected 1"; }
[[ $(cat "$W/bundle.out") == "rejected tpm.pcr_policy" ]] || fail "stdout is not the rejection: $(cat "$W/bundle.out")"
grep -q "rejected the evidence: tpm.pcr_policy: .*(reason: tpm.pcr_policy)" "$W/bundle.txt" || fail "rejection reason not logged"
cmp -s "$W/saved/challenge.json" "$W/bundle/challenge.json" || fail "challenge.json is not the Challenge received"
cmp -s "$W/saved/attestation.json" "$W/bundle/attestation.json" || fail "attestation.json is not the Attestation sent"
jq -e '.version == "0.4.0" and .tee == "tpm"' "$W/saved/request.json" >/dev/null || fail "request.json: $(cat "$W/saved/request.json")"
jq -e '."tee-evidence".primary_evidence.tpm_quote.pcrs | length == 24' "$W/saved/attestation.json" >/dev/null \
        || fail "the primary evidence is not Trustee's tpm shape"
jq -e '."tee-evidence".additional_evidence == ""' "$W/saved/attestation.json" >/dev/null || fail "a vTPM-only node sent additional evidence"
stop_pid FAKE_PID

# --- 4. the full round ---------------------------------------------------------
UUID=0b5e6a1c-2f2c-4f0e-9d55-3c1e1b8e7a10
fake_start ok
set +e
"$CONFNODE" --config "$W/once.conf" attest --disk-uuid "${UUID^^}" >"$W/ok.out" 2>"$W/ok.txt"
rc=$?
set -e
[[ $rc -eq 0 ]] || { cat "$W/ok.txt" >&2; fail "the full round exited $rc"; }
$PY - "$W/ok/requests.log" "$W/ok.out" "$UUID" <<'EOP' || { cat "$W/ok.out" >&2; fail "released lines do not match what the verifier sent"; }
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
out = open(sys.argv[2]).read().splitlines()
rel = [x for x in log if x["step"] == "released"]
want = ["released %s (%d bytes, sha256 %s)" % (x["path"], x["size"], x["sha256"][:8]) for x in rel]
paths = [x["path"] for x in rel]
res = [x for x in log if x["step"] == "resource"]
ok = (out == want and paths == ["confnode/disk-key/" + sys.argv[3], "confnode/kubelet/join"]
      and all(x["cookie"] and x["bearer"] for x in res))
sys.exit(0 if ok else 1)
EOP
# Endpoints are tried in turn: a dead first one is passed over.
conf "$W/two.conf"
sed -i "s|^url = .*|url = https://127.0.0.1:1 $URL|" "$W/two.conf"
"$CONFNODE" --config "$W/two.conf" attest >"$W/two.out" 2>"$W/two.txt" || { cat "$W/two.txt" >&2; fail "the second endpoint was not used"; }
grep -q "warning: \[auth\] Verifier 'https://127.0.0.1:1': connection refused; trying '$URL' (reason: kbs.unreachable)" "$W/two.txt" \
        || { cat "$W/two.txt" >&2; fail "the dead endpoint is not reported"; }
grep -q "^released confnode/kubelet/join " "$W/two.out" || fail "nothing released by the second endpoint"
# Only fingerprints: the plaintext of the disk key never shows.
key_hex=$($PY -c "import hashlib; print(hashlib.sha256(b'confnode/disk-key/$UUID').hexdigest())")
! grep -qi "$key_hex" "$W/ok.out" "$W/ok.txt" || fail "a released value was printed"
stop_pid FAKE_PID

fake_start redirect --resource redirect
set +e
"$CONFNODE" --config "$W/once.conf" attest >"$W/redir.out" 2>"$W/redir.txt"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "a redirect exited $rc"
grep -q "redirecting to 'https://127.0.0.1:$PORT/elsewhere', which is not followed (reason: kbs.redirect)" "$W/redir.txt" || { cat "$W/redir.txt" >&2; fail "redirect not refused"; }
! grep -q '"other"' "$W/redirect/requests.log" || fail "the redirect was followed"
stop_pid FAKE_PID

fake_start deny --resource deny:policy.resource_denied
set +e
"$CONFNODE" --config "$W/once.conf" attest >"$W/deny.out" 2>"$W/deny.txt"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "a resource refused by policy exited $rc"
[[ $(cat "$W/deny.out") == "rejected policy.resource_denied" ]] || fail "deny stdout: $(cat "$W/deny.out")"
grep -q "\[resources\] Verifier '$URL' rejected the request: resource 'confnode/kubelet/join': policy.resource_denied" "$W/deny.txt" || { cat "$W/deny.txt" >&2; fail "resource refusal not explained"; }
stop_pid FAKE_PID

# boot with a LUKS1 header on the state disk (magic, version 1, the UUID at
# offset 168): not confnode's LUKS2, so the disk phase refuses it before any
# key is asked for (src/disk, docs/disk.md).
$PY - "$W/disk.img" "$UUID" <<'EOP'
import sys
hdr = bytearray(1 << 20)
hdr[0:6] = b"LUKS\xba\xbe"
hdr[6:8] = b"\x00\x01"
hdr[8:11] = b"aes"
hdr[40:51] = b"xts-plain64"
hdr[72:78] = b"sha256"
hdr[104:108] = (4096).to_bytes(4, "big")
hdr[108:112] = (64).to_bytes(4, "big")
hdr[168:168 + 36] = sys.argv[2].encode()
open(sys.argv[1], "wb").write(hdr)
EOP
blkid -p -o value -s UUID "$W/disk.img" | grep -qx "$UUID" || fail "blkid does not see the test LUKS header"
# The agent takes block devices only: a loop device stands in (64 MiB,
# room for a LUKS2 header), detached by cleanup.
truncate -s 64M "$W/disk.img"
DISK_LOOP=$(losetup --find --show "$W/disk.img") || fail "cannot attach a loop device for the state disk"
conf "$W/disk.conf"
printf '[disk]\ndevice = %s\nmountpoint = %s/state\nbind =\n' "$DISK_LOOP" "$W" >>"$W/disk.conf"
fake_start diskboot
set +e
"$CONFNODE" --config "$W/disk.conf" boot 2>"$W/diskboot.txt"
rc=$?
set -e
[[ $rc -eq 1 ]] || { cat "$W/diskboot.txt" >&2; fail "boot on a LUKS1 disk exited $rc, expected 1"; }
grep -q "(reason: disk.foreign_luks)" "$W/diskboot.txt" || { cat "$W/diskboot.txt" >&2; fail "LUKS1 disk not refused"; }
! grep -q '"path": "confnode/disk-key' "$W/diskboot/requests.log" || fail "a disk key was asked for a refused disk"
stop_pid FAKE_PID
# A blank disk: the key of a fresh UUID is asked for and released; the
# format then fails to open without device-mapper (disk-refuse.sh covers it).
dd if=/dev/zero of="$DISK_LOOP" bs=1M count=1 conv=fsync status=none
fake_start blankboot
: >"$W/notify2.txt"
$PY "$here/sockcapture.py" "$W/notify2.sock" "$W/notify2.txt" &
CAP_PID=$!
for _ in $(seq 1 50); do [[ -S $W/notify2.sock ]] && break; sleep 0.1; done
set +e
NOTIFY_SOCKET="$W/notify2.sock" "$CONFNODE" --config "$W/disk.conf" boot 2>"$W/blank.txt"
set -e
sleep 0.3
uuid=$(sed -n 's/.*holds a blank disk.*asking for the key of \([0-9a-f-]\{36\}\).*/\1/p' "$W/blank.txt")
[[ -n $uuid ]] || { cat "$W/blank.txt" >&2; fail "blank disk not recognised"; }
grep -q "released confnode/disk-key/$uuid (32 bytes, sha256 " "$W/blank.txt" || { cat "$W/blank.txt" >&2; fail "disk key not released to boot"; }
grep -q '^STATUS=Fetching 2 resource(s)' "$W/notify2.txt" || fail "no STATUS= for the resource step"
! grep -q '^READY=1' "$W/notify2.txt" || fail "READY=1 sent before the kubelet handoff exists"
stop_pid FAKE_PID

# --- 5. the two-stage binding on simulated SEV-SNP and TDX ---------------------
sim_init "$W/sim"
for provider in sev_guest tdx_guest; do
        tsm_tree_start "$W/sim" "$W/tsm-$provider" --provider "$provider"
        conf "$W/$provider.conf"
        sed -i "s|^tee = none|tee = tsm\ntsm_path = $W/tsm-$provider/report|" "$W/$provider.conf"
        fake_start "fake-$provider" --attest reject:snp.measurement
        set +e
        "$CONFNODE" --config "$W/$provider.conf" attest --once --save-bundle "$W/b-$provider" \
                >/dev/null 2>"$W/$provider.txt"
        rc=$?
        set -e
        [[ $rc -eq 1 ]] || { cat "$W/$provider.txt" >&2; fail "$provider: attest exited $rc"; }
        grep -q "\[auth\] Attesting as '$([[ $provider == sev_guest ]] && echo snp || echo tdx)'" "$W/$provider.txt" \
                || fail "$provider: not attested as its TEE"
        $PY - "$W/b-$provider" "$provider" <<'EOP' || fail "$provider: the evidence is not bound as protocol 0.4.0 says"
import base64, hashlib, json, sys
d, provider = sys.argv[1], sys.argv[2]
att = json.load(open(d + "/attestation.json"))
chal = json.load(open(d + "/challenge.json"))
req = json.load(open(d + "/request.json"))
nonce = att["runtime-data"]["nonce"]
assert nonce == chal["nonce"], "nonce"
assert req["tee"] == ("snp" if provider == "sev_guest" else "tdx"), req
pk = {k: v for k, v in att["runtime-data"]["tee-pubkey"].items() if k in ("kty", "crv", "alg", "x", "y")}
jcs = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
add = att["tee-evidence"]["additional_evidence"]
prim = att["tee-evidence"]["primary_evidence"]
# Stage one: the vTPM quote, additional evidence {"tpm": ...}.
tpm = json.loads(add)["tpm"]
assert len(tpm["tpm_quote"]["pcrs"]) == 24
msg = base64.b64decode(tpm["tpm_quote"]["message"])
o = 6
o += 2 + int.from_bytes(msg[o:o + 2], "big")            # qualifiedSigner
n = int.from_bytes(msg[o:o + 2], "big")
extra = msg[o + 2:o + 2 + n]
assert extra == hashlib.sha384(jcs({"nonce": nonce, "tee-pubkey": pk})).digest()[:32], "quote extraData"
# Stage two: the TEE report over the three-member form.
want = hashlib.sha384(jcs({"additional-evidence": add, "nonce": nonce, "tee-pubkey": pk})).digest() + bytes(16)
if provider == "sev_guest":
    rd = bytes(prim["attestation_report"]["report_data"])
else:
    rd = base64.b64decode(prim["quote"])[48 + 520:48 + 584]
assert rd == want, "report_data %s != %s" % (rd.hex(), want.hex())
EOP
        stop_pid FAKE_PID
        tsm_tree_stop
done
echo "PASS"
