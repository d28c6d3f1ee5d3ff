#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""journald, as far as etssup's tests need it (no journald on the test
hosts): runs CMD with its stderr on a file that JOURNAL_STREAM names, as
systemd connects a service's stderr to the journal, and receives the
entries CMD sends over the native protocol on /run/systemd/journal/socket
(the path libsystemd sends to; run this in a mount namespace of its own
with a tmpfs on /run). Each entry goes to --out as one JSON object of its
fields (a field given twice: a list); what CMD wrote to stderr goes to
--stderr. Exits with CMD's status.

    journal.py --out FILE --stderr FILE -- CMD...
"""
import argparse
import json
import os
import select
import socket
import struct
import subprocess

SOCKET = "/run/systemd/journal/socket"


def parse(datagram):
    """Fields of one native-protocol entry: KEY=value lines, or KEY, a
    newline, a 64-bit little-endian length, the value and a newline."""
    fields, i = {}, 0
    while i < len(datagram):
        nl = datagram.index(b"\n", i)
        line = datagram[i:nl]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            i = nl + 1
        else:
            key = line
            (size,) = struct.unpack("<Q", datagram[nl + 1:nl + 9])
            value = datagram[nl + 9:nl + 9 + size]
            i = nl + 9 + size + 1
        key, value = key.decode(), value.decode()
        if key in fields:
            old = fields[key]
            fields[key] = (old if isinstance(old, list) else [old]) + [value]
        else:
            fields[key] = value
    return fields


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--stderr", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    os.makedirs(os.path.dirname(SOCKET), exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(SOCKET)
    err = open(args.stderr, "wb")
    st = os.fstat(err.fileno())
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    child = subprocess.Popen(cmd, stderr=err, env=env)
    with open(args.out, "w") as out:
        while True:
            ready, _, _ = select.select([sock], [], [], 0.05)
            if ready:
                fields = parse(sock.recv(1 << 20))
                out.write(json.dumps(fields) + "\n")
                out.flush()
            elif child.poll() is not None:
                break
    raise SystemExit(child.returncode)


if __name__ == "__main__":
    main()
