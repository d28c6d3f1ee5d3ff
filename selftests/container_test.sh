#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# etsmgrctl, unchanged, in a container made with util-linux unshare(1):
# new user (container uid 0..65535 is host uid 100000..), IPC, pid and
# mount namespaces with a /proc of its own. Checks that the container and
# the host each see, and hear the events of, their own tables only, with
# uids and pids as each sees them; that root in the container cannot
# delete the host's tables nor drain the manager; and that the container's
# death frees its tables and tells the host's monitor (ns-reaped). Run by
# selftests/run-all in the VM (root, module loaded); TAP output; skipped
# (exit 4) when not root, without /dev/etsmgr or without the tools.
#
# Checks read `A && B || { show; return 1; }`: fail when any part fails.
# shellcheck disable=SC2015
set -uo pipefail

dir=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
ctl=${ETSMGRCTL:-$dir/../userspace/etsmgrctl/etsmgrctl}
tool=$dir/ets-tool
prefix=cttest.$$.
ct_kuid=100000

. "$dir/tap.sh"
need_root_and_module
for cmd in unshare nsenter setpriv; do
	if ! command -v "$cmd" > /dev/null; then
		echo "1..0 # SKIP no $cmd"
		exit 4
	fi
done
if [ ! -x "$ctl" ] || [ ! -x "$tool" ]; then
	echo "not ok 1 etsmgrctl and ets-tool are built ($ctl, $tool)"
	echo "1..1"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/container_test.XXXXXX")
holders=()
ct_unshare=
ct_pid=

