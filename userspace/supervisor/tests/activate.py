#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Socket activation, as a .socket unit does it, for etssup's tests
(systemd does not run on the test hosts): bind and listen on a Unix
stream socket at PATH, then become CMD with the socket as descriptor 3
and LISTEN_FDS=1, LISTEN_PID (this very process, which CMD becomes) and
LISTEN_FDNAMES=NAME set (sd_listen_fds(3)).

    activate.py PATH NAME -- CMD...
"""
import os
import socket
import sys


def main():
    path, name = sys.argv[1], sys.argv[2]
    cmd = sys.argv[4:] if sys.argv[3:4] == ["--"] else sys.argv[3:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(64)
    os.dup2(sock.fileno(), 3)
    os.set_inheritable(3, True)
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()),
               LISTEN_FDNAMES=name)
    os.execvpe(cmd[0], cmd, env)


if __name__ == "__main__":
    main()
