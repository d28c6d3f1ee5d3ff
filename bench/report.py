#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/report.py: the tables of `make bench`.

  report.py --markdown META ROWS NOTES    bench/results.md on stdout
  report.py --merge SAMPLES              SAMPLE lines (bench/bench.h) ->
                                          one ROW per label, in order of
                                          first appearance (rates: median
                                          and 1st percentile)

ROWS holds the ROW lines of the benchmark programs (bench/bench.h):
ROW|GROUP|ROLE|LABEL|UNIT|N|MEDIAN|P99. In each group the "base" row is
the one the ratio column divides by: ratio = median / base median, so for
times a ratio above 1 is slower than the base, and for rates (ops/s) a
ratio above 1 is faster. Nothing here measures or invents a figure: a row
the run did not produce is not printed, and NOTES says why.

The native section (bench/bench-native.sh, on the host, no VM: groups
native-1, native-2one, native-2distinct) has two references per group
instead of one base: the row of role "floor" (a plain atomic add, the
same thread count) and the row of role "ets" (ets:update_counter, the
same process count and key pattern); every native row shows its ratio
against both, and a list of the issue's goals follows, met or missed.
META keys native_* describe the host; a META without the VM's keys (a
native run alone) gives a results.md of the native section only.
"""
import math
import sys

# (group, title, what the ratio is against, a sentence on what limits the
# whole section's figures or None)
SECTIONS = [
    ("reclaim", "Reclaim latency: a restarted process gets its 64 KiB of state back",
     "the floor", None),
    ("recovery", "Recovery: kill -> supervisor restart -> first count answered with the old value",
     "the floor", None),
    ("manager", "Manager restart: the manager goes and comes back, the daemon's table is registered again",
     "the floor", None),
    ("counter-1core", "Counter increments per second, one core", "libetsmgr", None),
    ("counter-2core", "Counter increments per second, two cores (one counter, contended)",
     "libetsmgr", None),
    ("attach-vs-size", "Scale: reclaim (ATTACH + mmap) vs table size, every page of the table written",
     "4 KiB",
     "Flat by construction: ATTACH moves ownership and mmap sets up a "
     "mapping of the shmem file without touching its pages, so nothing "
     "depends on the size; what varies is emulation noise."),
    ("create-per-table", "Scale: create (ATTACH with CREATE), per table", "10 tables",
     "A shmem file per table (inode, dentry, struct file) and an id and "
     "name insert under the registry mutex; the name hash has 1024 "
     "buckets, so from a few thousand tables each lookup walks a chain of "
     "several names."),
    ("dump-per-table", "Scale: dump over generic netlink, per table", "10 tables",
     "Filling one attribute set per table into the dump's skbs and "
     "libnl's parsing of it; the fixed cost of a dump (the request, the "
     "final NLMSG_DONE round trip) is spread over more tables as the "
     "count grows, so the cost per table falls."),
    ("delete-per-table", "Scale: delete (DELETE by id), per table", "10 tables",
     "An xarray lookup and erase, unhashing the name and the last fput of "
     "the table's shmem file (inode and dentry freed, partly after an RCU "
     "grace period)."),
    ("memory-per-table", "Scale: kernel memory per table (4 KiB tables never touched: no data pages)",
     "1000 tables",
     "The shmem inode, dentry and struct file of each table, the module's "
     "table struct and its xarray and hash slots, almost all slab; one "
     "measurement each, as the difference of /proc/meminfo before and "
     "after, so unrelated activity moves it a little."),
]

# One sentence per figure, for the sections without a common one:
# (group, a piece of the row's label, the sentence).
LIMITS = [
    ("reclaim", "floor:",
     "The least a reclaim of kept memory through a descriptor costs: one "
     "system call answered by the VFS (FIONREAD on the memfd), an mmap of "
     "the shmem file and the fault that maps its first, already present, "
     "page."),
    ("reclaim", "ATTACH + mmap (session open)",
     "The floor's mmap and fault, with an ioctl that does the work: beyond "
     "the floor, ATTACH copies its argument in and out, takes the registry "
     "mutex, finds the name in a hash table and moves the table to the "
     "caller's session (a pid reference, an event, the fence of earlier "
     "owners' mappings and a walk of the caller's mappings under its "
     "mmap lock to renew their grants), and the mmap goes through the "
     "device (the id looked up under the mutex, a grant, the mapping "
     "switched to the table's shmem file)."),
    ("reclaim", "open + ATTACH + mmap",
     "The row above plus the open(2) of /dev/etsmgr that a freshly "
     "started process needs (a session: a file and a small allocation)."),
    ("reclaim", "memfd_create",
     "Creating a new shmem inode and file, ftruncate, mmap and the fault "
     "of a zero page: the price of starting from empty memory, with no "
     "state to get back."),
    ("reclaim", "shm_open",
     "A path lookup in /dev/shm and an open, then the same mmap and "
     "fault: the closest kernel-held peer, but with no owner, no heir, no "
     "exclusive attach and no news of how the last user died."),
    ("reclaim", "SCM_RIGHTS",
     "A socket and connect, waking the holder process for its accept and "
     "sendmsg, and our recvmsg: the context switches between two "
     "processes dominate, although both run on one CPU here."),
    ("recovery", "floor:",
     "The least any restart of a server costs: the kill, the supervisor's "
     "wake-up in waitpid, fork, exec of a binary linked against libc "
     "only, and its first accept and write on the listening socket the "
     "supervisor holds (the client's connection waits in its backlog)."),
    ("recovery", "(etscounter start):",
     "The floor's kill, fork, exec and loading of libc, plus: etssup's "
     "bookkeeping before it forks (the reap, its state file written and "
     "renamed, a PROGRESS report) and its child's dropping of "
     "capabilities before exec, a few milliseconds; then etscounterd's "
     "start-up before its first accept, most of the rest under emulation "
     "(first touches of its larger binary, signal and socket set-up, "
     "/etc/localtime for its reports' time stamps, its NOTICE report), "
     "in which the reclaim itself (open, ATTACH, mmap) is under a "
     "millisecond; the count is one more NOTICE."),
    ("recovery", "--standby",
     "No fork or exec, hence below the floor of a restart: etssup, the "
     "heir, gives the table to the idle instance already running, which "
     "maps it and serves on the socket etssup holds; what remains is the "
     "wake-ups of etssup and the standby and the hand-off ioctls, while "
     "the fork and exec of the next standby, started right after the "
     "take-over, compete for the CPUs."),
    ("recovery", "Erlang",
     "A restart inside one running Erlang VM: spawning a process, a "
     "gen_server call by which etsmgr_srv gives the ETS table away, and "
     "the count cast and sys:get_state round trip; the operating system "
     "creates no process."),
    ("manager", "floor:",
     "The least any reload of a module costs: the rmmod and insmod "
     "programs (fork, exec, delete_module, reading the .ko and "
     "finit_module), run by the same Python tool as the row below; the "
     "module has no code to run."),
    ("manager", "etsmgr.ko",
     "The floor's rmmod and insmod, of a larger module that unregisters "
     "and registers its device and netlink family, then the inotify "
     "wake-up of etscounterd's waiting thread, a new session and one "
     "ADOPT ioctl; counts are answered from the mapping all along. That "
     "counting, which the floor does not run, weighs too: the client "
     "thread in the tool's Python process and etscounterd answering and "
     "logging every count share the two vCPUs (and the tool's "
     "interpreter) with rmmod and insmod."),
    ("manager", "Erlang",
     "etsmgr_sup restarts etsmgr_srv inside the running VM; etscounter_srv "
     "gets the EXIT, polls for the new server (etsmgr:wait4etsmgr/0 looks "
     "once a second, so a restart it just misses costs a second) and "
     "registers its table again with a gen_server call; its ETS table "
     "never left it."),
    ("counter-1core", "libetsmgr",
     "Per increment a key compared with the thread's last counter (or "
     "hashed and found in its bucket) and one 16-byte compare-and-swap "
     "of the record's word and value, no lock: the price of a counter "
     "any process may share and a kill at any instruction cannot "
     "corrupt."),
    ("counter-1core", "Erlang",
     "A hash lookup and an in-place add under the table's lock inside "
     "the Erlang VM; the table lives and dies with that VM."),
    ("counter-1core", "not pipelined",
     "One loopback TCP round trip per INCR, the client and the "
     "single-threaded server taking turns on one core: two context "
     "switches and the TCP stack per increment."),
    ("counter-1core", "pipelined (-P 64)",
     "64 requests per round trip amortise the network and the context "
     "switches; Redis's parsing, dispatch and reply per INCR remain."),
    ("counter-2core", "libetsmgr",
     "Two threads on one counter take turns on its cache line: every "
     "compare-and-swap moves the line to the other core, and one that "
     "lost the race reads the record again and retries."),
    ("counter-2core", "Erlang",
     "Two schedulers updating one key take turns on its lock, whose "
     "cache line bounces between the cores (write_concurrency does not "
     "split a single key)."),
    ("counter-2core", "not pipelined",
     "One round trip per INCR with the server on the other CPU: every "
     "request and every reply wakes an idle vCPU, which under emulation "
     "on a busy host costs far more than on hardware; the single-threaded "
     "server serialises the two clients."),
    ("counter-2core", "pipelined (-P 64)",
     "The same cross-CPU wake-ups, once per 64 requests, and the "
     "server's single thread parsing and answering every INCR: Redis "
     "cannot use the second core for one key."),
]


# The native section: (group, what its rows run).
NATIVE_GROUPS = [
    ("native-1", "1"),
    ("native-2one", "2, one key"),
    ("native-2distinct", "2, distinct keys"),
]
NATIVE_TITLE = "Native (host, no VM): counter increments per second"

# One sentence per kind of native row: (a piece of the label, the sentence).
NATIVE_LIMITS = [
    ("floor:",
     "One locked add on a word of a memfd mapped MAP_SHARED: what any "
     "shared counter costs at least; on one word from two cores, the "
     "cache line moves between them at every add."),
    ("etsmgr_set_update_counter",
     "The key's hash and lookup in the set (a thread remembers its last "
     "counter, so a repeated key is checked, not searched), then one "
     "16-byte compare-and-swap of the record's incarnation and value; no "
     "lock."),
    ("etsmgr_counter_add",
     "The record found once (etsmgr_set_counter_ref); per add, one "
     "16-byte compare-and-swap of incarnation and value (lock cmpxchg16b), "
     "retried when another adder raced it."),
    ("ets:update_counter",
     "A hash lookup and an in-place add under the bucket's lock inside "
     "the Erlang VM; write_concurrency spreads keys over locks, but one "
     "key still serialises on its lock."),
    ("counters:new(N, [atomics])",
     "One atomic add on a word of the counters array, plus the BIF call; "
     "on one index from two schedulers, the cache line bounces."),
    ("counters:new(N, [write_concurrency])",
     "A word per scheduler for every index, summed by counters:get: adds "
     "never contend, even on one index, and reads cost more."),
    ("not pipelined",
     "One loopback TCP round trip per INCR: the client's send and "
     "receive, the server's wake-up on the other CPU, parsing and reply."),
    ("pipelined (-P 64)",
     "64 requests per round trip amortise the network and the wake-ups; "
     "the single-threaded server's parsing, dispatch and reply per INCR "
     "remain."),
]


def percentile(values, p):
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def merge(path):
    order, groups = [], {}
    with open(path) as f:
        for line in f:
            if not line.startswith("SAMPLE|"):
                continue
            parts = line.rstrip("\n").split("|")
            if len(parts) != 6:
                sys.exit(f"report.py: bad sample: {line!r}")
            _, group, role, label, unit, value = parts
            key = (group, role, label, unit)
            if unit != "ops/s":
                sys.exit(f"report.py: only rates are merged, not {unit}")
            if key not in groups:
                order.append(key)
                groups[key] = []
            groups[key].append(float(value))
    for key in order:
        group, role, label, unit = key
        v = groups[key]
        print(f"ROW|{group}|{role}|{label}|{unit}|{len(v)}|"
              f"{median(v):.0f}|{percentile(v, 1):.0f}")


def fmt(value, unit):
    if value == "-":
        return "–"
    v = float(value)
    if unit == "ops/s":
        return f"{v:,.0f}"
    if unit == "B":
        return f"{v:,.0f} B"
    if v >= 100:
        return f"{v:,.0f} {unit}"
    if v >= 10:
        return f"{v:.1f} {unit}"
    return f"{v:.2f} {unit}"


def fmt_ratio(x):
    return f"{x:.2f}" if x >= 0.1 else f"{x:.2g}"


def markdown(meta_path, rows_path, notes_path):
    meta = {}
    with open(meta_path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            meta[key] = value
    rows = []
    with open(rows_path) as f:
        for line in f:
            if not line.startswith("ROW|"):
                continue
            parts = line.rstrip("\n").split("|")
            if len(parts) != 8:
                sys.exit(f"report.py: bad row: {line!r}")
            _, group, role, label, unit, n, med, p99 = parts
            rows.append(dict(group=group, role=role, label=label, unit=unit,
                             n=int(n), median=med, p99=p99))
    with open(notes_path) as f:
        notes = [line.strip() for line in f if line.strip()]

    vm = "kernel" in meta
    native = "native_host" in meta
    out = []
    out.append("# etsmgr benchmarks (`make bench`)")
    out.append("")
    if native:
        out.append(f"* Native rows (host, no VM): {meta.get('native_date', '?')}; "
                   f"{meta['native_host']}; Erlang {meta.get('native_erlang', '?')}; "
                   f"{meta.get('native_redis', '?')}")
    if vm:
        out.append(f"* VM rows, date: {meta.get('date', '?')}")
        out.append(f"* Kernel: {meta.get('kernel', '?')}")
        out.append(f"* Machine: {meta.get('guest', '?')}; host: {meta.get('host', '?')}")
        out.append(f"* Accelerator (scripts/vm-run): {meta.get('accel_why', '?')}")
        out.append(f"* Peers: Erlang {meta.get('erlang', '?')}; {meta.get('redis', '?')}")
    if meta.get("quick") == "1" or meta.get("native_quick") == "1":
        out.append("* **BENCH_QUICK=1: tiny iteration counts, a smoke test; these figures mean nothing.**")
    out.append("")
    if native:
        out.append(f"The section \"{NATIVE_TITLE}\" ran on the host itself, "
                   "not in the QEMU guest" +
                   (", just before the VM booted" if vm else "") +
                   ": those rows, and only those, are **native**; their ratios "
                   "are those of the host's CPU. Every other section is "
                   "measured in the VM" +
                   (" (emulated, QEMU TCG)" if vm and meta.get("accel") != "kvm" else "") +
                   ".")
        out.append("")
    if not vm:
        out.extend(native_section(rows))
        print("\n".join(out))
        return
    out.append("All VM rows ran side by side in one VM boot. Times: median and 99th "
               "percentile (nearest rank) over n samples. Rates: median over n "
               "runs, and as \"p99\" the rate of the slowest 1 % of runs (with "
               "few runs, the slowest). Ratio = median / the median of the "
               "section's first row (the base): for times above 1 is slower "
               "than the base, for rates above 1 is faster. " +
               ("The guest runs under KVM on a host shared with other work: "
                "figures are close to real hardware's, but noisy; compare the "
                "ratios."
                if meta.get("accel") == "kvm" else
                "The guest is emulated (QEMU TCG) on a host shared with other "
                "work: absolute figures are many times those of real hardware "
                "and noisy; compare the ratios."))
    out.append("")
    known = {s[0] for s in SECTIONS} | {g for g, _ in NATIVE_GROUPS}
    for group in sorted({r["group"] for r in rows} - known):
        sys.exit(f"report.py: unknown group {group}")
    if native:
        out.extend(native_section(rows))
    # Where the VM's counter rows ran: they are not native.
    vm_label = ("in the VM (QEMU KVM)" if meta.get("accel") == "kvm"
                else "emulated (QEMU TCG)")
    for group, title, base_name, limit in SECTIONS:
        grows = [r for r in rows if r["group"] == group]
        if not grows:
            continue
        base = next((r for r in grows if r["role"] == "base"), grows[0])
        if group.startswith("counter-"):
            title = f"{title}: {vm_label}"
        out.append(f"## {title}")
        out.append("")
        out.append(f"| figure | n | median | p99 | ratio (vs {base_name}) |")
        out.append("|---|--:|--:|--:|--:|")
        for r in grows:
            b = float(base["median"])
            ratio = fmt_ratio(float(r["median"]) / b) if b else "–"
            out.append(f"| {r['label']} | {r['n']} | {fmt(r['median'], r['unit'])} | "
                       f"{fmt(r['p99'], r['unit'])} | {ratio} |")
        out.append("")
        if limit:
            out.append(f"What limits these figures: {limit}")
        else:
            out.append("What limits each figure:")
            out.append("")
            for r in grows:
                sentence = next((t for g, piece, t in LIMITS
                                 if g == group and piece in r["label"]), None)
                if sentence is None:
                    sys.exit(f"report.py: no sentence for {r['label']!r}")
                out.append(f"* {r['label']}: {sentence}")
        out.append("")
    if notes:
        out.append("## Notes from the run")
        out.append("")
        for n in notes:
            out.append(f"* {n}")
        out.append("")
    print("\n".join(out))


def native_section(rows):
    """The native section's table and its goals, as markdown lines."""
    out = [f"## {NATIVE_TITLE}", ""]
    groups = {g: [r for r in rows if r["group"] == g] for g, _ in NATIVE_GROUPS}
    if not any(groups.values()):
        return []

    def ref(group, role):
        return next((r for r in groups[group] if r["role"] == role), None)

    def ratio(r, b):
        if b is None or not float(b["median"]):
            return "–"
        return fmt_ratio(float(r["median"]) / float(b["median"]))

    out.append("Ratios: this row's median over the floor's (a plain atomic add "
               "on the same memory, the same thread count) and over ETS's "
               "(ets:update_counter, the same process count and key pattern). "
               "Threads and Erlang schedulers are pinned to CPUs 0 and 1.")
    out.append("")
    out.append("| figure | threads | n | median | p99 | vs floor | vs ETS |")
    out.append("|---|---|--:|--:|--:|--:|--:|")
    for group, threads in NATIVE_GROUPS:
        floor, ets = ref(group, "floor"), ref(group, "ets")
        for r in groups[group]:
            out.append(f"| {r['label']} | {threads} | {r['n']} | "
                       f"{fmt(r['median'], r['unit'])} | {fmt(r['p99'], r['unit'])} | "
                       f"{ratio(r, floor)} | {ratio(r, ets)} |")
    out.append("")
    out.append("What limits each figure:")
    out.append("")
    for piece, sentence in NATIVE_LIMITS:
        if any(piece in r["label"] for g in groups.values() for r in g):
            out.append(f"* {piece.rstrip(':')}: {sentence}")
    out.append("")

    def find(group, prefix):
        return [r for r in groups[group] if r["label"].startswith(prefix)]

    def one(group, prefix):
        found = find(group, prefix)
        return found[0] if found else None

    keyed, handle = "libetsmgr etsmgr_set_update_counter", "libetsmgr etsmgr_counter_add"
    counters = find("native-1", "Erlang counters:add")
    best_counters = max(counters, key=lambda r: float(r["median"])) if counters else None
    goals = [
        ("keyed etsmgr_set_update_counter, 1 thread >= 3x ets:update_counter, 1 process",
         one("native-1", keyed), ref("native-1", "ets"), 3),
        ("counter handle etsmgr_counter_add, 1 thread >= 2x counters:add, 1 process "
         "(the faster of atomics and write_concurrency)",
         one("native-1", handle), best_counters, 2),
        ("counter handle etsmgr_counter_add, 1 thread within 2x of the plain atomic "
         "add (>= 0.5x the floor)",
         one("native-1", handle), ref("native-1", "floor"), 0.5),
        ("keyed etsmgr_set_update_counter, 2 threads on distinct keys >= 1.7x 1 thread",
         one("native-2distinct", keyed), one("native-1", keyed), 1.7),
        ("counter handle, 2 threads on distinct keys >= 1.7x 1 thread",
         one("native-2distinct", handle), one("native-1", handle), 1.7),
        ("keyed etsmgr_set_update_counter, 2 threads on one hot key >= 3x "
         "ets:update_counter, 2 processes on one key",
         one("native-2one", keyed), ref("native-2one", "ets"), 3),
        ("counter handle, 2 threads on one hot key >= 3x ets:update_counter, "
         "2 processes on one key",
         one("native-2one", handle), ref("native-2one", "ets"), 3),
    ]
    out.append("Goals (native rows of this run):")
    out.append("")
    for text, row, against, target in goals:
        if row is None or against is None or not float(against["median"]):
            out.append(f"* {text}: not measured (a row is missing)")
            continue
        x = float(row["median"]) / float(against["median"])
        out.append(f"* {text}: {fmt_ratio(x)}x, "
                   f"{'**met**' if x >= target else '**missed**'}")
    out.append("")
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--merge":
        merge(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "--markdown":
        markdown(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
