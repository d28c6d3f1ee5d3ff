#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# etssup's on-crash-loop policies in the VM (root, module loaded), TAP
# output. The child is `ets-tool poisoned NAME`: healthy on a fresh table,
# it exits 3 at once whenever it reclaims one, as a daemon whose state
# crashes it would. After the first run is killed, every restart reclaims
# and dies: three such deaths are a loop.
# - quarantine: the table is renamed NAME.quarantined.ID (same id, held,
#   orig_name and reason in etsmgrctl info), a SUPERVISOR REPORT
#   crash_loop says so, and the next run starts on a fresh table;
# - discard: the table is deleted, the next run starts on a fresh one;
# - keep: the loop goes on until the restart intensity gives up, and the
#   table is still there;
# - a policy with heir is a configuration error (exit 2); without
#   CAP_SYS_ADMIN etssup cannot follow the events and does not start.
# Skipped (exit 4) when not root or without /dev/etsmgr.
#
# Checks read `A && B || { show; return 1; }`: fail when any part fails.
# shellcheck disable=SC2015
set -uo pipefail

dir=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
root=$(cd "$dir/.." && pwd)
export PATH="$root/userspace/etsmgrctl:$root/userspace/supervisor:$PATH"
tool=$dir/ets-tool

. "$dir/tap.sh"
need_root_and_module

tmp=$(mktemp -d "${TMPDIR:-/tmp}/crashloop_test.XXXXXX")
state=$tmp/state
prefix=cl$$
sups=()

