#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# etssup as the heir of its children's etsmgr tables, its hot standby and
# the listening socket it holds, with etscounterd as the child, run by
# selftests/run-all in the VM (root, module loaded), TAP output:
# - heir: at the daemon's death etssup inherits its table and gives it to
#   the restarted daemon (same id, same count);
# - standby: the idle instance takes the table over and is promoted, no
#   fork on the way (its pid becomes the child's), a new standby follows;
# - recovery, SIGKILL -> first count answered with the old value + 1, 20
#   kills each with the socket held by etssup, with heir, with standby:
#   no connection refused, no count lost (the times are printed, not
#   asserted);
# - etssup SIGKILLed and started again re-adopts the child and its
#   standby and takes the socket back; counting goes on.
# - the same for a non-root etssup under Yama's ptrace_scope=1, which
#   cannot take the socket back: the path stays the daemon's, which keeps
#   counting, until it dies; then etssup binds the path anew.
# Skipped (exit 4) when not root or without /dev/etsmgr.
#
# Checks read `A && B || { show; return 1; }`: fail when any part fails.
# shellcheck disable=SC2015
set -uo pipefail

dir=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
root=$(cd "$dir/.." && pwd)
export PATH="$root/userspace/etscounter:$root/userspace/etsmgrctl:$root/userspace/supervisor:$PATH"
tool=$dir/etscounter_tool.py
kills=${ETSSUP_TEST_KILLS:-20}

. "$dir/tap.sh"
need_root_and_module

tmp=$(mktemp -d "${TMPDIR:-/tmp}/etssup_test.XXXXXX")
state=$tmp/state
sups=()		# every etssup started

cleanup() {
	local pid

	for pid in "${sups[@]}"; do
		kill -TERM "$pid" 2> /dev/null
	done
	for pid in "${sups[@]}"; do
		timeout 20 tail --pid="$pid" -f /dev/null 2> /dev/null
	done
	pkill -9 -x etscounterd 2> /dev/null
	for t in etssup_heir etssup_standby etssup_plain etssup_readopt; do
		etsmgrctl delete "$t" > /dev/null 2>&1
	done
	[ -n "${yama_scope:-}" ] &&
		echo "$yama_scope" > /proc/sys/kernel/yama/ptrace_scope
	rm -rf "$tmp"
}
trap cleanup EXIT

# Run until it succeeds, at most 20 s.
wait_for() {
	local deadline=$((SECONDS + 20))
	until "$@"; do
		((SECONDS > deadline)) && { echo "timed out: $*"; return 1; }
		sleep 0.02
	done
}

# etssup NAME [OPTION...]: supervise etscounterd with table NAME on
# $tmp/NAME.sock; its reports in $tmp/NAME.log, the daemon's in NAME.err.
start_sup() {
	local name=$1
	shift
	etssup --name "$name" --state-dir "$state" --log "$tmp/$name.log" \
		--intensity 1000 --period 1 "$@" -- \
		etscounterd --table "$name" --socket "$tmp/$name.sock" \
		2>> "$tmp/$name.err" &
	sups+=("$!")
	sup_pid=$!
}

stop_sup() { # PID
	kill -TERM "$1" && timeout 20 tail --pid="$1" -f /dev/null
}

# The pid the state file of supervisor NAME lists as ROLE (child, standby).
listed() { # NAME ROLE
	awk -v r="$2" '$1 == r { print $3 }' "$state/$1.state" 2> /dev/null
}
# It lists one (other than NOT).
lists() { # NAME ROLE [NOT]
	local pid
	pid=$(listed "$1" "$2")
	[ -n "$pid" ] && [ "$pid" != "${3:-}" ]
}
# It lists PID as ROLE.
lists_as() { # NAME ROLE PID
	[ "$(listed "$1" "$2")" = "$3" ]
}

ec() { # NAME REQUEST
	run etscounter --socket "$tmp/$1.sock" "$2"
}

# Count three times and check: "Table: ID, Data [{count,3}]."; sets $id.
count_three() { # NAME
	local i
	for i in 1 2 3; do
		ec "$1" count
		[ "$rc" = 0 ] && [ "$out" = "Counter $i." ] || { show; return 1; }
	done
	ec "$1" check
	[[ $out =~ ^Table:\ ([0-9]+),\ Data\ \[\{count,3\}\]\.$ ]] ||
		{ show; return 1; }
	id=${BASH_REMATCH[1]}
}

test_heir() {
	local name=etssup_heir first
	start_sup "$name" --heir --listen "$tmp/$name.sock"
	wait_for lists "$name" child &&
		count_three "$name" || return 1
	first=$(listed "$name" child)
	ec "$name" die
	ec "$name" check
	[ "$out" = "Table: $id, Data [{count,3}]." ] || { show; return 1; }
	[ "$(listed "$name" child)" != "$first" ] || { echo "not restarted"; return 1; }
	# It had a look at the table: one record, {count,3}.
	grep -Fx -A1 "    inherited: [{table,$id},{name,\"$name\"},{from,{pid,$first}},{id,etscounterd}]" "$tmp/$name.log" |
		grep -Fxq "    records: 1" &&
	grep -Fq "gave: [{table,$id},{name,\"$name\"},{to,{pid,$(listed "$name" child)}}" "$tmp/$name.log" &&
	grep -Fq "got a table $id from etssup, given back (previous owner killed by signal 9)." "$tmp/$name.err" ||
		{ cat "$tmp/$name.log" "$tmp/$name.err"; return 1; }
	ec "$name" count
	[ "$out" = "Counter 4." ] || { show; return 1; }
}

