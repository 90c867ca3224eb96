#!/usr/bin/python3
"""A man in the middle for the KBS tamper tests.

Sits between `confnode attest` and `confnode-verifier serve` on loopback
(TLS on both sides, the test CA), forwards every request and changes one
thing on the way, as --mutate says; records each answer the verifier gave
(path, status, body) as a JSON line in --log. The test then checks that the
verifier rejected the change with the expected reason.

Mutations (NAME or NAME:ARG):
  none                      forward unchanged
  auth-json:PATH=VALUE      set a member of the Request (VALUE is JSON, or
                            @FILE for JSON in a file)
  attest-json:PATH=VALUE    set a member of the Attestation
  attest-xor:PATH           flip the low bit of a byte: PATH ends in an array
                            index (a byte array) or names a base64/hex string
                            (then :N picks the byte, default 0)
  primary-xor:PATH, additional-xor:PATH
                            the same inside primary_evidence, or inside the
                            JSON text of additional_evidence
  primary-set:PATH=VALUE, additional-set:PATH=VALUE
  primary-b64-edit:PATH=OP  OP truncate-event | extra-event | flip:N on a
                            base64 event log (TCG crypto-agile)
  attest-truncate           cut the Attestation body in half
  attest-oversize:BYTES     pad the Attestation body with spaces to BYTES
  attest-delay:SECS         wait before forwarding the Attestation
  attest-replay             forward it, then send the same request again
                            (same cookie and body) and answer with that
  attest-stale              answer /attest by opening a new session and
                            sending the old session's evidence in it
  resource-xor              flip a bit of a released resource's ciphertext
"""

import argparse
import base64
import copy
import http.client
import http.server
import json
import ssl
import sys
import threading
import time

LOCK = threading.Lock()


def log_answer(path, status, body):
    try:
        doc = json.loads(body)
    except ValueError:
        doc = body.decode("utf-8", "replace")[:400]
    if path.startswith("/kbs/v0/resource"):
        doc = {"size": len(body)}  # never keep a released resource
    with LOCK, open(ARGS.log, "a") as f:
        f.write(json.dumps({"path": path, "status": status, "body": doc}) + "\n")


def walk(doc, path):
    """The container and key of a dotted PATH in doc (numbers index lists)."""
    parts = path.split(".")
    for p in parts[:-1]:
        doc = doc[int(p)] if isinstance(doc, list) else doc[p]
    last = parts[-1]
    return doc, (int(last) if isinstance(doc, list) else last)


def decode_any(s):
    try:
        return "hex", bytes.fromhex(s)
    except ValueError:
        pass
    pad = "=" * (-len(s) % 4)
    if "-" in s or "_" in s:
        return "b64url", base64.urlsafe_b64decode(s + pad)
    return "b64", base64.b64decode(s + pad)


def encode_any(kind, b, orig):
    if kind == "hex":
        return b.hex()
    if kind == "b64url":
        return base64.urlsafe_b64encode(b).decode().rstrip("=")
    out = base64.b64encode(b).decode()
    return out if orig.endswith("=") or len(orig) % 4 == 0 else out.rstrip("=")


def xor_at(doc, spec, kind=None):
    """Flips bit 0 of byte idx of the value at path. kind forces the
    encoding ("b64url" for JWE members): guessing from the text would take
    a base64url string that happens to hold no '-' or '_' for standard
    base64 and could re-encode it with a '+' or '/'."""
    path, _, idx = spec.partition(":")
    c, k = walk(doc, path)
    if isinstance(c[k], int):
        c[k] ^= 1
        return
    if kind == "b64url":
        b = base64.urlsafe_b64decode(c[k] + "=" * (-len(c[k]) % 4))
    else:
        kind, b = decode_any(c[k])
    b = bytearray(b)
    b[int(idx or 0)] ^= 1
    c[k] = encode_any(kind, bytes(b), c[k])


def set_at(doc, spec):
    path, _, value = spec.partition("=")
    c, k = walk(doc, path)
    if value.startswith("@"):
        with open(value[1:]) as f:
            value = f.read()
    c[k] = json.loads(value)


def tcg_events(log):
    """(offset, {alg: digest offset}) of each event after the spec ID event
    of a TCG crypto-agile log."""
    import struct
    # The first event is in SHA-1 (TCG 1.2) format: its data is the spec ID.
    size = struct.unpack_from("<I", log, 28)[0]
    spec = log[32: 32 + size]
    off = 32 + size
    n_algs = struct.unpack_from("<I", spec, 24)[0]
    sizes = {}
    for i in range(n_algs):
        alg, dsz = struct.unpack_from("<HH", spec, 28 + 4 * i)
        sizes[alg] = dsz
    events = []
    while off < len(log):
        count = struct.unpack_from("<I", log, off + 8)[0]
        p = off + 12
        digests = {}
        for _ in range(count):
            alg = struct.unpack_from("<H", log, p)[0]
            digests[alg] = p + 2
            p += 2 + sizes[alg]
        events.append((off, digests))
        esz = struct.unpack_from("<I", log, p)[0]
        off = p + 4 + esz
    return events