cleanup() {
	local pid name

	for pid in "${sups[@]}"; do
		kill -TERM "$pid" 2> /dev/null
	done
	for pid in "${sups[@]}"; do
		timeout 20 tail --pid="$pid" -f /dev/null 2> /dev/null
	done
	for name in $(etsmgrctl info 2> /dev/null |
		      awk -v p="$prefix" 'index($1, p) == 1 { print $1 }'); do
		etsmgrctl delete "$name"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

wait_for() {
	local deadline=$((SECONDS + 20))
	until "$@"; do
		((SECONDS > deadline)) && { echo "timed out: $*"; return 1; }
		sleep 0.05
	done
}

# Field FIELD of the table NAME's `etsmgrctl info` line ("" if none).
field() { # NAME FIELD
	etsmgrctl info 2> /dev/null |
		awk -v n="$1" -v f="$2" '$1 == n { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }'
}

owner_alive() { # NAME
	local pid
	pid=$(field "$1" owner)
	[ -n "$pid" ] && [ "$pid" != 0 ] && kill -0 "$pid" 2> /dev/null
}

# etssup NAME POLICY [OPTION...] with `ets-tool poisoned NAME` as child;
# reports in $tmp/NAME.log, the children's output in $tmp/NAME.out.
start_sup() {
	local name=$1 policy=$2
	shift 2
	etssup --name "$name" --state-dir "$state" --log "$tmp/$name.log" \
		--intensity "${INTENSITY:-100}" --period 60 --restart-sec 0 \
		--on-crash-loop "$policy" "$@" -- \
		"$tool" poisoned "$name" 4096 >> "$tmp/$name.out" 2>&1 &
	sups+=("$!")
	sup_pid=$!
}

# Start NAME under POLICY, wait for the healthy first run, kill it: the
# restarts reclaim and die. Sets $first_id, $first_pid.
first_run_then_kill() { # NAME POLICY [OPTION...]
	local name=$1
	start_sup "$@" &&
		wait_for owner_alive "$name" || { cat "$tmp/$name.log"; return 1; }
	first_id=$(field "$name" id)
	first_pid=$(field "$name" owner)
	kill -9 "$first_pid"
}

stop_sup() {
	kill -TERM "$sup_pid"
	timeout 20 tail --pid="$sup_pid" -f /dev/null
}

test_quarantine() {
	local name=${prefix}q q line
	first_run_then_kill "$name" quarantine || return 1
	q=$name.quarantined.$first_id
	wait_for grep -q "errorContext: crash_loop" "$tmp/$name.log" &&
		wait_for owner_alive "$name" || { cat "$tmp/$name.log"; return 1; }
	grep -Fq "reason: {quarantine,[{deaths,3},{within_sec,10},{after,takeover}]}" \
		"$tmp/$name.log" &&
		grep -Fq "tables: [{table,$first_id},{name,\"$name\"},{quarantined_as,\"$q\"}]" \
			"$tmp/$name.log" || { cat "$tmp/$name.log"; return 1; }
	line=$(etsmgrctl info "$q") || { echo "no $q"; return 1; }
	[[ $line == "$q id $first_id "*" state held "*" orig_name $name reason \"crash loop: 3 deaths < 10 s after takeover, ets-tool pid "* ]] ||
		{ echo "info: $line"; return 1; }
	# The next run is on a fresh table, and healthy.
	[ "$(field "$name" id)" != "$first_id" ] ||
		{ echo "$name still has id $first_id"; return 1; }
	[ "$(grep -c '^ready$' "$tmp/$name.out")" = 2 ] ||
		{ cat "$tmp/$name.out"; return 1; }
	# Three deaths, three restarts before the quarantine, one after.
	[ "$(grep -c 'errorContext: child_terminated' "$tmp/$name.log")" = 4 ] ||
		{ cat "$tmp/$name.log"; return 1; }
	stop_sup
}

test_discard() {
	local name=${prefix}d
	first_run_then_kill "$name" discard --crash-loop-deaths 2 || return 1
	wait_for grep -q "errorContext: crash_loop" "$tmp/$name.log" &&
		wait_for owner_alive "$name" || { cat "$tmp/$name.log"; return 1; }
	grep -Fq "tables: [{table,$first_id},{name,\"$name\"},{discarded,true}]" \
		"$tmp/$name.log" || { cat "$tmp/$name.log"; return 1; }
	! etsmgrctl info id "$first_id" > /dev/null 2>&1 ||
		{ echo "table $first_id is still there"; return 1; }
	[ "$(field "$name" id)" != "$first_id" ] || return 1
	stop_sup
}

# keep: what a supervisor without the policy does; the intensity ends it.
test_keep() {
	local name=${prefix}k
	INTENSITY=4 first_run_then_kill "$name" keep || return 1
	timeout 20 tail --pid="$sup_pid" -f /dev/null
	wait "$sup_pid"
	[ $? = 1 ] && grep -q "reached_max_restart_intensity" "$tmp/$name.log" &&
		! grep -q "crash_loop" "$tmp/$name.log" ||
		{ cat "$tmp/$name.log"; return 1; }
	[ "$(field "$name" id)" = "$first_id" ] ||
		{ echo "the table went: $(etsmgrctl info)"; return 1; }
}

test_heir_refused() {
	run etssup --name "${prefix}h" --state-dir "$state" \
		--on-crash-loop quarantine --heir -- "$tool" poisoned x 4096
	[ $rc = 2 ] && [[ $err == *"on-crash-loop=quarantine does not go with heir or standby"* ]] ||
		{ show; return 1; }
}

test_needs_sys_admin() {
	run setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
		etssup --name "${prefix}n" --state-dir "$state" \
		--on-crash-loop discard -- "$tool" poisoned "${prefix}n" 4096
	[ $rc = 1 ] && [[ $err == *"Operation not permitted (needs CAP_SYS_ADMIN)"* ]] ||
		{ show; return 1; }
	[ -z "$(field "${prefix}n" id)" ] || { echo "the child ran"; return 1; }
}

check "quarantine: 3 deaths after reclaim rename the table aside, the next run is fresh" \
	test_quarantine
check "discard: 2 deaths after reclaim delete the table, the next run is fresh" \
	test_discard
check "keep: the loop runs into the restart intensity, the table stays" test_keep
check "on-crash-loop with heir: configuration error, exit 2" test_heir_refused
check "on-crash-loop without CAP_SYS_ADMIN: exit 1, no child started" \
	test_needs_sys_admin
echo "1..$count"
[ "$failed" -eq 0 ]