test_standby() {
	local name=etssup_standby active standby
	start_sup "$name" --standby --listen "$tmp/$name.sock"
	wait_for lists "$name" standby &&
		wait_for lists "$name" child &&
		count_three "$name" || return 1
	active=$(listed "$name" child)
	standby=$(listed "$name" standby)
	ec "$name" die
	ec "$name" check
	[ "$out" = "Table: $id, Data [{count,3}]." ] || { show; return 1; }
	# The standby is the child now: it was not forked for the recovery.
	wait_for lists_as "$name" child "$standby" || return 1
	grep -Fq "promoted: [{pid,$standby}," "$tmp/$name.log" &&
	grep -Fq "role: standby of {pid,$active}, now active" "$tmp/$name.log" &&
	grep -Fq "got a table $id from etssup, taken over by the standby (previous owner killed by signal 9)." "$tmp/$name.err" ||
		{ cat "$tmp/$name.log" "$tmp/$name.err"; return 1; }
	# And a new standby stands by.
	wait_for lists "$name" standby "$standby" || return 1
	[ "$(listed "$name" standby)" != "$active" ] || return 1
	ec "$name" count
	[ "$out" = "Counter 4." ] || { show; return 1; }
}

# Recovery of supervisor NAME's daemon, $kills SIGKILLs; the figure to fd 3.
recovery() { # NAME WHAT
	run python3 "$tool" recovery "$tmp/$1.sock" "$kills" "$state/$1.state"
	[ "$rc" = 0 ] || { show; return 1; }
	echo "# $2: ${out#\# recovery: }" >&3
}

test_recovery_plain() {
	local name=etssup_plain
	start_sup "$name" --listen "$tmp/$name.sock"
	wait_for lists "$name" child &&
		recovery "$name" "socket held, etsmgr holds the table"
}

test_recovery_heir() {
	recovery etssup_heir "socket held, etssup heir, restart"
}

test_recovery_standby() {
	recovery etssup_standby "socket held, standby takes over"
}

test_readopt() {
	local name=etssup_readopt first child standby ino before
	start_sup "$name" --standby --listen "$tmp/$name.sock"
	first=$sup_pid
	wait_for lists "$name" standby &&
		wait_for lists "$name" child &&
		count_three "$name" || return 1
	child=$(listed "$name" child)
	standby=$(listed "$name" standby)
	ino=$(stat -c %i "$tmp/$name.sock")
	kill -9 "$first"
	timeout 20 tail --pid="$first" -f /dev/null
	start_sup "$name" --standby --listen "$tmp/$name.sock"
	wait_for grep -Fq "re-adopted: [{pid,$standby}," "$tmp/$name.log" &&
		wait_for grep -Fq "re-adopted: [{pid,$child}," "$tmp/$name.log" ||
		{ cat "$tmp/$name.log"; return 1; }
	[ "$(stat -c %i "$tmp/$name.sock")" = "$ino" ] &&
		! grep -q "cannot take its listening socket back" "$tmp/$name.log" ||
		{ echo "socket replaced"; cat "$tmp/$name.log"; return 1; }
	ec "$name" count
	[ "$out" = "Counter 4." ] || { show; return 1; }
	# The dead etssup was the heir: etsmgr holds the table this time and
	# the restarted daemon reclaims it; counting goes on either way.
	before=$(listed "$name" child)
	ec "$name" die
	ec "$name" count
	[ "$out" = "Counter 5." ] || { show; return 1; }
	[ "$(listed "$name" child)" != "$before" ] || return 1
}

