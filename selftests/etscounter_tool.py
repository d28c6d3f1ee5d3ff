#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The timing-sensitive parts of selftests/etscounter_test.sh, in one
process so that they are fast under emulation: a client that speaks
etscounterd's protocol (userspace/etscounter/etscounter.h) directly, a
killer, a checker, module reloads, and a mini socket-activating supervisor.

  storm SOCK COUNTS KILLS     COUNTS counts while the daemon is SIGKILLed
                              KILLS times at random moments
  recovery SOCK KILLS [STATE] SIGKILL -> first count answered, KILLS times;
                              with STATE, etssup's state file names the
                              daemon to kill (a standby runs beside it)
                              and no connection may be refused
  reloads SOCK CYCLES KO LOG  drain, rmmod, insmod KO CYCLES times while a
                              client counts; adoption time from LOG (with
                              BENCH_ROW=GROUP|ROLE|LABEL, also as a ROW
                              line of bench/bench.h: rmmod -> adopted)
  module-floor CYCLES KO      rmmod + insmod of KO (a module that does
                              nothing) CYCLES times, run as reloads runs
                              them: the floor of its ROW (BENCH_ROW)
  activate SOCK DAEMON LOG    hold a listening socket, run DAEMON with it
                              (LISTEN_FDS), SIGKILL it, run it again
  pipeline SOCK PINGS         one write of count, count, check, PINGS
                              pings, count, check, read from a second
                              later: one answer per request, in order,
                              although the daemon's sends would block
                              (EAGAIN); meanwhile a client that never
                              reads does not hold the others up
  request SOCK LINE           one raw request; prints the answer

Prints "# ..." lines (TAP comments) and "result KEY VALUE" lines; exits
non-zero with the reason on stderr when a check fails. Every wait is
bounded.
"""
import datetime
import os
import random
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

CONNECT_WAIT = 10.0     # s: a daemon being restarted
HEALTHY_RUN = 0.25      # s: above etssup's default restart-sec, 0.1
MAX_RESTART_DELAY = 1.0  # s: etssup's default restart-max-delay-sec
ANSWER_WAIT = 10.0      # s: an answer on a connection
RETRY_PAUSE = 0.0005    # s: between connection attempts


class NotRunning(Exception):
    pass


def request(path, line, connect_wait=CONNECT_WAIT):
    """Send one request. Returns the answer, or None when the request was
    sent and the connection broke before an answer (it may or may not
    have been served). Raises NotRunning when nobody accepted it within
    connect_wait seconds."""
    deadline = time.monotonic() + connect_wait
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except (ConnectionRefusedError, FileNotFoundError) as e:
            s.close()
            if time.monotonic() >= deadline:
                raise NotRunning(f"connect {path}: {e}") from e
            time.sleep(RETRY_PAUSE)
            continue
        try:
            s.settimeout(ANSWER_WAIT)
            s.sendall(line.encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(512)
                if not chunk:
                    return None
                data += chunk
            return data.decode().rstrip("\n")
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            return None
        finally:
            s.close()


COUNTER = re.compile(r"^Counter (\d+)\.$")
CHECK = re.compile(r"^Table: (\d+), Data \[\{count,(\d+)\}\]\.$")


def parse(regex, answer):
    m = regex.match(answer or "")
    if not m:
        fail(f"unexpected answer {answer!r}")
    return [int(g) for g in m.groups()]


def check(path):
    """(table id, count), retrying a check that got no answer."""
    deadline = time.monotonic() + CONNECT_WAIT
    while True:
        answer = request(path, "check")
        if answer is not None:
            return parse(CHECK, answer)
        if time.monotonic() >= deadline:
            fail("check: no answer")


def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(1)


def daemon_pids():
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() == "etscounterd":
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def single_pidfd(find, not_pid, wait, what):
    """A pidfd of the one pid find() returns (other than not_pid), as
    soon as there is exactly one."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        pids = [p for p in find() if p != not_pid]
        if len(pids) == 1:
            try:
                return pids[0], os.pidfd_open(pids[0])
            except ProcessLookupError:
                pass
        time.sleep(0.001)
    fail(f"no single {what} (found {find()})")


