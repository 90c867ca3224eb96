#!/usr/bin/python3
"""A scripted KBS verifier for tests/integration/agent-retry.sh: HTTPS on
loopback, answers /kbs/v0/auth with a Challenge and a kbs-session-id cookie,
and /kbs/v0/attest (and the resources) as the script says, one item per
request, the last item repeating:

  500          HTTP 500, a plain-text body
  429:N        HTTP 429 with Retry-After: N
  garbled      HTTP 200 whose body is not JSON
  slow:N       sleeps N seconds, then HTTP 500
  reject:CODE  HTTP 401 AttestationError, detail "CODE: <sentence>"
  redirect     HTTP 302 to another path of this server
  huge         (auth only) HTTP 200 with a 1 MiB body
  ok           /attest: a token; resources: a flattened JWE
               (ECDH-ES+A256KW, A256GCM) of a plaintext made from the path,
               to the tee-pubkey the session attested with
  deny:CODE    (resources only) HTTP 401 PolicyDeny, detail "CODE: ..."

Every request is logged to LOG as one JSON object per line (path, cookie,
bearer, nonce check, the SHA-256 of released plaintexts); the bodies of the
last Challenge sent and Attestation received go to DIR/challenge.json and
DIR/attestation.json, for comparison with `confnode attest --save-bundle`.
Not a verifier: it appraises nothing."""

import argparse, base64, hashlib, http.server, json, os, secrets, ssl, struct, sys, threading, time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

