#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-side tests of etscounter and etscounterd (`make check` in
# userspace/etscounter): what works without the module -- usage, the
# messages and exit statuses of a client with no daemon or with a daemon
# that hangs up before it answers (a stand-in in python3), and a daemon
# that waits for /dev/etsmgr. Run against the ASan + UBSan build; the
# scenarios with the module are selftests/etscounter_test.sh, in the VM.
#
# Usage: tests/host_test.sh DIR   (DIR holds etscounter and etscounterd)
# TAP output; exit 1 if anything failed.
set -uo pipefail

bin=${1:?usage: host_test.sh DIR}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/etscounter_host.XXXXXX")
here=$(cd "$(dirname "$0")" && pwd)
daemon=
fake=
cleanup() {
	[ -n "$daemon" ] && kill -9 "$daemon" 2> /dev/null
	[ -n "$fake" ] && kill -9 "$fake" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
sock=$tmp/sock

# shellcheck source=../../tests/tap.sh
. "$(dirname "$0")/../../tests/tap.sh"

run() {
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	out=$(< "$tmp/out")
	err=$(< "$tmp/err")
}
shown() { printf 'status %s\nstdout: %s\nstderr: %s\n' "$rc" "$out" "$err"; }

for cmd in count check die stop; do
	run "$bin/etscounter" --socket "$sock" "$cmd"
	[ $rc -eq 1 ] && [ -z "$out" ] &&
		[ "$err" = "etscounter: $cmd: etscounterd is not running (connect $sock: No such file or directory)" ]
	result $? "$cmd with no daemon: exit 1 and a message" "$(shown)"
done

# A daemon that reads each request and hangs up without an answer: a
# count or die may or may not have been done, exit status 69
# (EX_UNAVAILABLE), never one of LSB's 1-7; a check is not counted
# twice, so it is exit 1, as any failure.
if command -v python3 > /dev/null; then
	python3 - "$sock" <<-'EOF' &
	import os, socket, sys
	path = sys.argv[1]
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.bind(path)
	s.listen(8)
	open(path + ".ready", "w").close()
	while True:
	    c, _ = s.accept()
	    data = b""
	    while not data.endswith(b"\n"):
	        chunk = c.recv(512)
	        if not chunk:
	            break
	        data += chunk
	    c.close()
	EOF
	fake=$!
	deadline=$((SECONDS + 10))
	until [ -e "$sock.ready" ] || ((SECONDS >= deadline)); do
		sleep 0.01
	done
	for cmd in count die; do
		run "$bin/etscounter" --socket "$sock" "$cmd"
		[ $rc -eq 69 ] && [ -z "$out" ] &&
			[[ $err =~ ^"etscounter: $cmd: etscounterd did not answer ("[^\)]+"); the $cmd may or may not have happened"$ ]]
		result $? "$cmd answered by nobody: exit 69 and a message" "$(shown)"
	done
	run "$bin/etscounter" --socket "$sock" check
	[ $rc -eq 1 ] && [ -z "$out" ] &&
		[[ $err =~ ^"etscounter: check: etscounterd did not answer ("[^\)]+")"$ ]]
	result $? "check answered by nobody: exit 1 and a message" "$(shown)"
	kill -9 "$fake"
	wait "$fake" 2> /dev/null
	fake=
	rm -f "$sock" "$sock.ready"
else
	for name in "count answered by nobody: exit 69" \
		    "die answered by nobody: exit 69" \
		    "check answered by nobody: exit 1"; do
		count=$((count + 1))
		echo "ok $count $name # SKIP no python3"
	done
fi

# --socket-group takes a group name or a gid, and fails early on others.
for prog in etscounterd etscounter; do
	args=(--socket-group no-such-group.etsmgr)
	[ $prog = etscounter ] && args+=(start)
	run "$bin/$prog" --socket "$sock" "${args[@]}"
	[ $rc -eq 2 ] && [ -z "$out" ] &&
		[[ $err == "$prog: unknown group no-such-group.etsmgr (--socket-group NAME or GID)"* ]]
	result $? "$prog --socket-group of no group: exit 2 and a message" "$(shown)"
	run "$bin/$prog" --help
	[ $rc -eq 0 ] && grep -q -- '--socket-group NAME|GID' <<< "$out"
	result $? "$prog --help tells of --socket-group" "$(shown)"
done

