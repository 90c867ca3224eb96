#!/bin/bash
# The kubelet handoff (issue 6 point 2) against the real kubectl: the
# bootstrap kubeconfig written from a join bundle must be accepted by
# `kubectl config view --raw -o json`, which must show the API server, the
# token and the CA file path; the CA file must be the bundle's PEM; modes
# 0600/0644; the environment file must name both kubeconfigs. A second
# handoff replaces the files, and a rejected bundle (expired, bad token)
# leaves them as they were.
# The handoff runs through kubelet-handoff-tool (src/kubelet, tests only),
# given as $1. Skips (77) without kubectl or openssl.
set -euo pipefail

tool=${1:?kubelet-handoff-tool}
KUBECTL=${KUBECTL:-/usr/bin/kubectl}
[[ -x $KUBECTL ]] || { echo "SKIP: no kubectl at $KUBECTL"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: no openssl"; exit 77; }

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" \
        -out "$W/ca.pem" -subj /CN=kubernetes -days 1 2>/dev/null

# bundle FILE SERVER TOKEN EXPIRES_OFFSET_SECONDS: a join bundle as the
# verifier releases it.
bundle() {
        python3 - "$W/ca.pem" "$2" "$3" "$4" >"$1" <<'PY'
import datetime, json, sys
ca, server, token, offset = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3], int(sys.argv[4])
exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
print(json.dumps({"api_server": server, "cluster_ca": ca, "token": token,
                  "expires": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}), end="")
PY
}

boot=$W/etc/kubernetes/bootstrap-kubelet.conf
kube=$W/etc/kubernetes/kubelet.conf
ca=$W/etc/kubernetes/pki/ca.crt
env=$W/run/confnode/kubelet.env
handoff() { "$tool" "$1" "$boot" "$kube" "$ca" "$env"; }

# check SERVER TOKEN: kubectl reads back what the bundle held.
check() {
        "$KUBECTL" config view --kubeconfig "$boot" --raw -o json >"$W/view.json" 2>"$W/view.err" ||
                fail "kubectl config view rejected the kubeconfig: $(cat "$W/view.err")"
        python3 - "$W/view.json" "$1" "$2" "$ca" <<'PY' || fail "kubectl's view does not match the bundle"
import json, sys
v = json.load(open(sys.argv[1]))
server, token, ca = sys.argv[2:5]
ctx = {c["name"]: c["context"] for c in v["contexts"]}[v["current-context"]]
cluster = {c["name"]: c["cluster"] for c in v["clusters"]}[ctx["cluster"]]
user = {u["name"]: u["user"] for u in v["users"]}[ctx["user"]]
assert cluster["server"] == server, cluster
assert cluster["certificate-authority"] == ca, cluster
assert user["token"] == token, "token differs"
PY
        cmp -s "$W/ca.pem" "$ca" || fail "CA file differs from the bundle's PEM"
        [[ $(stat -c %a "$boot") == 600 ]] || fail "bootstrap kubeconfig mode $(stat -c %a "$boot"), want 600"
        [[ $(stat -c %a "$ca") == 644 ]] || fail "CA file mode $(stat -c %a "$ca"), want 644"
        [[ $(stat -c %a "$env") == 644 ]] || fail "env file mode $(stat -c %a "$env"), want 644"
        grep -qx "KUBELET_KUBECONFIG_ARGS=\"--bootstrap-kubeconfig=$boot --kubeconfig=$kube\"" "$env" ||
                fail "env file lacks KUBELET_KUBECONFIG_ARGS: $(cat "$env")"
        grep -qx "KUBELET_BOOTSTRAP_KUBECONFIG_ARGS=\"--bootstrap-kubeconfig=$boot --kubeconfig=$kube\"" "$env" ||
                fail "env file lacks KUBELET_BOOTSTRAP_KUBECONFIG_ARGS: $(cat "$env")"
        ! grep -q "$2" "$env" || fail "env file holds the token"
        # Only the three files: no temporary file left behind.
        [[ $(find "$W/etc" "$W/run" -type f | wc -l) == 3 ]] || fail "extra files: $(find "$W/etc" "$W/run" -type f)"
}

bundle "$W/b1.json" https://10.0.0.1:6443 abcdef.0123456789abcdef 3600
handoff "$W/b1.json" >"$W/out" || fail "handoff failed: $(cat "$W/out")"
check https://10.0.0.1:6443 abcdef.0123456789abcdef
echo "ok   first handoff: kubectl shows server, token and CA path"

# The environment file as systemd reads it for kubelet.service.
(set -a; . "$env"; [[ $KUBELET_KUBECONFIG_ARGS == "--bootstrap-kubeconfig=$boot --kubeconfig=$kube" ]]) ||
        fail "env file does not parse to the kubelet arguments"

bundle "$W/b2.json" https://api.cluster.example:6443/ zzzzzz.yyyyyyyyyyyyyyyy 3600
handoff "$W/b2.json" >"$W/out" || fail "second handoff failed: $(cat "$W/out")"
check https://api.cluster.example:6443/ zzzzzz.yyyyyyyyyyyyyyyy
echo "ok   second handoff replaced the files"

cp "$boot" "$W/boot.before"
bundle "$W/b3.json" https://10.0.0.2:6443 aaaaaa.bbbbbbbbbbbbbbbb -60
if "$tool" "$W/b3.json" "$boot" "$kube" "$ca" "$env" >"$W/out" 2>"$W/err"; then
        fail "an expired bundle was accepted"
fi
grep -q "kubelet.token_expired" "$W/err" || fail "expired bundle: $(cat "$W/err")"
bundle "$W/b4.json" https://10.0.0.2:6443 AAAAAA.bbbbbbbbbbbbbbbb 3600
if "$tool" "$W/b4.json" "$boot" "$kube" "$ca" "$env" >"$W/out" 2>"$W/err"; then
        fail "a bad token was accepted"
fi
grep -q "kubelet.bundle_invalid.*token:" "$W/err" || fail "bad token: $(cat "$W/err")"
! grep -q "AAAAAA" "$W/err" || fail "the rejected token was printed"
cmp -s "$boot" "$W/boot.before" || fail "a rejected bundle changed the kubeconfig"
check https://api.cluster.example:6443/ zzzzzz.yyyyyyyyyyyyyyyy
echo "ok   rejected bundles left the files as they were"
