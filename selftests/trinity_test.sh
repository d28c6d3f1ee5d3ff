#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian's trinity against /dev/etsmgr, run by selftests/run-all in the VM
# (root, module loaded). trinity runs as uid 65534 with /dev/etsmgr as
# its only victim file (its "pseudo" fd provider opens it: sessions; the
# providers it cannot turn off add inotify and shm fds) and fuzzes ioctl,
# mmap, poll and close for a bounded time (not read: read of an inotify
# fd blocks until trinity's watchdog kills the child).
# A kernel splat fails the VM run itself (scripts/vm-run exits 120);
# this script checks that trinity ran, and that afterwards no session is
# left and no table is owned by anyone.
#
# trinity is slow under TCG (it forks again after almost every syscall),
# so it runs only on a kernel with fault injection (the debug kernel of
# make check-debug) or when ETSMGR_TRINITY_SECONDS is set; it is skipped
# elsewhere. ETSMGR_TRINITY_SECONDS (default 150) bounds the run,
# ETSMGR_TRINITY_SEED seeds it (default: from the clock; printed).
# Install it with `scripts/deps trinity` on the host before the VM
# starts. TAP output; the whole file is skipped (exit 4) when something
# it needs is missing.
set -uo pipefail

stats=/sys/kernel/debug/etsmgr/stats
nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 4
fi
if [ ! -c /dev/etsmgr ] || [ ! -r $stats ]; then
	echo "1..0 # SKIP no /dev/etsmgr or $stats"
	exit 4
fi
if ! command -v trinity > /dev/null; then
	echo "1..0 # SKIP no trinity (scripts/deps trinity, on the host)"
	exit 4
fi
if [ -z "${ETSMGR_TRINITY_SECONDS:-}" ] && [ ! -e /proc/thread-self/fail-nth ]; then
	echo "1..0 # SKIP slow under TCG: runs on the debug kernel, or set ETSMGR_TRINITY_SECONDS"
	exit 4
fi
seconds=${ETSMGR_TRINITY_SECONDS:-150}
seed=${ETSMGR_TRINITY_SEED:-$(date +%s)}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trinity_test.XXXXXX")
chmod 777 "$tmp"
cleanup() {
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/tap.sh"

stat_of() { # KEY
	awk -v k="$1" '$1 == k { print $2 }' $stats
}

echo "1..3"
echo "# trinity: seed $seed, $seconds s (ETSMGR_TRINITY_SEED, ETSMGR_TRINITY_SECONDS)"
sessions0=$(stat_of sessions)
tables0=$(stat_of tables)
held0=$(stat_of held)

# timeout(1) puts trinity in a process group of its own and signals the
# whole group (trinity's children too) when the time is up.
(cd "$tmp" && exec timeout -k 20 "$seconds" "${nobody[@]}" trinity \
	-l off --disable-fds=sockets,pipes,perf,epoll,eventfd,timerfd,testfile,memfd,drm \
	-C 2 -s "$seed" -V /dev/etsmgr \
	-c ioctl -c mmap -c poll -c close -N 1000000) \
	> "$tmp/log" 2>&1
rc=$?
sed 's/^/# trinity: /' "$tmp/log" | tail -n 8

# Every syscall trinity makes is logged as "[childN:PID] [K] name(...".
grep -Eo '\[child[0-9]+:[0-9]+\] \[[0-9]+\] (\[32BIT\] )?[a-z0-9_]+\(' \
	"$tmp/log" | sed -E 's/.*[] ]([a-z0-9_]+)\($/\1/' | sort | uniq -c |
	sed 's/^/# trinity: calls: /'
calls=$(grep -Eo '\[child[0-9]+:[0-9]+\] \[[0-9]+\] ' "$tmp/log" | wc -l)
# 124: stopped by timeout(1), the normal end.
if { [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; } && [ "$calls" -gt 0 ] &&
   grep -q 'file fd:[0-9]* filename:/dev/etsmgr' "$tmp/log"; then
	ok "trinity ran for up to $seconds s on /dev/etsmgr (exit $rc, $calls syscalls)"
else
	not_ok "trinity ran on /dev/etsmgr" "exit status $rc, $calls syscalls"
fi

# Its sessions closed with its processes.
for _ in $(seq 50); do
	[ "$(stat_of sessions)" = "$sessions0" ] && break
	sleep 0.2
done
sessions=$(stat_of sessions)
if [ "$sessions" = "$sessions0" ]; then
	ok "no session left after trinity ($sessions)"
else
	not_ok "no session left after trinity" "sessions: $sessions0 before, $sessions after"
fi

# Whatever tables it may have made, their owner is gone: all held.
tables=$(stat_of tables)
held=$(stat_of held)
if [ $((tables - held)) -eq $((tables0 - held0)) ]; then
	ok "no table owned by a dead trinity process (tables $tables0 -> $tables, held $held0 -> $held)"
else
	not_ok "no table owned by a dead trinity process" "tables $tables0 -> $tables, held $held0 -> $held"
fi
[ "$failed" -eq 0 ]
