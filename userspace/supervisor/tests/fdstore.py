#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A service manager's file descriptor store, as systemd keeps one, for
etssup's tests (systemd itself does not run on the test hosts).

Runs CMD with NOTIFY_SOCKET naming a datagram socket of its own. Every
descriptor a message with FDSTORE=1 carries (SCM_RIGHTS) is kept under the
message's FDNAME ("stored" without one); FDSTOREREMOVE=1 closes the ones of
its FDNAME. When CMD is killed by a signal it is started again, at most
--restarts times, with the kept descriptors from 3 on and LISTEN_FDS,
LISTEN_PID (its pid) and LISTEN_FDNAMES set, as systemd passes its store
to a restarted service (sd_listen_fds_with_names(3)). Exits with CMD's
status once CMD exits.

The events, one a line, go to --log: "started PID", "stored NAME",
"removed NAME", "exited STATUS".

    fdstore.py --log FILE [--restarts N] -- CMD...
"""
import argparse
import os
import select
import socket
import tempfile

SD_LISTEN_FDS_START = 3
# Far above what the child starts with, to dup from without clobbering.
STAGING_FD = 200


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--restarts", type=int, default=1)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command")

    log = open(args.log, "a", buffering=1)
    # Beside the log, in the test's work directory: gone with it, even
    # when this is killed.
    scratch = tempfile.mkdtemp(prefix="fdstore.",
                               dir=os.path.dirname(os.path.abspath(args.log)))
    notify_path = os.path.join(scratch, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    store = []  # (name, fd), in the order stored

    def start():
        pid = os.fork()
        if pid == 0:
            notify.close()
            staged = []
            for i, (_, fd) in enumerate(store):
                staged.append(os.dup2(fd, STAGING_FD + i, inheritable=False))
            for i, fd in enumerate(staged):
                os.dup2(fd, SD_LISTEN_FDS_START + i, inheritable=True)
                os.close(fd)
            env = dict(os.environ, NOTIFY_SOCKET=notify_path)
            for key in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
                env.pop(key, None)
            if store:
                env["LISTEN_FDS"] = str(len(store))
                env["LISTEN_PID"] = str(os.getpid())
                env["LISTEN_FDNAMES"] = ":".join(n for n, _ in store)
            try:
                os.execvpe(cmd[0], cmd, env)
            finally:
                os._exit(127)
        log.write(f"started {pid}\n")
        return pid, os.pidfd_open(pid)

    def receive():
        msg, fds, _, _ = socket.recv_fds(notify, 4096, 16)
        fields = dict(line.split("=", 1)
                      for line in msg.decode().split("\n") if "=" in line)
        name = fields.get("FDNAME", "stored")
        if fields.get("FDSTOREREMOVE") == "1":
            for n, fd in [e for e in store if e[0] == name]:
                os.close(fd)
                store.remove((n, fd))
            log.write(f"removed {name}\n")
        if fields.get("FDSTORE") == "1":
            for fd in fds:
                store.append((name, fd))
                log.write(f"stored {name}\n")
            fds = []
        for fd in fds:  # sent without FDSTORE=1: systemd closes them too
            os.close(fd)

    restarts = args.restarts
    pid, pidfd = start()
    while True:
        ready, _, _ = select.select([notify, pidfd], [], [])
        if notify in ready:
            receive()
            continue
        _, status = os.waitpid(pid, 0)
        os.close(pidfd)
        # Messages it sent before it died are the store's still.
        while select.select([notify], [], [], 0)[0]:
            receive()
        if os.WIFSIGNALED(status) and restarts > 0:
            restarts -= 1
            pid, pidfd = start()
            continue
        code = os.waitstatus_to_exitcode(status)
        log.write(f"exited {code}\n")
        os.unlink(notify_path)
        os.rmdir(scratch)
        return code if code >= 0 else 128 - code


if __name__ == "__main__":
    raise SystemExit(main())
