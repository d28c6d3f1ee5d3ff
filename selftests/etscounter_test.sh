#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# etscounter, etscounterd and etssup end to end, run by selftests/run-all
# in the VM (root, module loaded): the seed's scenarios with their exact
# numbers, messages, log reports and exit statuses; the table deleted by
# stop and kept by SIGTERM (of the daemon, of etssup, a one_for_all
# restart, an escalation); the socket's mode and group, and stop and die
# refused to other uids; pipelined requests; a kill storm (counts never
# lost, never doubled, never backwards);
# recovery time after SIGKILL; the manager restarted (drain, rmmod,
# insmod) under a running counter; the daemon waiting for the module;
# socket activation; and `start` loading the module. TAP output; the
# whole file is skipped (exit 4) when not root or without /dev/etsmgr.
#
# ETSCOUNTER_DIR=path tests other etscounter/etscounterd binaries, such
# as the sanitized ones of `make -C userspace/etscounter check`
# (userspace/etscounter/build/check).
#
# The supervisor's name (etscounter) and the table's (etscounter) are the
# fixed ones of `etscounter start`, so nothing else may use them while
# this runs; the socket and the log are this run's own.
#
# Checks read `A && B || { show; return 1; }`: fail when any part fails.
# shellcheck disable=SC2015
set -uo pipefail

dir=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
root=$(cd "$dir/.." && pwd)
bin=${ETSCOUNTER_DIR:-$root/userspace/etscounter}
export PATH="$bin:$root/userspace/etsmgrctl:$root/userspace/supervisor:$PATH"
tool=$dir/etscounter_tool.py
nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
pidfile=/run/etssup/etscounter.pid

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/tap.sh"
need_root_and_module
for f in "$bin/etscounter" "$bin/etscounterd" \
	 "$root/userspace/etsmgrctl/etsmgrctl" \
	 "$root/userspace/supervisor/etssup"; do
	if [ ! -x "$f" ]; then
		echo "not ok 1 etscounter, etscounterd, etsmgrctl and etssup are built ($f)"
		echo "1..1"
		exit 1
	fi
done
python=$(command -v python3 || true)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/etscounter_test.XXXXXX")
sock=$tmp/etscounter.sock
log=$tmp/etscounter.log
touch "$log"

# The .ko the running module came from, to load it again after an rmmod:
# the one scripts/vm-run loaded, else as selftests/etsmgr_util.h's
# ets_find_loaded_ko() picks it.
ko=${ETSMGR_KO:-}
srcversion=$(cat /sys/module/etsmgr/srcversion 2> /dev/null)
for f in "$root/module/etsmgr.ko" "$root/module/debug/etsmgr.ko"; do
	if [ -z "$ko" ] && [ -n "$srcversion" ] && [ -f "$f" ] &&
	   grep -qaF "srcversion=$srcversion" "$f"; then
		ko=$f
	fi
done
[ -z "$ko" ] && [ -z "$srcversion" ] && ko=$root/module/etsmgr.ko

standalone=()	# pids of etscounterd run without etssup

ofa_sup=	# the etssup of the one_for_all test, while it runs