def edit_eventlog(doc, spec):
    path, _, op = spec.partition("=")
    c, k = walk(doc, path)
    kind, b = decode_any(c[k])
    events = tcg_events(b)
    if op == "truncate-event":
        b = b[: events[-1][0]]
    elif op == "extra-event":
        b = b + b[events[-1][0]:]
    elif op.startswith("flip:"):
        # Flip a byte of event N's SHA-256 digest: the log still parses.
        n = int(op[5:])
        b = bytearray(b)
        b[events[n][1][0x000B]] ^= 1
        b = bytes(b)
    c[k] = encode_any(kind, b, c[k])


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def upstream(self, method, path, body, headers):
        conn = http.client.HTTPSConnection("127.0.0.1", ARGS.upstream_port, context=UP_CTX,
                                           timeout=60)
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        hdrs = [(k, v) for k, v in r.getheaders()
                if k.lower() not in ("transfer-encoding", "connection", "content-length")]
        conn.close()
        return r.status, hdrs, data

    def answer(self, status, hdrs, data):
        self.send_response(status)
        for k, v in hdrs:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def fwd_headers(self):
        h = {}
        for k in ("Content-Type", "Cookie", "Authorization", "Accept"):
            if self.headers.get(k):
                h[k] = self.headers[k]
        return h

    def do_GET(self):
        status, hdrs, data = self.upstream("GET", self.path, None, self.fwd_headers())
        log_answer(self.path, status, data)
        if ARGS.mutate == "resource-xor" and status == 200:
            doc = json.loads(data)
            xor_at(doc, "ciphertext", kind="b64url")
            data = json.dumps(doc).encode()
        self.answer(status, hdrs, data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        name, _, arg = ARGS.mutate.partition(":")
        headers = self.fwd_headers()
        if self.path == "/kbs/v0/auth":
            global AUTH_BODY
            AUTH_BODY = body
            if name == "auth-json":
                doc = json.loads(body)
                set_at(doc, arg)
                body = json.dumps(doc).encode()
        elif self.path == "/kbs/v0/attest":
            body = self.mutate_attest(name, arg, body)
            if name == "attest-delay":
                time.sleep(float(arg))
            if name == "attest-stale":
                st, hd, _ = self.upstream("POST", "/kbs/v0/auth", AUTH_BODY,
                                          {"Content-Type": "application/json"})
                cookie = [v for k, v in hd if k.lower() == "set-cookie"]
                headers["Cookie"] = cookie[0].split(";")[0] if cookie else ""
        status, hdrs, data = self.upstream("POST", self.path, body, headers)
        log_answer(self.path, status, data)
        if self.path == "/kbs/v0/attest" and name == "attest-replay":
            status, hdrs, data = self.upstream("POST", self.path, body, headers)
            log_answer(self.path + "#replay", status, data)
        self.answer(status, hdrs, data)

    def mutate_attest(self, name, arg, body):
        if name == "attest-truncate":
            return body[: len(body) // 2]
        if name == "attest-oversize":
            return body + b" " * max(0, int(arg) - len(body))
        if name not in ("attest-json", "attest-xor", "primary-xor", "additional-xor",
                        "primary-set", "additional-set", "primary-b64-edit"):
            return body
        doc = json.loads(body)
        ev = doc["tee-evidence"]
        if name == "attest-json":
            set_at(doc, arg)
        elif name == "attest-xor":
            xor_at(doc, arg)
        elif name == "primary-xor":
            xor_at(ev["primary_evidence"], arg)
        elif name == "primary-set":
            set_at(ev["primary_evidence"], arg)
        elif name == "primary-b64-edit":
            edit_eventlog(ev["primary_evidence"], arg)
        else:
            add = json.loads(ev["additional_evidence"])
            (xor_at if name == "additional-xor" else set_at)(add, arg)
            ev["additional_evidence"] = json.dumps(add, separators=(",", ":"))
        return json.dumps(doc, separators=(",", ":")).encode()


def main():
    global ARGS, UP_CTX
    p = argparse.ArgumentParser()
    p.add_argument("--upstream-port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--mutate", default="none")
    ARGS = p.parse_args()
    UP_CTX = ssl.create_default_context(cafile=ARGS.ca)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


AUTH_BODY = b""
if __name__ == "__main__":
    sys.exit(main())