def live_daemon(not_pid=None, wait=CONNECT_WAIT):
    """A pidfd of the one running etscounterd (other than not_pid)."""
    return single_pidfd(daemon_pids, not_pid, wait, "etscounterd running")


def listed(state, role):
    """The pids etssup's state file lists as role (child, standby)."""
    try:
        with open(state) as f:
            return [int(line.split()[2]) for line in f
                    if line.startswith(role + " ")]
    except (OSError, ValueError, IndexError):
        return []


def standby_ready(state, wait=CONNECT_WAIT):
    """Wait for a standby with its etsmgr session open: it can take over."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for pid in listed(state, "standby"):
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
                if any(os.readlink(f"/proc/{pid}/fd/{fd}") == "/dev/etsmgr"
                       for fd in fds):
                    return
            except OSError:
                pass
        time.sleep(0.001)
    fail(f"no standby with a session in {state}")


def active_daemon(state, not_pid=None, wait=CONNECT_WAIT):
    """A pidfd of the child etssup's state file lists (not its standby),
    other than not_pid."""
    return single_pidfd(lambda: listed(state, "child"), not_pid, wait,
                        f"child in {state}")


def wait_dead(pidfd, wait=CONNECT_WAIT):
    if not select.select([pidfd], [], [], wait)[0]:
        fail("a SIGKILLed etscounterd did not die")


def wait_child(pid, wait=CONNECT_WAIT):
    """The wait status of our child pid, which must end within wait s."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    fail(f"process {pid} did not end")


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


# ------------------------------------------------------------------ storm

def storm(path, counts, kills):
    _, start = check(path)
    kill_at = set(random.sample(range(1, counts), kills))
    kill_now = threading.Semaphore(0)
    done = threading.Event()
    state = {"kills": 0, "handled": 0, "acked": [], "unacked": 0,
             "checks": [], "error": None}

    def killer():
        last = None
        while True:
            kill_now.acquire()
            if done.is_set():
                return
            # A random moment of the request just sent, or of a restart.
            time.sleep(random.uniform(0, 0.004))
            pid, pidfd = live_daemon(not_pid=last)
            try:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                state["kills"] += 1
                last = pid
            except ProcessLookupError:
                pass
            os.close(pidfd)
            state["handled"] += 1

    def checker():
        while not done.is_set():
            try:
                state["checks"].append(check(path)[1])
            except NotRunning as e:
                state["error"] = f"check: {e}"
                return
            time.sleep(0.02)

    threads = [threading.Thread(target=killer),
               threading.Thread(target=checker)]
    for t in threads:
        t.start()
    def count():
        answer = request(path, "count")
        if answer is None:
            state["unacked"] += 1
        else:
            state["acked"].append(parse(COUNTER, answer)[0])

    try:
        for i in range(counts):
            if i in kill_at:
                kill_now.release()
            count()
        # A restart delay can leave kills queued when the last count is
        # answered: keep counting, so each still lands during a request.
        deadline = time.monotonic() + CONNECT_WAIT
        while state["handled"] < kills and time.monotonic() < deadline:
            count()
    except NotRunning as e:
        state["error"] = f"count: {e}"
    finally:
        done.set()
        kill_now.release()
        for t in threads:
            t.join(timeout=30)
    if state["error"]:
        fail(state["error"])

    _, end = check(path)
    acked, unacked, checks = state["acked"], state["unacked"], state["checks"]
    print(f"# storm: {len(acked) + unacked} counts, {len(acked)} answered, "
          f"{unacked} unanswered, {state['kills']} kills, "
          f"counter {start} -> {end}, {len(checks)} checks")
    print(f"result kills {state['kills']}")
    if state["kills"] < kills:
        fail(f"only {state['kills']} kills of {kills}")
    if any(b <= a for a, b in zip(acked, acked[1:])):
        fail("an answered count was not above the one before")
    if any(b < a for a, b in zip(checks, checks[1:])):
        fail(f"the counter went backwards between two checks: {checks}")
    if acked and (acked[0] <= start or acked[-1] > end):
        fail(f"answered counts {acked[0]}..{acked[-1]} outside "
             f"{start}..{end}")
    if end - start < len(acked):
        fail(f"lost counts: counter went up by {end - start}, "
             f"{len(acked)} were answered")
    if end - start > len(acked) + unacked:
        fail(f"counted more than asked: up by {end - start}, "
             f"{len(acked)} answered + {unacked} unanswered")