ERR = "https://github.com/confidential-containers/kbs/errors/"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def concat_kdf(z, alg, bits):
    # RFC 7518 section 4.6.2: one SHA-256 round is enough for 256 bits.
    other = struct.pack(">I", len(alg)) + alg + struct.pack(">I", 0) + struct.pack(">I", 0) + struct.pack(">I", bits)
    h = hashlib.sha256(struct.pack(">I", 1) + z + other).digest()
    return h[: bits // 8]


def jwe_to(jwk, plaintext):
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("fake verifier encrypts to P-256 keys only")
    x = int.from_bytes(unb64u(jwk["x"]), "big")
    y = int.from_bytes(unb64u(jwk["y"]), "big")
    recipient = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    epk = ec.generate_private_key(ec.SECP256R1())
    z = epk.exchange(ec.ECDH(), recipient)
    kek = concat_kdf(z, b"ECDH-ES+A256KW", 256)
    cek = secrets.token_bytes(32)
    n = epk.public_key().public_numbers()
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM",
              "epk": {"crv": "P-256", "kty": "EC", "x": b64u(n.x.to_bytes(32, "big")), "y": b64u(n.y.to_bytes(32, "big"))}}
    protected = b64u(json.dumps(header, separators=(",", ":")).encode())
    iv = secrets.token_bytes(12)
    sealed = AESGCM(cek).encrypt(iv, plaintext, protected.encode())
    return json.dumps({"protected": protected, "encrypted_key": b64u(aes_key_wrap(kek, cek)),
                       "iv": b64u(iv), "ciphertext": b64u(sealed[:-16]), "tag": b64u(sealed[-16:])})


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.counts = {"auth": 0, "attest": 0, "resource": 0}
        self.sessions = {}  # cookie -> {"nonce", "pubkey"}
        self.log = open(args.log, "a", buffering=1)

    def item(self, step):
        script = getattr(self.args, step).split(",")
        with self.lock:
            i = self.counts[step]
            self.counts[step] += 1
        return script[min(i, len(script) - 1)]

    def record(self, **kw):
        kw["t"] = time.monotonic()
        with self.lock:
            self.log.write(json.dumps(kw) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body=b"", ctype="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, name, detail, headers=()):
        self.reply(status, json.dumps({"type": ERR + name, "detail": detail}).encode(), headers=headers)

    def cookie(self):
        for part in (self.headers.get("Cookie") or "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "kbs-session-id":
                return v
        return None

    def scripted(self, item):
        """The failures every step shares; True when it answered."""
        if item == "500":
            self.reply(500, b"internal error", "text/plain")
        elif item.startswith("429:"):
            self.reply(429, b"", headers=[("Retry-After", item[4:])])
        elif item == "garbled":
            self.reply(200, b'{"token": "unterminated')
        elif item.startswith("slow:"):
            time.sleep(float(item[5:]))
            try:
                self.reply(500, b"too late", "text/plain")
            except OSError:
                pass
        elif item.startswith("reject:"):
            self.error(401, "AttestationError",
                       item[7:] + ": the evidence does not match the reference values")
        elif item == "redirect":
            self.reply(302, b"", headers=[("Location", "https://127.0.0.1:%d/elsewhere" % self.server.server_port)])
        else:
            return False
        return True

    def do_GET(self):
        st = self.server.state
        prefix = "/kbs/v0/resource/"
        if not self.path.startswith(prefix):
            st.record(step="other", path=self.path)
            return self.error(404, "InvalidRequestPath", "no such path")
        res = self.path[len(prefix):]
        cookie = self.cookie()
        auth = self.headers.get("Authorization") or ""
        item = st.item("resource")
        st.record(step="resource", path=res, cookie=cookie, bearer=auth.startswith("Bearer "), item=item)
        if self.scripted(item):
            return
        if item.startswith("deny:"):
            return self.error(401, "PolicyDeny", item[5:] + ": this resource is not released here")
        sess = st.sessions.get(cookie)
        if not sess or not sess.get("attested"):
            return self.error(401, "TokenNotFound", "no attested session")
        plaintext = hashlib.sha256(res.encode()).digest() if "disk-key" in res else \
            json.dumps({"api_server": "https://127.0.0.1:6443", "path": res}).encode()
        st.record(step="released", path=res, sha256=hashlib.sha256(plaintext).hexdigest(), size=len(plaintext))
        self.reply(200, jwe_to(sess["pubkey"], plaintext).encode())

    def do_POST(self):
        st = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/kbs/v0/auth":
            item = st.item("auth")
            st.record(step="auth", item=item)
            if item == "huge":
                return self.reply(200, b" " * (1 << 20))
            if self.scripted(item):
                return
            req = json.loads(body)
            nonce = base64.b64encode(secrets.token_bytes(32)).decode()
            cookie = secrets.token_hex(16)
            st.sessions[cookie] = {"nonce": nonce, "tee": req.get("tee")}
            chal = json.dumps({"nonce": nonce, "extra-params": ""}).encode()
            with open(os.path.join(st.args.dir, "challenge.json"), "wb") as f:
                f.write(chal)
            return self.reply(200, chal, headers=[("Set-Cookie", "kbs-session-id=%s; Path=/kbs/v0; HttpOnly" % cookie)])
        if self.path == "/kbs/v0/attest":
            cookie = self.cookie()
            sess = st.sessions.get(cookie)
            with open(os.path.join(st.args.dir, "attestation.json"), "wb") as f:
                f.write(body)
            nonce_ok = False
            try:
                att = json.loads(body)
                nonce_ok = bool(sess) and att["runtime-data"]["nonce"] == sess["nonce"]
                pubkey = att["runtime-data"]["tee-pubkey"]
                ev = att["tee-evidence"]
                tee = sess["tee"] if sess else None
            except (ValueError, KeyError, TypeError):
                pubkey, ev, tee = None, None, None
            item = st.item("attest")
            st.record(step="attest", cookie=cookie, session=bool(sess), nonce_ok=nonce_ok, tee=tee,
                      has_primary=bool(ev and ev.get("primary_evidence")), item=item)
            if self.scripted(item):
                return
            if item == "ok" and sess and nonce_ok:
                sess["attested"] = True
                sess["pubkey"] = pubkey
                return self.reply(200, json.dumps({"token": secrets.token_urlsafe(32)}).encode())
            return self.error(401, "AttestationError", "session.unknown: no such session")
        st.record(step="other", path=self.path)
        self.error(404, "InvalidRequestPath", "no such path")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--auth", default="ok")
    ap.add_argument("--attest", default="ok")
    ap.add_argument("--resource", default="ok")
    args = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.state = State(args)
    with open(os.path.join(args.dir, "ready"), "w") as f:
        f.write(str(os.getpid()))
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