cleanup() {
	local pid

	[ -n "$ofa_sup" ] && kill -TERM "$ofa_sup" 2> /dev/null &&
		wait "$ofa_sup" 2> /dev/null
	[ -n "${nlistener:-}" ] && kill "$nlistener" 2> /dev/null
	etscounter --socket "$sock" stop > /dev/null 2>&1
	for pid in "${standalone[@]}"; do
		kill -9 "$pid" 2> /dev/null
		wait "$pid" 2> /dev/null
	done
	[ -c /dev/etsmgr ] || insmod "$ko" 2> /dev/null
	etsmgrctl delete etscounter > /dev/null 2>&1
	etsmgrctl delete --uid 65534 etscounter > /dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# ------------------------------------------------------------------ TAP

# uid 65534 runs a copy it can reach wherever the checkout is.
nobody_etscounter=$(reachable "$bin/etscounter") &&
	nobody_tool=$(reachable "$dir/ets-tool") &&
	nobody_py=$(reachable "$tool") || {
	echo "not ok 1 copies of etscounter and ets-tool for uid 65534"
	echo "1..1"
	exit 1
}

# etscounter with this run's socket and log.
ec() {
	run etscounter --socket "$sock" --log "$log" "$@"
}

# The log from the last mark() on: what the latest steps reported.
mark() {
	log_mark=$(stat -c %s "$log")
}
since_mark() {
	tail -c +$((log_mark + 1)) "$log"
}

# Wait up to 20 s for the log, since the mark, to match an extended regex
# (whole lines; -z so a regex may span a report's two lines).
wait_for_report() { # REGEX
	local deadline=$((SECONDS + 20))
	while ((SECONDS < deadline)); do
		since_mark | grep -Ezq -- "$1" && return 0
		sleep 0.01
	done
	printf 'timed out waiting for /%s/ in the log since the mark:\n' "$1"
	since_mark
	return 1
}

# The log since the mark has (within 5 s: the report may reach the log
# after the client's answer, through etssup's pipe) a report of KIND
# whose message is MESSAGE.
has_report() { # KIND MESSAGE
	local deadline=$((SECONDS + 5))
	while :; do
		since_mark | grep -Fx -B1 -- "etscounter_srv: $2" |
			grep -Eq "^=$1 REPORT==== [0-9]{2}-[A-Z][a-z]{2}-[0-9]{4}::[0-9:]{8}\.[0-9]{6} ===$" &&
			return 0
		((SECONDS < deadline)) || break
		sleep 0.05
	done
	printf 'no %s REPORT "etscounter_srv: %s" in the log since the mark:\n' "$1" "$2"
	since_mark
	return 1
}

# As has_report, with an extended regex for the message.
has_report_re() { # KIND REGEX
	local deadline=$((SECONDS + 5))
	while :; do
		since_mark | grep -Ex -B1 -- "etscounter_srv: $2" |
			grep -Eq "^=$1 REPORT==== [0-9]{2}-[A-Z][a-z]{2}-[0-9]{4}::[0-9:]{8}\.[0-9]{6} ===$" &&
			return 0
		((SECONDS < deadline)) || break
		sleep 0.05
	done
	printf 'no %s REPORT /etscounter_srv: %s/ in the log since the mark:\n' "$1" "$2"
	since_mark
	return 1
}

# Wait up to 20 s for a daemon to answer on the socket (one run without
# etssup: its report comes just before it listens).
wait_serving() {
	local deadline=$((SECONDS + 20))
	until [ "$("$python" "$tool" request "$sock" ping 2> /dev/null)" = ok ]; do
		((SECONDS < deadline)) ||
			{ echo "nobody answers on $sock"; return 1; }
		sleep 0.02
	done
}

# The pid of the one running etscounterd, or nothing.
daemon_pid() {
	local pids
	pids=$(pgrep -x etscounterd)
	[ "$(wc -w <<< "$pids")" -eq 1 ] && echo "$pids"
}

# Wait up to 20 s for PID to end; its status in $rc (if our child).
wait_for_exit() { # PID
	local deadline=$((SECONDS + 20))
	while ((SECONDS < deadline)); do
		if ! kill -0 "$1" 2> /dev/null; then
			wait "$1" 2> /dev/null
			rc=$?
			return 0
		fi
		sleep 0.01
	done
	echo "process $1 did not end"
	return 1
}

# The `etsmgrctl -j info` object of table etscounter, as KEY=VALUE lines.
table_fields() {
	etsmgrctl -j info | "$python" -c '
import json, sys
for t in json.load(sys.stdin):
    if t["name"] == "etscounter":
        for k, v in t.items():
            print(f"{k}={v}")'
}

field() { # KEY (of table_fields output in $fields)
	sed -n "s/^$1=//p" <<< "$fields"
}

table_absent() {
	run etsmgrctl -j info
	[ $rc -eq 0 ] && ! grep -q '"name": *"etscounter"' <<< "$out" ||
		{ echo "table etscounter still listed:"; show; return 1; }
}

# Table etscounter is listed, held by the manager (nobody owns it).
table_held() {
	local fields
	fields=$(table_fields)
	expect "state of table etscounter" held "$(field state)"
}

# The socket's mode and group, "660 0".
socket_mode() { # PATH
	stat -c '%a %g' "$1"
}

# "Table: ID, Data [{count,N}]." -> "ID N"
parse_check() {
	sed -nE 's/^Table: ([0-9]+), Data \[\{count,([0-9]+)\}\]\.$/\1 \2/p' <<< "$1"
}

# Unload the module if it can go (no session, no table): 0, or 1.
unload_module() {
	rmmod etsmgr 2> /dev/null && [ ! -e /dev/etsmgr ]
}

# ----------------------------------------------------- not running yet

test_not_running() { # COMMAND
	ec "$1"
	[ $rc -eq 1 ] && [ -z "$out" ] &&
		[[ $err =~ ^"etscounter: $1: etscounterd is not running (connect $sock: "(Connection refused|No such file or directory)")"$ ]] ||
		{ show; return 1; }
}

# uid 65534 leaves a public table named etscounter held before root
# starts the counter: names are per user, so root's daemon creates its
# own table (uid 0 in the report), counts in it, and the squatter's table
# is still there, its own, untouched.
test_squatter_neither_blocks_nor_feeds() {
	local line squat_id id
	line=$("${nobody[@]}" "$nobody_tool" create-exit etscounter 65536 public 2>&1) ||
		{ echo "ets-tool create-exit as uid 65534: $line"; return 1; }
	squat_id=$(sed -nE 's/^id ([0-9]+) .*/\1/p' <<< "$line")
	[ -n "$squat_id" ] || { echo "no id in: $line"; return 1; }
	mark
	ec start
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_report "etscounter_srv: got a table [0-9]+ from etsmgr, created\.
    table etscounter, uid 0, generation 1
" || return 1
	id=$(since_mark | sed -nE 's/^etscounter_srv: got a table ([0-9]+) from etsmgr, created\.$/\1/p')
	[ -n "$id" ] && [ "$id" != "$squat_id" ] ||
		{ echo "root's table $id, the squatter's $squat_id"; return 1; }
	ec count
	[ $rc -eq 0 ] && [ "$out" = "Counter 1." ] || { show; return 1; }
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	# The squatter's table: still its own (reclaimed, generation 2).
	line=$("${nobody[@]}" "$nobody_tool" reclaim-delete etscounter 2>&1) &&
		[[ $line == "id $squat_id result reclaimed generation 2 "* ]] ||
		{ echo "uid 65534's own table: $line"; return 1; }
}

# A table of root named etscounter that holds someone's bytes, no record
# set: etscounterd reclaims it but never formats it (a wipe), it stops
# with an ERROR REPORT that says so, and the bytes are still there.
test_foreign_table_not_wiped() {
	local line
	line=$("$dir/ets-tool" fill-exit etscounter 65536 2>&1) ||
		{ echo "ets-tool fill-exit: $line"; return 1; }
	mark
	start_standalone
	wait_for_report "etscounter_srv: table [0-9]+ holds no record set: not formatting a table this daemon did not create" ||
		return 1
	# Still held, bytes and all: dump finds no record set in it.
	run etsmgrctl dump etscounter
	[ $rc -eq 1 ] && [[ $err == *"No data available"* ]] ||
		{ show; return 1; }
	etsmgrctl delete etscounter
}

test_usage() {
	local args
	for args in "" "frobnicate" "count check" "--intensity x start" \
		    "--bogus count"; do
		# shellcheck disable=SC2086 # split into words on purpose
		run etscounter $args
		if [ $rc -ne 2 ] || [ -n "$out" ] ||
		   ! grep -q '^Usage: etscounter' <<< "$err"; then
			echo "etscounter $args:"
			show
			return 1
		fi
	done
	run etscounter --help
	[ $rc -eq 0 ] && [[ $out == "Usage: etscounter"* ]] && [ -z "$err" ] ||
		{ show; return 1; }
	run etscounterd --help
	[ $rc -eq 0 ] && [[ $out == "Usage: etscounterd"* ]] && [ -z "$err" ] ||
		{ show; return 1; }
}

# ------------------------------------------------- the seed, first part

test_start() {
	mark
	ec start
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	table_id=$(since_mark | sed -nE 's/^etscounter_srv: got a table ([0-9]+) from etsmgr, created\.$/\1/p')
	[ -n "$table_id" ] || { echo "no creation report:"; since_mark; return 1; }
	has_report NOTICE "got a table $table_id from etsmgr, created." &&
		since_mark | grep -q "^=PROGRESS REPORT" &&
		since_mark | grep -Fxq "    supervisor: {local,etscounter}" &&
		since_mark | grep -Eq "^    started: \[\{pid,[0-9]+\},$" ||
		{ since_mark; return 1; }
	first_pid=$(daemon_pid)
	[ -n "$first_pid" ] || { echo "not one etscounterd: $(pgrep -ax etscounterd)"; return 1; }
	echo "# table $table_id, etscounterd pid $first_pid" >&3
}

test_start_again() {
	ec start
	[ $rc -eq 0 ] && [ -z "$out" ] &&
		[[ $err =~ ^"etscounter: start: already running (etssup pid "[0-9]+")"$ ]] ||
		{ show; return 1; }
}

test_table_listed() {
	local fields
	fields=$(table_fields)
	expect id "$table_id" "$(field id)" &&
		expect owner_pid "$1" "$(field owner_pid)" &&
		expect state owned "$(field state)" &&
		expect access protected "$(field access)" &&
		expect size 65536 "$(field size)" &&
		expect generation "$2" "$(field generation)"
}

test_check() { # N
	mark
	ec check
	expect "check" "Table: $table_id, Data [{count,$1}]." "$out" &&
		[ $rc -eq 0 ] && [ -z "$err" ] || { show; return 1; }
	has_report NOTICE "Table: $table_id, Data [{count,$1}]."
}

test_counts() { # FROM TO
	local n
	for ((n = $1; n <= $2; n++)); do
		mark
		ec count
		expect "count" "Counter $n." "$out" && [ $rc -eq 0 ] &&
			[ -z "$err" ] || { show; return 1; }
		has_report NOTICE "Counter $n." || return 1
	done
}

test_die() {
	local pid
	mark
	ec die
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	has_report NOTICE "about to die." || return 1
	# etssup restarts it, and the new one reclaims the same table.
	wait_for_report "etscounter_srv: got a table $table_id from etsmgr, reclaimed \(previous owner killed by signal 9\)\." ||
		return 1
	since_mark | grep -q "^=SUPERVISOR REPORT" &&
		since_mark | grep -Fxq "    errorContext: child_terminated" &&
		since_mark | grep -Fxq "    reason: killed" &&
		since_mark | grep -Fxq "    offender: [{pid,$first_pid}," ||
		{ echo "no SUPERVISOR REPORT of the kill:"; since_mark; return 1; }
	pid=$(daemon_pid)
	[ -n "$pid" ] && [ "$pid" != "$first_pid" ] ||
		{ echo "etscounterd pid after die: [$pid], before: $first_pid"; return 1; }
	second_pid=$pid
}

# die, then check at once: the check waits for the restarted daemon.
test_die_then_check() {
	local parsed
	ec die
	[ $rc -eq 0 ] || { show; return 1; }
	ec check
	parsed=$(parse_check "$out")
	expect "check right after die" "$table_id $1" "$parsed" || { show; return 1; }
}

test_bad_request() {
	run "$python" "$tool" request "$sock" "frobnicate"
	[ $rc -eq 0 ] &&
		expect answer 'error unknown request "frobnicate" (count, check, die, stop or ping)' "$out" ||
		{ show; return 1; }
}

# Requests pipelined in one write, answered although the answers fill
# the socket (the daemon's send would block), while another client that
# never reads holds nobody up.
test_pipeline() {
	run "$python" "$tool" pipeline "$sock" 100000
	grep '^#' <<< "$out" >&3
	[ $rc -eq 0 ] || { show; return 1; }
}

# The socket etssup holds for `etscounter start` (--listen): 0660, and
# uid 65534, in no group of it, cannot connect.
test_socket_mode_supervised() {
	expect "mode and group of $sock" "660 0" "$(socket_mode "$sock")" ||
		return 1
	run "${nobody[@]}" "$python" "$nobody_py" request "$sock" ping
	[ $rc -ne 0 ] && [[ $err == *"Permission denied"* ]] ||
		{ echo "uid 65534 connected:"; show; return 1; }
}

# --------------------------------------------------- storm and recovery

test_storm() {
	run "$python" "$tool" storm "$sock" 2000 25
	grep '^#' <<< "$out" >&3
	[ $rc -eq 0 ] || { show; return 1; }
	echo "# reports of writes repaired after a kill: $(grep -c 'repaired a write' "$log")" >&3
}

test_recovery() {
	run "$python" "$tool" recovery "$sock" 50
	grep '^#' <<< "$out" >&3
	[ $rc -eq 0 ] || { show; return 1; }
}

# -------------------------------------------------- the manager restart

test_manager_restart() {
	local before after fields gen
	ec check
	before=$(parse_check "$out")
	[ -n "$before" ] || { show; return 1; }
	gen=$(fields=$(table_fields); field generation)

	mark
	run etsmgrctl drain
	[ $rc -eq 0 ] || { show; return 1; }
	has_report WARNING "etsmgr has died, with Reason stopping." &&
		has_report NOTICE "waiting for etsmgr to restart." || return 1
	run rmmod etsmgr
	[ $rc -eq 0 ] || { show; return 1; }

	# No manager: the daemon serves from its mapping.
	ec count
	expect "count without a manager" "Counter $((${before#* } + 1))." "$out" ||
		{ show; return 1; }

	run insmod "$ko"
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_report "etscounter_srv: got a table $table_id from etsmgr, adopted\." ||
		return 1
	has_report NOTICE "got a table $table_id from etsmgr, adopted." || return 1
	fields=$(table_fields)
	expect "id after the reload" "$table_id" "$(field id)" &&
		expect "owner after the reload" "$(daemon_pid)" "$(field owner_pid)" &&
		expect "generation after the reload" "$((gen + 1))" "$(field generation)" ||
		return 1
	ec check
	after=$(parse_check "$out")
	expect "check after the reload" "$table_id $((${before#* } + 1))" "$after" ||
		{ show; return 1; }
	ec count
	expect "count after the reload" "Counter $((${before#* } + 2))." "$out" ||
		{ show; return 1; }
}

test_reload_cycles() {
	run "$python" "$tool" reloads "$sock" 20 "$ko" "$log"
	grep '^#' <<< "$out" >&3
	[ $rc -eq 0 ] || { show; return 1; }
}

# ------------------------------------- what keeps the table: SIGTERM

# SIGTERM to etssup (systemctl stop or restart) stops the daemon, which
# keeps its table; the next start reclaims it, count and all.
test_sigterm_supervisor_keeps_table() {
	local supervisor parsed
	mark
	ec start
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_report "etscounter_srv: got a table [0-9]+ from etsmgr, created\." ||
		return 1
	table_id=$(since_mark | sed -nE 's/^etscounter_srv: got a table ([0-9]+) from etsmgr, created\.$/\1/p')
	test_counts 1 2 || return 1
	supervisor=$(< "$pidfile")
	mark
	kill -TERM "$supervisor"
	wait_for_exit "$supervisor" || return 1
	has_report NOTICE "keeping table $table_id for the next etscounterd: Data [{count,2}]." &&
		has_report NOTICE "terminating" || return 1
	[ -z "$(pgrep -x etscounterd)" ] ||
		{ echo "etscounterd still runs: $(pgrep -ax etscounterd)"; return 1; }
	table_held || return 1
	mark
	ec start
	[ $rc -eq 0 ] || { show; return 1; }
	has_report NOTICE "got a table $table_id from etsmgr, reclaimed (previous owner closed its session)." ||
		return 1
	ec check
	parsed=$(parse_check "$out")
	expect "check after SIGTERM and start" "$table_id 2" "$parsed" ||
		{ show; return 1; }
	test_counts 3 3 || return 1
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	table_absent
}

# A sibling's crash under one_for_all stops the daemon with SIGTERM and
# starts it again: same table, same count. Its second crash is past the
# restart intensity: etssup stops the daemon (SIGTERM) and gives up, and
# the next `etscounter start` still finds the count.
test_one_for_all_and_escalation() {
	local conf=$tmp/ofa.conf parsed
	cat > "$conf" <<-EOF
	name = etscounter_ofa
	strategy = one_for_all
	intensity = 1
	period = 3600

	[child etscounterd]
	command = $bin/etscounterd --socket $sock

	[child crasher]
	command = /bin/sh -c 'while [ ! -e $tmp/crash ]; do sleep 0.02; done; rm -f $tmp/crash; exit 1'
	EOF
	mark
	etssup --config "$conf" 2>> "$log" &
	ofa_sup=$!
	wait_for_report "etscounter_srv: got a table [0-9]+ from etsmgr, created\." &&
		wait_serving || return 1
	table_id=$(since_mark | sed -nE 's/^etscounter_srv: got a table ([0-9]+) from etsmgr, created\.$/\1/p')
	test_counts 1 2 || return 1

	mark
	touch "$tmp/crash"
	wait_for_report "etscounter_srv: got a table $table_id from etsmgr, reclaimed \(previous owner closed its session\)\." &&
		wait_serving || return 1
	ec check
	parsed=$(parse_check "$out")
	expect "check after the one_for_all restart" "$table_id 2" "$parsed" ||
		{ show; return 1; }
	test_counts 3 3 || return 1

	mark
	touch "$tmp/crash"
	wait_for_exit "$ofa_sup" || return 1
	ofa_sup=
	expect "etssup's exit status after escalation" 1 "$rc" &&
		has_report NOTICE "keeping table $table_id for the next etscounterd: Data [{count,3}]." ||
		return 1
	since_mark | grep -q "reached_max_restart_intensity" ||
		{ echo "no escalation report:"; since_mark; return 1; }
	table_held || return 1

	mark
	ec start
	[ $rc -eq 0 ] || { show; return 1; }
	ec check
	parsed=$(parse_check "$out")
	expect "check after escalation and start" "$table_id 3" "$parsed" ||
		{ show; return 1; }
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	table_absent
}

# The same, and whatever it fails at, its etssup is gone after it.
test_one_for_all_then_clean() {
	local status
	test_one_for_all_and_escalation
	status=$?
	if [ -n "$ofa_sup" ]; then
		kill -TERM "$ofa_sup" 2> /dev/null
		wait "$ofa_sup" 2> /dev/null
		ofa_sup=
		etsmgrctl delete etscounter > /dev/null 2>&1
	fi
	return $status
}

# SIGKILLs past the restart intensity: etssup gives up, as OTP would;
# every answered count is in the table that the next start reclaims.
test_kill_storm_past_intensity() {
	local supervisor pid n parsed
	mark
	ec start --intensity 2 --period 3600
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_report "etscounter_srv: got a table [0-9]+ from etsmgr, created\." ||
		return 1
	table_id=$(since_mark | sed -nE 's/^etscounter_srv: got a table ([0-9]+) from etsmgr, created\.$/\1/p')
	supervisor=$(< "$pidfile")
	for n in 1 2 3; do
		ec count
		expect "count before kill $n" "Counter $n." "$out" ||
			{ show; return 1; }
		pid=$(daemon_pid)
		[ -n "$pid" ] || { echo "no etscounterd before kill $n"; return 1; }
		kill -KILL "$pid"
		wait_for_exit "$pid" || return 1
		# Wait for the restarted daemon, or for etssup to give up.
		[ $n -eq 3 ] && break
		until [ -n "$(daemon_pid)" ] && [ "$(daemon_pid)" != "$pid" ]; do
			kill -0 "$supervisor" 2> /dev/null ||
				{ echo "etssup gave up after $n kills"; return 1; }
			sleep 0.01
		done
	done
	wait_for_exit "$supervisor" || return 1
	table_held || return 1
	ec start
	[ $rc -eq 0 ] || { show; return 1; }
	ec check
	parsed=$(parse_check "$out")
	expect "check after the storm and start" "$table_id 3" "$parsed" ||
		{ show; return 1; }
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	table_absent
}

# `etscounter start --socket-group GID`: the socket etssup holds is 0660
# and of that group; uid 65534 in it counts, but may not stop (etssup
# runs on) nor kill the daemon.
test_start_socket_group() {
	local supervisor
	ec start --socket-group 65534
	[ $rc -eq 0 ] && [ -z "$err" ] || { show; return 1; }
	supervisor=$(< "$pidfile")
	expect "mode and group of $sock" "660 65534" "$(socket_mode "$sock")" ||
		return 1
	mark
	run "${nobody[@]}" "$nobody_etscounter" --socket "$sock" count
	[ $rc -eq 0 ] && [ "$out" = "Counter 1." ] || { show; return 1; }
	run "${nobody[@]}" "$nobody_etscounter" --socket "$sock" stop
	[ $rc -eq 1 ] && [ -z "$out" ] &&
		expect stderr "etscounter: stop: etscounterd: not allowed: uid 65534 may not stop the counter (only uid 0 may)" "$err" ||
		{ show; return 1; }
	has_report_re WARNING "refused stop from uid 65534 \(pid [0-9]+\): only uid 0 may stop or kill the counter\." ||
		return 1
	run "${nobody[@]}" "$nobody_etscounter" --socket "$sock" die
	[ $rc -eq 1 ] &&
		expect stderr "etscounter: die: etscounterd: not allowed: uid 65534 may not kill the counter (only uid 0 may)" "$err" ||
		{ show; return 1; }
	has_report_re WARNING "refused die from uid 65534 \(pid [0-9]+\): only uid 0 may stop or kill the counter\." ||
		return 1
	kill -0 "$supervisor" && [ -n "$(daemon_pid)" ] ||
		{ echo "the service stopped after uid 65534's stop or die"; return 1; }
	ec check
	[ "$(parse_check "$out")" != "" ] && [[ $out == *"{count,1}"* ]] ||
		{ show; return 1; }
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	table_absent
}

# ------------------------------------------------------------------ stop

test_stop() {
	local supervisor
	supervisor=$(< "$pidfile")
	mark
	ec stop
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	has_report NOTICE "terminating" || return 1
	! kill -0 "$supervisor" 2> /dev/null ||
		{ echo "etssup $supervisor still runs"; return 1; }
	[ -z "$(pgrep -x etscounterd)" ] ||
		{ echo "etscounterd still runs: $(pgrep -ax etscounterd)"; return 1; }
	[ ! -e "$sock" ] || { echo "$sock is left behind"; return 1; }
	[ -c /dev/etsmgr ] || { echo "stop unloaded the module"; return 1; }
	table_absent
}

test_stop_not_running() {
	ec stop
	[ $rc -eq 1 ] && [ -z "$out" ] &&
		[[ $err =~ ^"etscounter: stop: etscounterd is not running" ]] ||
		{ show; return 1; }
}

# ------------------------------------------------ without a supervisor

# Run etscounterd by itself, its reports in $log; its pid in $daemon.
start_standalone() {
	etscounterd --socket "$sock" 2>> "$log" &
	daemon=$!
	standalone+=("$daemon")
}

# Called with the module unloaded.
test_standalone_waits_for_module() {
	mark
	start_standalone
	wait_for_report "etscounter_srv: waiting for etsmgr to start \(/dev/etsmgr: No such file or directory\)\." ||
		return 1
	ec count
	[ $rc -eq 1 ] || { echo "answered before it had a table:"; show; return 1; }
	run insmod "$ko"
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_report "etscounter_srv: got a table [0-9]+ from etsmgr, created\." ||
		return 1
	ec count
	expect "count" "Counter 1." "$out" || { show; return 1; }
}

test_standalone_stop() {
	mark
	ec stop
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	wait_for_exit "$daemon" || return 1
	expect "etscounterd's exit status" 0 "$rc" &&
		has_report NOTICE "terminating" && table_absent
}

# SIGTERM: the daemon closes its session, so the table is kept, held
# for the next daemon, which reclaims it, count and all; the socket goes.
# Its socket was 0660, of the daemon's group.
test_standalone_sigterm() {
	local id parsed
	mark
	start_standalone
	wait_for_report "etscounter_srv: got a table [0-9]+ from etsmgr, created\." &&
		wait_serving || return 1
	id=$(since_mark | sed -nE 's/^etscounter_srv: got a table ([0-9]+) from etsmgr, created\.$/\1/p')
	expect "mode and group of $sock" "660 0" "$(socket_mode "$sock")" ||
		return 1
	ec count
	expect "count" "Counter 1." "$out" || { show; return 1; }
	ec count
	expect "count" "Counter 2." "$out" || { show; return 1; }
	kill -TERM "$daemon"
	wait_for_exit "$daemon" || return 1
	expect "exit status after SIGTERM" 0 "$rc" &&
		has_report NOTICE "keeping table $id for the next etscounterd: Data [{count,2}]." &&
		has_report NOTICE "terminating" && table_held || return 1
	[ ! -e "$sock" ] || { echo "$sock is left behind"; return 1; }
	mark
	start_standalone
	has_report NOTICE "got a table $id from etsmgr, reclaimed (previous owner closed its session)." &&
		wait_serving || return 1
	ec check
	parsed=$(parse_check "$out")
	expect "check after SIGTERM" "$id 2" "$parsed" || { show; return 1; }
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_exit "$daemon" || return 1
	table_absent
}

# --socket-group GID: the socket is 0660 and of that group; uid 65534,
# in it, may count and check but not stop or kill the daemon (an error
# answer, a WARNING report); root may.
test_standalone_socket_group() {
	mark
	etscounterd --socket "$sock" --socket-group 65534 2>> "$log" &
	daemon=$!
	standalone+=("$daemon")
	wait_for_report "etscounter_srv: got a table [0-9]+ from etsmgr, created\." &&
		wait_serving || return 1
	expect "mode and group of $sock" "660 65534" "$(socket_mode "$sock")" ||
		return 1
	run "${nobody[@]}" "$nobody_etscounter" --socket "$sock" count
	[ $rc -eq 0 ] && [ "$out" = "Counter 1." ] || { show; return 1; }
	run "${nobody[@]}" "$python" "$nobody_py" request "$sock" stop
	expect "answer to uid 65534's stop" "error not allowed: uid 65534 may not stop the counter (only uid 0 may)" "$out" ||
		{ show; return 1; }
	run "${nobody[@]}" "$python" "$nobody_py" request "$sock" die
	expect "answer to uid 65534's die" "error not allowed: uid 65534 may not kill the counter (only uid 0 may)" "$out" ||
		{ show; return 1; }
	has_report_re WARNING "refused stop from uid 65534 \(pid [0-9]+\): only uid 0 may stop or kill the counter\." &&
		has_report_re WARNING "refused die from uid 65534 \(pid [0-9]+\): only uid 0 may stop or kill the counter\." ||
		return 1
	kill -0 "$daemon" || { echo "etscounterd is gone"; return 1; }
	ec check
	[[ $out == *"{count,1}]." ]] || { show; return 1; }
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_exit "$daemon" || return 1
	expect "exit status after stop" 0 "$rc" && table_absent
}

# sd_notify(3) on a datagram socket of the test's own, as systemd's would
# be (userspace/tests/notify-listener, which logs "MS PID MESSAGE" and
# probes the daemon's socket at each datagram): READY=1 once the socket
# accepts, with the table's id and generation in STATUS=; WATCHDOG=1 at
# half WATCHDOG_USEC; STOPPING=1 at SIGTERM and at a stop request; no
# WATCHDOG=1 for a WATCHDOG_PID that is not the daemon's.
notify_listener=$root/userspace/tests/notify-listener
nlistener=
start_notify_listener() { # NAME
	nsock=$tmp/$1.notify
	nlog=$tmp/$1.nlog
	: > "$nlog"
	"$python" "$notify_listener" "$nsock" "$nlog" --probe-connect "$sock" &
	nlistener=$!
	local deadline=$((SECONDS + 20))
	until [ -S "$nsock" ]; do
		((SECONDS < deadline)) || { echo "no $nsock"; return 1; }
		sleep 0.01
	done
}
stop_notify_listener() {
	[ -n "$nlistener" ] && kill "$nlistener" 2> /dev/null && wait "$nlistener" 2> /dev/null
	nlistener=
}
# The messages of PID, without time and pid; without the probe too, at
# STOPPING=1, when the socket may already be gone (or not yet).
message_text() { sed 's/ connect=[A-Za-z]*$//'; }
messages_of() { awk -v p="$1" '$2 == p { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$nlog"; }
wait_message() { # PID REGEX
	local deadline=$((SECONDS + 20))
	until messages_of "$1" | grep -Eq -- "$2"; do
		((SECONDS < deadline)) ||
			{ echo "no message /$2/ from $1:"; cat "$nlog"; return 1; }
		sleep 0.01
	done
}

# The kicks of PID came every MS milliseconds: at least 6, the median gap
# at least 95 % of MS (a kick is never early; the median, because one
# receipt the listener was late for makes one gap short and the next
# long), on average within MS and 150 % of it (a little late on a loaded
# machine).
watchdog_kicks_every() { # MS PID
	local kicks median
	kicks=$(awk -v p="$2" '$2 == p && $3 == "WATCHDOG=1" { print $1 }' "$nlog")
	median=$(awk 'NR > 1 { print $1 - last } { last = $1 }' <<< "$kicks" |
		sort -n | awk '{ g[NR] = $1 } END { print NR ? g[int((NR + 1) / 2)] : 0 }')
	awk -v ms="$1" -v median="$median" 'NR == 1 { first = $1 } { last = $1 }
		END { mean = NR > 1 ? (last - first) / (NR - 1) : 0
		      printf "# %d kicks, %.0f ms apart on average, median %d (%d expected)\n", NR, mean, median, ms
		      exit !(NR >= 6 && median >= 0.95 * ms && mean >= 0.95 * ms && mean <= 1.5 * ms) }' <<< "$kicks" >&3 ||
		{ echo "kicks of $2: $kicks"; return 1; }
}

# After a failed notify test: nothing left to disturb the next tests.
notify_test_cleanup() { # STATUS
	local pid
	if [ "$1" -ne 0 ]; then
		for pid in "${standalone[@]}"; do
			pkill -9 -P "$pid"	# etssup's etscounterd
			kill -9 "$pid"
			wait "$pid"
		done 2> /dev/null
		etsmgrctl delete etscounter > /dev/null 2>&1
	fi
	stop_notify_listener
	return "$1"
}

test_standalone_notify() {
	standalone_notify_checks
	notify_test_cleanup $?
}

test_supervised_notify() {
	supervised_notify_checks
	notify_test_cleanup $?
}

standalone_notify_checks() {
	local id msgs
	start_notify_listener daemon || return 1
	mark
	NOTIFY_SOCKET=$nsock WATCHDOG_USEC=400000 etscounterd --socket "$sock" 2>> "$log" &
	daemon=$!
	standalone+=("$daemon")
	wait_message "$daemon" "^READY=1" || return 1
	id=$(since_mark | sed -nE 's/^etscounter_srv: got a table ([0-9]+) from etsmgr, created\.$/\1/p')
	msgs=$(messages_of "$daemon")
	[[ $(head -n 1 <<< "$msgs") =~ ^READY=1\|STATUS=serving\ table\ etscounter\ id\ $id\ generation\ [0-9]+\ on\ $sock\ connect=ok$ ]] ||
		{ echo "first message, table $id: $msgs"; return 1; }
	ec count
	expect "count" "Counter 1." "$out" || { show; return 1; }
	sleep 2.1
	watchdog_kicks_every 200 "$daemon" || return 1
	kill -TERM "$daemon"
	wait_for_exit "$daemon" || return 1
	expect "exit status after SIGTERM" 0 "$rc" || return 1
	expect "last message" "STOPPING=1|STATUS=stopping at signal 15: keeping table etscounter (id $id) for the next etscounterd" \
		"$(messages_of "$daemon" | tail -n 1 | message_text)" && table_held || return 1

	# Reclaimed; the watchdog is another process's: no kick.
	mark
	NOTIFY_SOCKET=$nsock WATCHDOG_PID=1 WATCHDOG_USEC=100000 etscounterd --socket "$sock" 2>> "$log" &
	daemon=$!
	standalone+=("$daemon")
	wait_message "$daemon" "^READY=1\|STATUS=serving table etscounter id $id generation [0-9]+ on $sock connect=ok$" ||
		return 1
	sleep 0.6
	! messages_of "$daemon" | grep -q WATCHDOG ||
		{ echo "kicks for pid 1's watchdog:"; cat "$nlog"; return 1; }
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_exit "$daemon" || return 1
	expect "message at stop" "STOPPING=1|STATUS=stopping: table etscounter (id $id) deleted by a stop request" \
		"$(messages_of "$daemon" | grep STOPPING | head -n 1 | message_text)" && table_absent
}

# Under etssup with --notify: the daemon's messages go to etssup, whose
# READY=1 comes once the daemon's socket accepts, with the daemon's
# status in its own; the daemon never writes to the test's socket.
supervised_notify_checks() {
	local sup child
	start_notify_listener sup || return 1
	mark
	NOTIFY_SOCKET=$nsock etssup --name etscounter-notify --state-dir "$tmp/state" \
		--id etscounterd --notify -- etscounterd --socket "$sock" 2>> "$log" &
	sup=$!
	standalone+=("$sup")
	wait_message "$sup" "^READY=1" || return 1
	child=$(daemon_pid)
	[[ $(messages_of "$sup" | grep "^READY=1") =~ ^READY=1\|STATUS=1\ of\ 1\ children\ running\;\ etscounterd:\ serving\ table\ etscounter\ id\ [0-9]+\ generation\ [0-9]+\ on\ $sock\ connect=ok$ ]] ||
		{ echo "etssup's READY:"; cat "$nlog"; return 1; }
	[ -n "$child" ] && [ -z "$(messages_of "$child")" ] ||
		{ echo "etscounterd ($child) wrote to systemd's socket:"; cat "$nlog"; return 1; }
	kill -TERM "$sup"
	wait_for_exit "$sup" || return 1
	expect "etssup's exit status" 0 "$rc" &&
		expect "etssup's last message" "STOPPING=1|STATUS=stopping the children at signal SIGTERM" \
			"$(messages_of "$sup" | tail -n 1 | message_text)" || return 1
	mark
	start_standalone
	wait_serving || return 1
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_exit "$daemon" && table_absent
}

test_second_instance_refused() {
	local first
	mark
	start_standalone
	first=$daemon
	wait_for_report "from etsmgr, created\." || return 1
	etscounterd --socket "$tmp/second.sock" 2>> "$log" &
	daemon=$!
	wait_for_exit "$daemon" || return 1
	expect "second etscounterd's exit status" 1 "$rc" &&
		has_report ERROR "table etscounter is owned by another live process (a second etscounterd?)." ||
		return 1
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_exit "$first" && table_absent
}

test_socket_activation() {
	mark
	run "$python" "$tool" activate "$sock" "$bin/etscounterd" "$log"
	grep '^#' <<< "$out" >&3
	[ $rc -eq 0 ] || { show; return 1; }
	has_report NOTICE "got a table $(since_mark | sed -nE 's/^etscounter_srv: got a table ([0-9]+) from etsmgr, created\.$/\1/p') from etsmgr, reclaimed (previous owner killed by signal 9)." &&
		has_report NOTICE "terminating" && table_absent
}

# ----------------------------------------------- start loads the module

# Called with the module unloaded.
test_start_without_module_as_nobody() {
	run "${nobody[@]}" "$nobody_etscounter" --socket "$sock" --log "$tmp/nobody.log" start
	[ $rc -eq 1 ] && [ -z "$out" ] &&
		expect stderr "etscounter: start: /dev/etsmgr is missing: the etsmgr module is not loaded, and only root may load it" "$err" ||
		{ show; return 1; }
	[ ! -e /dev/etsmgr ] || { echo "nobody loaded the module"; return 1; }
}

test_start_loads_module() {
	mark
	ETSMGR_KO=$ko ec start
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	[ -c /dev/etsmgr ] || { echo "no /dev/etsmgr after start"; return 1; }
	has_report NOTICE "got a table $(since_mark | sed -nE 's/^etscounter_srv: got a table ([0-9]+) from etsmgr, created\.$/\1/p') from etsmgr, created." ||
		return 1
	ec count
	expect count "Counter 1." "$out" || { show; return 1; }
	ec stop
	[ $rc -eq 0 ] || { show; return 1; }
	table_absent
}

# ------------------------------------------------------------ the tests

if [ -e "$pidfile" ] && pgrep -x etssup > /dev/null ||
   [ -n "$(pgrep -x etscounterd)" ] ||
   etsmgrctl info | grep -q '^etscounter '; then
	echo "1..0 # SKIP etscounter is in use already (supervisor, daemon or table)"
	exit 4
fi
if [ -z "$python" ]; then
	echo "1..0 # SKIP needs python3"
	exit 4
fi

check "count when not running: exit 1 and a message" test_not_running count
check "check when not running: exit 1 and a message" test_not_running check
check "die when not running: exit 1 and a message" test_not_running die
check "stop when not running: exit 1 and a message" test_stop_not_running
check "usage errors: exit 2 and the usage; --help: exit 0" test_usage

check "start: exit 0, silent; etssup started etscounterd; table created" \
	test_start
started=$?
if [ $started -ne 0 ]; then
	echo "# run-all: cannot go on without a daemon; log:"
	sed 's/^/# /' "$log"
	echo "1..$count"
	exit 1
fi
check "start again: already running, exit 0" test_start_again
check "etsmgrctl -j info: etscounter owned by etscounterd, protected, 64 KiB" \
	test_table_listed "$first_pid" 1
check "check: Table: <id>, Data [{count,0}]." test_check 0
check "count x3: Counter 1. 2. 3., NOTICE reports" test_counts 1 3
check "check: Data [{count,3}]." test_check 3
check "die: about to die., SUPERVISOR REPORT killed, table reclaimed" test_die
check "check after die: same table, Data [{count,3}]." test_check 3
check "count x2 after die: Counter 4. 5." test_counts 4 5
check "check: Data [{count,5}]." test_check 5
check "etsmgrctl -j info after die: new owner, generation 2" \
	test_table_listed "$second_pid" 2
check "die then check at once: the check waits for the restart" \
	test_die_then_check 5
check "a bad request is answered with an error" test_bad_request
check "requests pipelined in one write: one answer each, in order, though sends block" \
	test_pipeline
check "the socket etssup holds is 0660; uid 65534 cannot connect" \
	test_socket_mode_supervised
ec stop

# The storm and the recovery need a supervisor that never gives up.
ec start --intensity 100000 --period 1
table_id=$(parse_check "$(etscounter --socket "$sock" check)")
table_id=${table_id% *}
check "kill storm: 2000 counts, 25 SIGKILLs: none lost, none doubled, never backwards" \
	test_storm
check "recovery after SIGKILL, 50 times: the next count is old + 1" \
	test_recovery
check "manager restart: drain, rmmod, count, insmod: adopted, same id and count" \
	test_manager_restart
check "20 reloads under a running counter: no count lost or failed" \
	test_reload_cycles
check "stop: etssup and etscounterd gone, table deleted, module loaded" \
	test_stop
check "count after stop: exit 1 and a message" test_not_running count
check "SIGTERM to etssup keeps the table; the next start resumes the count" \
	test_sigterm_supervisor_keeps_table
check "one_for_all restart and escalation (SIGTERM) keep the table and count" \
	test_one_for_all_then_clean
check "SIGKILLs past the restart intensity: etssup gives up, no count lost" \
	test_kill_storm_past_intensity
check "start --socket-group: 0660, that group; uid 65534 counts, cannot stop or die" \
	test_start_socket_group
check "a uid 65534 squatter of the name neither blocks nor feeds root's counter" \
	test_squatter_neither_blocks_nor_feeds
check "a reclaimed table with foreign bytes: not formatted, ERROR REPORT" \
	test_foreign_table_not_wiped

# Tests that unload the module need every table and session gone; other
# tests may have left some behind.
no_unload="rmmod etsmgr refused: tables or sessions of other tests remain"
if unload_module; then
	check "etscounterd by itself waits for the module, then creates" \
		test_standalone_waits_for_module
else
	skip "etscounterd by itself waits for the module, then creates" \
		"$no_unload"
	mark
	start_standalone
	wait_for_report "from etsmgr, created\." > /dev/null
fi
check "stop of a daemon without etssup: over the socket, exit 0" \
	test_standalone_stop
check "SIGTERM: table kept and reclaimed with its count, socket removed, exit 0" \
	test_standalone_sigterm
check "--socket-group: 0660, that group; uid 65534 counts, stop and die refused" \
	test_standalone_socket_group
check "sd_notify: READY=1 once serving, STATUS= with id and generation, WATCHDOG=1, STOPPING=1" \
	test_standalone_notify
check "sd_notify under etssup --notify: etssup's READY=1 once the daemon serves" \
	test_supervised_notify
check "a second etscounterd: EBUSY on the table, exit 1, ERROR REPORT" \
	test_second_instance_refused
check "socket activation: a count sent while no daemon runs is served" \
	test_socket_activation

if unload_module; then
	check "start without the module as uid 65534: exit 1, needs root" \
		test_start_without_module_as_nobody
	check "start without the module as root: loads it, counts, stops" \
		test_start_loads_module
else
	skip "start without the module as uid 65534: exit 1, needs root" \
		"$no_unload"
	skip "start without the module as root: loads it, counts, stops" \
		"$no_unload"
fi

# Sanitized binaries (ETSCOUNTER_DIR) report to stderr: the log.
test_no_sanitizer_report() {
	! grep -E -B2 -A20 'Sanitizer|runtime error:' "$log"
}
check "no ASan, UBSan or LSan report in the log" test_no_sanitizer_report

echo "1..$count"
[ $failed -eq 0 ]