# --------------------------------------------------------------- recovery

def recovery(path, kills, state=None):
    times = []
    # etssup holds the socket: a refused connection is a failure.
    connect_wait = 0 if state else CONNECT_WAIT
    # With a standby: measure its takeover, so wait until one is ready.
    standby = state and listed(state, "standby")
    # Recovery is measured after a healthy run, the case that must stay
    # immediate: a daemon killed sooner than etssup's restart delay
    # (restart-sec, growing to restart-max-delay-sec) is a crash loop,
    # restarted late on purpose.  The first wait outlasts the storm's delay.
    healthy_since = time.monotonic() - HEALTHY_RUN + MAX_RESTART_DELAY
    for _ in range(kills):
        if standby:
            standby_ready(state)
        time.sleep(max(0, healthy_since + HEALTHY_RUN - time.monotonic()))
        before = parse(COUNTER, request(path, "count"))[0]
        pid, pidfd = active_daemon(state) if state else live_daemon()
        t0 = time.monotonic()
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        # Once it is dead, no request can reach it: a broken connection
        # before that was never served, so trying again counts once.
        wait_dead(pidfd)
        os.close(pidfd)
        deadline = t0 + CONNECT_WAIT
        while True:
            answer = request(path, "count", connect_wait=connect_wait)
            if answer is not None:
                break
            if time.monotonic() >= deadline:
                fail("no count answered after a kill")
        t1 = time.monotonic()
        healthy_since = t1
        after = parse(COUNTER, answer)[0]
        if after != before + 1:
            fail(f"after the kill, Counter {after}, want {before + 1}")
        times.append((t1 - t0) * 1000)
    print(f"# recovery: median {statistics.median(times):.1f} ms, "
          f"p99 {percentile(times, 99):.1f} ms over {kills} kills "
          f"(SIGKILL of etscounterd after {HEALTHY_RUN:g} s of service -> "
          f"first count answered with the old value + 1; "
          f"min {min(times):.1f}, max {max(times):.1f})")


# ---------------------------------------------------------------- reloads

ADOPTED = re.compile(
    r"^=NOTICE REPORT==== (\S+) ===\netscounter_srv: got a table (\d+) "
    r"from etsmgr, adopted\.$", re.M)


