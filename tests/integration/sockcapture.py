#!/usr/bin/python3
"""Binds a unix datagram socket at PATH and appends every datagram to OUT,
one record per datagram separated by a line '--'. Used to capture what the
agent sends to systemd (NOTIFY_SOCKET) and to journald (the native journal
protocol: KEY=value lines; a value containing a newline is sent as KEY,
newline, 64-bit little-endian length, the bytes, newline)."""
import os, socket, struct, sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "ab", buffering=0) as f:
    f.write(b"")
    os.utime(out)
    while True:
        data = s.recv(1 << 20)
        # Decode the binary form of the journal protocol to KEY=value.
        lines, i = [], 0
        while i < len(data):
            nl = data.find(b"\n", i)
            if nl < 0:
                nl = len(data)
            line = data[i:nl]
            if b"=" not in line and nl + 8 <= len(data):
                n = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
                lines.append(line + b"=" + data[nl + 9:nl + 9 + n])
                i = nl + 9 + n + 1
            else:
                lines.append(line)
                i = nl + 1
        f.write(b"\n".join(lines) + b"\n--\n")