# The issue: a non-root etssup restarted under Yama's ptrace_scope=1 is
# not the daemon's parent, so pidfd_getfd(2) of its socket fails (EPERM);
# it bound a new socket over the path, on which nobody accepted, and
# every client timed out while the daemon lived.
yama=/proc/sys/kernel/yama/ptrace_scope
test_readopt_yama() {
	local name=etssup_yama d=$tmp/yama first child ino before sup bin
	local nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
	local sock=$tmp/yama/$name.sock
	sup=$(reachable "$root/userspace/supervisor/etssup") &&
		bin=$(reachable "$root/userspace/etscounter/etscounterd") || return 1
	mkdir -p "$d" && chown 65534:65534 "$d" || return 1
	yama_scope=$(cat "$yama") && echo 1 > "$yama" || return 1
	yama_start() {
		"${nobody[@]}" "$sup" --name "$name" --state-dir "$d/state" \
			--log "$d/$name.log" --intensity 1000 --period 1 \
			--restart transient --standby \
			--listen "$sock" -- \
			"$bin" --table "$name" --socket "$sock" 2>> "$d/$name.err" &
		sup_pid=$!
		sups+=("$sup_pid")
	}
	yama_ec() { run etscounter --socket "$sock" "$1"; }
	yama_start
	first=$sup_pid
	wait_for grep -qs "^child " "$d/state/$name.state" &&
		wait_for grep -qs "^standby " "$d/state/$name.state" || return 1
	yama_ec count
	[ "$out" = "Counter 1." ] || { show; return 1; }
	child=$(awk '$1 == "child" { print $3 }' "$d/state/$name.state")
	ino=$(stat -c %i "$sock")
	kill -9 "$first"
	timeout 20 tail --pid="$first" -f /dev/null
	yama_start
	wait_for grep -Fq "re-adopted: [{pid,$child}," "$d/$name.log" ||
		{ cat "$d/$name.log" "$d/$name.err"; return 1; }
	# Still the daemon's socket, and the daemon answers on it.
	yama_ec count
	[ "$out" = "Counter 2." ] || { show; cat "$d/$name.err"; return 1; }
	[ "$(stat -c %i "$sock")" = "$ino" ] || { echo "socket replaced"; return 1; }
	grep -Fq "its listening socket could not be taken back (pidfd_getfd of its descriptor 3: Operation not permitted; from its standby: pidfd_getfd of its descriptor 3: Operation not permitted); it keeps serving $sock" "$d/$name.err" ||
		{ cat "$d/$name.err"; return 1; }
	# Its death frees the path: the idle standby of the old socket is
	# stopped, the path bound anew, and held from then on.
	yama_ec die
	wait_for grep -Fq "etssup binds $sock anew" "$d/$name.err" &&
		grep -Fq "stopping its standby" "$d/$name.err" ||
		{ cat "$d/$name.err"; return 1; }
	yama_ec count
	[ "$out" = "Counter 3." ] || { show; return 1; }
	ino=$(stat -c %i "$sock")
	before=$(awk '$1 == "child" { print $3 }' "$d/state/$name.state")
	[ -n "$before" ] && [ "$before" != "$child" ] || return 1
	# A new standby, with the new socket, takes over the next death.
	wait_for grep -qs "^standby " "$d/state/$name.state" || return 1
	yama_ec die
	yama_ec count
	[ "$out" = "Counter 4." ] && [ "$(stat -c %i "$sock")" = "$ino" ] ||
		{ show; return 1; }
	# The table is nobody's: its daemon deletes it, and (transient)
	# is not started again.
	run "${nobody[@]}" "$(reachable "$root/userspace/etscounter/etscounter")" \
		--socket "$sock" stop
	stop_sup "$sup_pid"
}

# The module's .ko, to load it again after an rmmod (scripts/vm-run's).
ko=${ETSMGR_KO:-$root/module/etsmgr.ko}

# etssup as heir lets go of its session for a drain, as every client
# must, and is the heir again once the module is back.
test_heir_drain() {
	local name=etssup_heir gaves
	run etsmgrctl drain --timeout 20
	[ "$rc" = 0 ] || { show; return 1; }
	run rmmod etsmgr
	[ "$rc" = 0 ] || { show; return 1; }
	run insmod "$ko"
	[ "$rc" = 0 ] || { show; return 1; }
	wait_for grep -q "etssup is its children's heir again" "$tmp/$name.log" &&
		wait_for grep -q "from etsmgr, adopted" "$tmp/$name.err" || return 1
	ec "$name" count
	[[ $out =~ ^Counter\ [0-9]+\.$ ]] || { show; return 1; }
	gaves=$(grep -c "gave: " "$tmp/$name.log")
	ec "$name" die
	ec "$name" count
	[[ $out =~ ^Counter\ [0-9]+\.$ ]] || { show; return 1; }
	[ "$(grep -c "gave: " "$tmp/$name.log")" -gt "$gaves" ] ||
		{ echo "no give-away after the reload"; cat "$tmp/$name.log"; return 1; }
}

check "heir: etssup inherits the table and gives it to the restarted daemon" test_heir
check "standby: the standby takes the table over and is promoted, a new one follows" test_standby
check "recovery x$kills, socket held by etssup: no refused connection, no lost count" test_recovery_plain
check "recovery x$kills with heir: no refused connection, no lost count" test_recovery_heir
check "recovery x$kills with standby: no refused connection, no lost count" test_recovery_standby
check "etssup SIGKILLed: a new one re-adopts the daemon and its standby, keeps the socket" test_readopt
if [ -w "$yama" ]; then
	check "etssup as nobody under Yama ptrace_scope=1 restarted: the daemon keeps its socket until it dies" \
		test_readopt_yama
else
	skip "etssup under Yama ptrace_scope=1 restarted" "no Yama here"
fi
check "heir through a manager reload: drain, rmmod, insmod; etssup is the heir again" \
	test_heir_drain
echo "1..$count"
[ "$failed" -eq 0 ]