def run(*argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    if r.returncode != 0:
        fail(f"{' '.join(argv)}: status {r.returncode}: {r.stdout}")


def wait_adopted(log, offset, wait=20.0):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with open(log) as f:
            f.seek(offset)
            m = ADOPTED.search(f.read())
        if m:
            stamp = datetime.datetime.strptime(m.group(1),
                                               "%d-%b-%Y::%H:%M:%S.%f")
            return int(m.group(2)), stamp.timestamp()
        time.sleep(0.005)
    fail("etscounterd did not adopt its table after the reload")


def reloads(path, cycles, ko, log):
    table, start = check(path)
    done = threading.Event()
    state = {"acked": 0, "unacked": 0, "error": None}

    def counter():
        while not done.is_set():
            try:
                answer = request(path, "count")
            except NotRunning as e:
                state["error"] = str(e)
                return
            if answer is None:
                state["unacked"] += 1
            else:
                state["acked"] += 1

    thread = threading.Thread(target=counter)
    thread.start()
    times, restarts = [], []
    try:
        for _ in range(cycles):
            run("etsmgrctl", "drain")
            offset = os.path.getsize(log)
            t_rmmod = time.time()
            run("rmmod", "etsmgr")
            t0 = time.time()
            run("insmod", ko)
            adopted, stamp = wait_adopted(log, offset)
            if adopted != table:
                fail(f"adopted table {adopted}, want {table}")
            times.append((stamp - t0) * 1000)
            restarts.append((stamp - t_rmmod) * 1000)
    finally:
        done.set()
        thread.join(timeout=30)
    if state["error"]:
        fail(f"count during the reloads: {state['error']}")
    end_table, end = check(path)
    print(f"# reloads: {cycles} drain+rmmod+insmod cycles, {state['acked']} "
          f"counts answered, {state['unacked']} unanswered, counter "
          f"{start} -> {end}")
    print(f"# manager restart: median {statistics.median(times):.1f} ms, "
          f"p99 {percentile(times, 99):.1f} ms over {cycles} reloads "
          f"(insmod -> table adopted, same id; counts were answered "
          f"throughout)")
    # For make bench: rmmod -> adopted, as a ROW line of bench/bench.h
    # (module-floor times rmmod + insmod of a module that does nothing).
    if os.environ.get("BENCH_ROW"):
        print(f"ROW|{os.environ['BENCH_ROW']}|ms|{cycles}|"
              f"{statistics.median(restarts):.3f}|"
              f"{percentile(restarts, 99):.3f}")
    if end_table != table:
        fail(f"table {end_table} after the reloads, want {table}")
    if state["unacked"] or end - start != state["acked"]:
        fail(f"counter went up by {end - start}, {state['acked']} answered, "
             f"{state['unacked']} unanswered")


def module_floor(cycles, ko):
    """rmmod + insmod of a module that does nothing (bench/noop), with
    the same run() as reloads: what any reload of a module pays."""
    r = subprocess.run(["modinfo", "-F", "name", ko], stdout=subprocess.PIPE,
                       text=True, timeout=60)
    name = r.stdout.strip()
    if r.returncode != 0 or not name:
        fail(f"modinfo {ko}: no module name")
    with open("/proc/modules") as f:
        if any(line.split()[0] == name for line in f):
            run("rmmod", name)
    run("insmod", ko)
    times = []
    for _ in range(cycles):
        t0 = time.time()
        run("rmmod", name)
        run("insmod", ko)
        times.append((time.time() - t0) * 1000)
    run("rmmod", name)
    print(f"# module floor: rmmod + insmod of {name}: median "
          f"{statistics.median(times):.1f} ms, p99 "
          f"{percentile(times, 99):.1f} ms over {cycles} reloads")
    if os.environ.get("BENCH_ROW"):
        print(f"ROW|{os.environ['BENCH_ROW']}|ms|{cycles}|"
              f"{statistics.median(times):.3f}|{percentile(times, 99):.3f}")


# --------------------------------------------------------------- activate

def activate(path, daemon, log):
    """A two-start socket-activating supervisor: the socket stays open
    across the daemon's death, so a client is never refused."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    listener.bind(path)
    listener.listen(16)
    logf = open(log, "ab")

    def start():
        pid = os.fork()
        if pid == 0:
            try:
                os.dup2(logf.fileno(), 2)
                if listener.fileno() != 3:
                    os.dup2(listener.fileno(), 3)
                os.set_inheritable(3, True)
                env = dict(os.environ, LISTEN_FDS="1",
                           LISTEN_PID=str(os.getpid()))
                os.execve(daemon, [daemon], env)
            finally:
                os._exit(127)
        return pid

    pid = start()
    first = parse(COUNTER, request(path, "count"))[0]
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    # The daemon is dead and the socket still listens: this request waits
    # in the backlog for the next daemon instead of being refused.
    result = {}
    client = threading.Thread(
        target=lambda: result.update(answer=request(path, "count",
                                                    connect_wait=0)))
    client.start()
    time.sleep(0.2)
    pid = start()
    client.join(timeout=30)
    if result.get("answer") is None:
        fail("the count sent while no daemon ran got no answer")
    second = parse(COUNTER, result["answer"])[0]
    if second != first + 1:
        fail(f"Counter {second} after the restart, want {first + 1}")
    if request(path, "stop") != "ok":
        fail("stop was not answered ok")
    status = wait_child(pid)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        fail(f"etscounterd ended with wait status {status} after stop")
    if not os.path.exists(path):
        fail("etscounterd removed the socket it was passed")
    print(f"# activate: Counter {first}, killed, Counter {second} "
          f"answered by the next daemon on the same socket")


# --------------------------------------------------------------- pipeline

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(ANSWER_WAIT)
    s.connect(path)
    return s


def read_lines(s, n):
    """n answer lines from s; fewer (the last maybe cut) when the daemon
    closed the connection first."""
    data = b""
    while data.count(b"\n") < n:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    return data.decode().split("\n")[:n] if data else []


def send_quietly(s, data):
    try:
        s.sendall(data)
    except OSError:
        pass    # closed at the end, before it could send it all


def pipeline(path, pings):
    _, start = check(path)
    # A client that sends as much and never reads: its answers fill its
    # socket, and the daemon must go on serving everyone else.
    stuck = connect(path)
    stuck.settimeout(None)
    threading.Thread(target=send_quietly, args=(stuck, b"ping\n" * pings),
                     daemon=True).start()
    requests = (["count", "count", "check"] + ["ping"] * pings +
                ["count", "check"])
    s = connect(path)
    # One write; nothing is read for a second, while the answers fill the
    # socket and the daemon's sends would block (EAGAIN): it must wait
    # for room (POLLOUT), not drop the client.
    sender = threading.Thread(
        target=send_quietly,
        args=(s, "".join(r + "\n" for r in requests).encode()))
    sender.start()
    time.sleep(1.0)
    # Another client meanwhile: served at once.
    t0 = time.monotonic()
    other = request(path, "ping", connect_wait=0)
    other_ms = (time.monotonic() - t0) * 1000
    answers = read_lines(s, len(requests))
    sender.join(timeout=30)
    s.close()
    stuck.close()
    if other != "ok":
        fail(f"another client's ping, while one never reads: {other!r}")
    if len(answers) != len(requests):
        fail(f"{len(requests)} pipelined requests, {len(answers)} answers "
             f"(the last: {answers[-3:]!r})")
    table, _ = check(path)
    want = ([f"Counter {start + 1}.", f"Counter {start + 2}.",
             f"Table: {table}, Data [{{count,{start + 2}}}]."] +
            ["ok"] * pings +
            [f"Counter {start + 3}.",
             f"Table: {table}, Data [{{count,{start + 3}}}]."])
    for i, (got, exp) in enumerate(zip(answers, want)):
        if got != exp:
            fail(f"answer {i + 1} of {len(requests)}: {got!r}, want {exp!r}")
    print(f"# pipeline: {len(requests)} requests in one write, "
          f"{len(answers)} answers in order; another client's ping took "
          f"{other_ms:.1f} ms while one client never read")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    try:
        if mode == "storm":
            storm(args[0], int(args[1]), int(args[2]))
        elif mode == "recovery":
            recovery(args[0], int(args[1]), *args[2:3])
        elif mode == "reloads":
            reloads(args[0], int(args[1]), args[2], args[3])
        elif mode == "module-floor":
            module_floor(int(args[0]), args[1])
        elif mode == "activate":
            activate(*args)
        elif mode == "pipeline":
            pipeline(args[0], int(args[1]))
        elif mode == "request":
            print(request(args[0], args[1], connect_wait=0))
        else:
            fail(f"unknown mode {mode}")
    except NotRunning as e:
        fail(f"etscounterd is not running: {e}")


if __name__ == "__main__":
    main()