for args in "" "frobnicate" "count check" "--period 0 start" "--bogus"; do
	# shellcheck disable=SC2086 # split into words on purpose
	run "$bin/etscounter" $args
	[ $rc -eq 2 ] && [ -z "$out" ] && grep -q '^Usage: etscounter ' <<< "$err"
	result $? "etscounter $args: exit 2 and the usage" "$(shown)"
done
for args in "extra" "--table bad/name" "--bogus"; do
	# shellcheck disable=SC2086
	run "$bin/etscounterd" $args
	[ $rc -eq 2 ] && [ -z "$out" ] && [ -n "$err" ]
	result $? "etscounterd $args: exit 2" "$(shown)"
done
for prog in etscounter etscounterd; do
	run "$bin/$prog" --help
	[ $rc -eq 0 ] && [[ $out == "Usage: $prog "* ]] && [ -z "$err" ]
	result $? "$prog --help: exit 0, usage on stdout" "$(shown)"
done

if [ -e /dev/etsmgr ]; then
	echo "ok $((count + 1)) etscounterd waits for /dev/etsmgr # SKIP /dev/etsmgr exists here"
	count=$((count + 1))
else
	# A notification socket of the test's own, as systemd's would be:
	# no READY=1 (nor anything else) while the daemon has no table.
	"$here/../../tests/notify-listener" "$tmp/notify" "$tmp/nlog" &
	listener=$!
	until [ -S "$tmp/notify" ]; do sleep 0.01; done
	NOTIFY_SOCKET=$tmp/notify "$bin/etscounterd" --socket "$sock" 2> "$tmp/log" &
	daemon=$!
	want="etscounter_srv: waiting for etsmgr to start (/dev/etsmgr: No such file or directory)."
	deadline=$((SECONDS + 10))
	until grep -Fxq "$want" "$tmp/log" || ((SECONDS >= deadline)); do
		sleep 0.01
	done
	grep -Eq '^=NOTICE REPORT==== [0-9]{2}-[A-Z][a-z]{2}-[0-9]{4}::[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ===$' "$tmp/log" &&
		grep -Fxq "$want" "$tmp/log" && kill -0 "$daemon" && [ ! -e "$sock" ]
	result $? "etscounterd without the module: NOTICE REPORT, waits, no socket yet" "$(cat "$tmp/log")"
	sleep 0.3
	[ ! -s "$tmp/nlog" ]
	result $? "etscounterd waiting for the module: no READY=1, nothing on NOTIFY_SOCKET" "$(cat "$tmp/nlog")"
	kill "$listener"
	wait "$listener" 2> /dev/null
	kill -TERM "$daemon"
	wait "$daemon"
	rc=$?
	daemon=
	[ $rc -eq $((128 + 15)) ]
	result $? "etscounterd ends on SIGTERM while it waits" "status $rc"
fi

# Under journald (JOURNAL_STREAM names its stderr) a report is one entry
# with its priority and fields; journal.py plays journald in a mount
# namespace whose /run is a tmpfs of its own.
if [ -e /dev/etsmgr ] || [ "$(id -u)" != 0 ] || ! command -v unshare > /dev/null; then
	echo "ok $((count + 1)) etscounterd under journald # SKIP needs root, unshare(1) and no /dev/etsmgr"
	count=$((count + 1))
else
	unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /run && exec "$@"' sh \
		python3 "$here/../../supervisor/tests/journal.py" --out "$tmp/journal" \
		--stderr "$tmp/jerr" -- timeout -s TERM 1 \
		"$bin/etscounterd" --table jtest --socket "$sock.j"
	python3 - "$tmp/journal" <<-'EOF'
	import json, sys
	entries = [json.loads(line) for line in open(sys.argv[1])]
	e = entries[0]
	assert e["SYSLOG_IDENTIFIER"] == "etscounterd", e
	assert e["PRIORITY"] == "5" and e["ETSCOUNTER_REPORT"] == "NOTICE", e
	assert e["ETSMGR_TABLE"] == "jtest" and "ETSMGR_ID" not in e, e
	assert e["MESSAGE"].startswith("=NOTICE REPORT==== "), e
	assert e["MESSAGE"].endswith("etscounter_srv: waiting for etsmgr to start "
	                             "(/dev/etsmgr: No such file or directory)."), e
	EOF
	[ $? -eq 0 ] && ! grep -q REPORT "$tmp/jerr"
	result $? "etscounterd under journald: one entry per report, priority, ETSMGR_TABLE" \
		"$(cat "$tmp/journal" "$tmp/jerr")"
fi

echo "1..$count"
[ $failed -eq 0 ]