cleanup() {
	local pid name

	for pid in "${holders[@]}"; do
		kill -9 "$pid" 2> /dev/null
		wait "$pid" 2> /dev/null
	done
	ct_stop
	for name in $("$ctl" info 2> /dev/null |
		      awk -v p="$prefix" 'index($1, p) == 1 { print $1 }'); do
		"$ctl" delete "$name"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# The container's root is host uid $ct_kuid: it runs copies it can reach
# wherever the checkout is (under a 0700 home, say).
ctl=$(reachable "$ctl") && tool=$(reachable "$tool") || {
	echo "not ok 1 copies of etsmgrctl and ets-tool for the container"
	echo "1..1"
	exit 1
}

# Wait up to 20 s for a line matching a regex in FILE.
wait_for_line() { # FILE REGEX
	local tries
	for ((tries = 0; tries < 200; tries++)); do
		grep -Eq -- "$2" "$1" 2> /dev/null && return 0
		sleep 0.1
	done
	printf 'timed out waiting for /%s/ in %s:\n' "$2" "$1"
	cat "$1"
	return 1
}

# Wait up to 20 s for PID to end; its status in $rc.
wait_for_exit() { # PID
	local tries
	for ((tries = 0; tries < 200; tries++)); do
		if ! kill -0 "$1" 2> /dev/null; then
			wait "$1" 2> /dev/null
			rc=$?
			return 0
		fi
		sleep 0.1
	done
	kill -9 "$1" 2> /dev/null
	wait "$1" 2> /dev/null
	echo "process $1 did not end"
	return 1
}

# The only child of PID, once it has one (from /proc/*/stat: kernels
# without CONFIG_PROC_CHILDREN, such as the debug one, have no
# /proc/PID/task/PID/children).
child_of() { # PID
	local tries stat line ppid

	for ((tries = 0; tries < 200; tries++)); do
		for stat in /proc/[0-9]*/stat; do
			read -r line < "$stat" 2> /dev/null || continue
			# "pid (comm) state ppid ...": comm may hold spaces.
			read -r _ ppid _ <<< "${line##*) }"
			if [ "$ppid" = "$1" ]; then
				stat=${stat#/proc/}
				echo "${stat%/stat}"
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}

# ------------------------------------------------------------ container

# Start a container whose init sleeps; $ct_pid is that init (host pid).
# The init keeps the host's uid, unmapped there: commands run in the
# container through nsenter, which makes them its root (uid 0) before
# they exec, so that they keep its capabilities.
ct_start() {
	local tries map

	unshare --user --ipc --pid --mount --fork --mount-proc \
		--kill-child -- sleep 1000 > "$tmp/ct.out" 2>&1 &
	ct_unshare=$!
	for ((tries = 0; tries < 200; tries++)); do
		[ "$(readlink "/proc/$ct_unshare/ns/user")" != \
		  "$(readlink /proc/self/ns/user)" ] && break
		sleep 0.05
	done
	for map in uid_map gid_map; do
		echo "0 $ct_kuid 65536" > "/proc/$ct_unshare/$map" || {
			echo "cannot write the container's $map"
			cat "$tmp/ct.out"
			return 1
		}
	done
	ct_pid=$(child_of "$ct_unshare") || {
		echo "the container has no init"
		cat "$tmp/ct.out"
		return 1
	}
	for ((tries = 0; tries < 200; tries++)); do
		[ "$(readlink "/proc/$ct_pid/exe")" = "$(readlink -f \
		  "$(command -v sleep)")" ] && return 0
		sleep 0.05
	done
	echo "the container's init did not start"
	cat "$tmp/ct.out"
	return 1
}

# Kill the container's init, and so every process in it (unshare --fork
# ignores SIGTERM: it waits for the init and exits with it).
ct_stop() {
	local tries
	[ -n "$ct_unshare" ] || return 0
	[ -z "$ct_pid" ] || kill -9 "$ct_pid" 2> /dev/null
	kill -9 "$ct_unshare" 2> /dev/null
	wait "$ct_unshare" 2> /dev/null
	ct_unshare=
	ct_pid=
	# The reaper frees the dead container's tables within a second or
	# two; until then the module-wide count has more than the host's
	# own (all of which root sees in info).
	for ((tries = 0; tries < 100; tries++)); do
		[ "$(stat_of tables)" = "$("$ctl" info | wc -l)" ] && return 0
		sleep 0.1
	done
	echo "the dead container's tables were not reaped within 10 s"
	return 1
}

# Run a command in the container, as its root.
ct() {
	nsenter -t "$ct_pid" --user --ipc --pid --mount -- "$@"
}

# Own NAME from a background ets-tool (in the container with ct): sets
# $hold_id, $hold_pid (as the owner sees it) and $hold_host_pid.
hold() { # [ct] NAME SIZE
	local output=$tmp/hold.${#holders[@]} pid in=()

	if [ "$1" = ct ]; then
		# Not the function: $! must be nsenter, the holder's parent.
		in=(nsenter -t "$ct_pid" --user --ipc --pid --mount --)
		shift
	fi
	"${in[@]}" "$tool" hold "$1" "$2" < "$tmp/stdin" > "$output" 2>&1 &
	pid=$!
	holders+=("$pid")
	wait_for_line "$output" '^ready$' || return 1
	hold_id=$(awk '$1 == "id" { print $2 }' "$output")
	hold_pid=$(awk '$1 == "id" { print $NF }' "$output")
	if [ ${#in[@]} -gt 0 ]; then
		hold_host_pid=$(child_of "$pid") || return 1
	else
		hold_host_pid=$pid
	fi
}

# ets-tool's stdin: a FIFO that never reaches EOF, since this shell keeps
# it open read-write; holders end by signal only.
mkfifo "$tmp/stdin"
# shellcheck disable=SC2034 # only ever closed by exit
exec {keep_stdin}<> "$tmp/stdin"

# The `etsmgrctl info` line of NAME in $out.
line_of() { # NAME
	awk -v n="$1" '$1 == n' <<< "$out"
}

# ---------------------------------------------------------------- tests

test_info_own_tables_only() {
	local host_id ct_id

	hold ${prefix}host 4096 || return 1
	host_id=$hold_id
	hold ct ${prefix}ct 4096 || return 1
	ct_id=$hold_id
	run ct "$ctl" info
	[ $rc -eq 0 ] || { show; return 1; }
	[ -n "$(line_of ${prefix}ct)" ] &&
	[ -z "$(line_of ${prefix}host)" ] &&
	! grep -q "id $host_id " <<< "$out" || {
		echo "in the container:"
		show
		return 1
	}
	run "$ctl" info
	[ $rc -eq 0 ] && [ -n "$(line_of ${prefix}host)" ] &&
	[ -z "$(line_of ${prefix}ct)" ] && ! grep -q "id $ct_id " <<< "$out" || {
		echo "on the host:"
		show
		return 1
	}
}

test_same_name_two_tables() {
	local host_id ct_id

	hold ${prefix}same 4096 || return 1
	host_id=$hold_id
	hold ct ${prefix}same 8192 || return 1
	ct_id=$hold_id
	[ "$host_id" != "$ct_id" ] || {
		echo "one id for both: $host_id"
		return 1
	}
	run ct "$ctl" info
	expect "container's ${prefix}same id" "$ct_id" \
		"$(line_of ${prefix}same | awk '{ print $3 }')" || return 1
	run "$ctl" info
	expect "host's ${prefix}same id" "$host_id" \
		"$(line_of ${prefix}same | awk '{ print $3 }')"
}

# The container's table, as its root sees it and as the host sees it (from
# the host's user and pid namespaces, in the container's IPC namespace).
test_dump_uid_pid_translated() {
	local line

	hold ct ${prefix}xlate 4096 || return 1
	run ct "$ctl" info
	line=$(line_of ${prefix}xlate)
	grep -Eq " owner $hold_pid .* uid 0( |$)" <<< "$line" || {
		echo "in the container (owner $hold_pid, uid 0): $line"
		show
		return 1
	}
	run nsenter -t "$ct_pid" --ipc -- "$ctl" info
	line=$(line_of ${prefix}xlate)
	grep -Eq " owner $hold_host_pid .* uid $ct_kuid( |$)" <<< "$line" || {
		echo "from the host (owner $hold_host_pid, uid $ct_kuid): $line"
		show
		return 1
	}
	[ "$hold_pid" != "$hold_host_pid" ] || {
		echo "the holder has pid $hold_pid in both namespaces"
		return 1
	}
}

test_stats_in_container() {
	run ct "$ctl" stats
	[ $rc -eq 0 ] && grep -Eq '^tables [1-9]' <<< "$out" &&
	grep -q '^state running$' <<< "$out" || { show; return 1; }
}

test_container_root_cannot_delete_host_table() {
	run ct "$ctl" delete ${prefix}host
	[ $rc -ne 0 ] || { show; return 1; }
	run "$ctl" info
	[ -n "$(line_of ${prefix}host)" ] || { show; return 1; }
}

test_container_root_cannot_drain() {
	run ct "$ctl" drain --timeout 1
	local drain_rc=$rc drain_out=$out drain_err=$err

	run "$ctl" stats
	if ! grep -q '^state running$' <<< "$out"; then
		"$ctl" drain --abort
		echo "a drain from the container stopped the manager"
		return 1
	fi
	rc=$drain_rc out=$drain_out err=$drain_err
	[ $rc -ne 0 ] && grep -q "CAP_SYS_ADMIN" <<< "$err" || { show; return 1; }
}

# Each side's monitor hears its own namespace's events only, pids as it
# sees them: the container makes and reclaims a table, so does the host,
# interleaved; each monitor's first three events must be its own.
test_monitor_own_namespace_only() {
	local ct_mon host_mon cx=${prefix}mon-ct hx=${prefix}mon-host
	local c1 c2 h1 h2

	ct "$ctl" monitor --count 3 --ready > "$tmp/ct.mon" \
		2> "$tmp/ct.mon.err" &
	ct_mon=$!
	"$ctl" monitor --count 3 --ready > "$tmp/host.mon" \
		2> "$tmp/host.mon.err" &
	host_mon=$!
	wait_for_line "$tmp/ct.mon.err" '^ready$' || return 1
	wait_for_line "$tmp/host.mon.err" '^ready$' || return 1
	c1=$(ct "$tool" create-exit "$cx" 4096) &&
	h1=$("$tool" create-exit "$hx" 4096) &&
	c2=$(ct "$tool" reclaim-delete "$cx") &&
	h2=$("$tool" reclaim-delete "$hx") || {
		echo "ets-tool failed: $c1 / $h1 / ${c2:-} / ${h2:-}"
		return 1
	}
	wait_for_exit "$ct_mon" || return 1
	wait_for_exit "$host_mon" || return 1
	expect "container's monitor" \
		"created $cx id $(awk '{ print $2 }' <<< "$c1") pid $(awk '{ print $NF }' <<< "$c1") generation 1
owner_exited $cx id $(awk '{ print $2 }' <<< "$c1") pid $(awk '{ print $NF }' <<< "$c1") status 0
reclaimed $cx id $(awk '{ print $2 }' <<< "$c1") pid $(awk '{ print $NF }' <<< "$c2") generation 2" \
		"$(< "$tmp/ct.mon")" || return 1
	expect "host's monitor" \
		"created $hx id $(awk '{ print $2 }' <<< "$h1") pid $(awk '{ print $NF }' <<< "$h1") generation 1
owner_exited $hx id $(awk '{ print $2 }' <<< "$h1") pid $(awk '{ print $NF }' <<< "$h1") status 0
reclaimed $hx id $(awk '{ print $2 }' <<< "$h1") pid $(awk '{ print $NF }' <<< "$h2") generation 2" \
		"$(< "$tmp/host.mon")"
}

stat_of() { # KEY
	"$ctl" stats | awk -v k="$1" '$1 == k { print $2 }'
}

# The container dies with a held table: the module frees it and tells the
# host's monitor; the counters are back to what they were.
test_container_death_reaps_and_tells_host() {
	local mon name=${prefix}reaped created id tables bytes reaped tries

	ct_stop || return 1
	ct_start || return 1
	tables=$(stat_of tables)
	bytes=$(stat_of bytes)
	reaped=$(stat_of ns_reaped)
	"$ctl" monitor --count 1 --ready > "$tmp/reap.mon" \
		2> "$tmp/reap.mon.err" &
	mon=$!
	wait_for_line "$tmp/reap.mon.err" '^ready$' || return 1
	created=$(ct "$tool" create-exit "$name" 12288) || {
		echo "ets-tool create-exit failed: $created"
		return 1
	}
	id=$(awk '{ print $2 }' <<< "$created")
	expect "tables with the container's" $((tables + 1)) "$(stat_of tables)" ||
		return 1
	ct_stop
	wait_for_exit "$mon" || return 1
	expect "host's monitor" "ns-reaped $name id $id pid 0" \
		"$(< "$tmp/reap.mon")" || return 1
	for ((tries = 0; tries < 50; tries++)); do
		[ "$(stat_of ns_reaped)" = $((reaped + 1)) ] && break
		sleep 0.1
	done
	expect "ns_reaped" $((reaped + 1)) "$(stat_of ns_reaped)" &&
	expect "tables" "$tables" "$(stat_of tables)" &&
	expect "bytes" "$bytes" "$(stat_of bytes)"
}

if ! ct_start > "$tmp/start.log" 2>&1; then
	not_ok "a container starts (unshare --user --ipc --pid --mount)" \
		"$(< "$tmp/start.log")"
	echo "1..$count"
	exit 1
fi
ok "a container starts (unshare --user --ipc --pid --mount)"

check "info in the container and on the host: each its own tables" \
	test_info_own_tables_only
check "one name in the container and on the host: two tables" \
	test_same_name_two_tables
check "info shows uids and pids as the reader sees them" \
	test_dump_uid_pid_translated
check "stats in the container" test_stats_in_container
check "root in the container cannot delete a host table" \
	test_container_root_cannot_delete_host_table
check "root in the container cannot drain the manager" \
	test_container_root_cannot_drain
check "monitor: each side hears its own namespace's events" \
	test_monitor_own_namespace_only
check "a dead container's tables are freed; the host hears ns-reaped" \
	test_container_death_reaps_and_tells_host

echo "1..$count"
[ $failed -eq 0 ]
