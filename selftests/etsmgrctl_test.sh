#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# etsmgrctl end to end, run by selftests/run-all in the VM (root, module
# loaded): info, stats, delete and monitor, in text and JSON, their exit
# statuses and messages, as root and as uid 65534. Tables are made with
# selftests/ets-tool; every name starts with a prefix unique to this run,
# so tables other tests left behind do not matter. TAP output; the whole
# file is skipped (exit 4) when not root or without /dev/etsmgr.
# ETSMGRCTL=path tests another etsmgrctl binary, such as the sanitized
# one of `make -C userspace check` (userspace/etsmgrctl/build/check/etsmgrctl).
#
# Checks read `A && B || { show; return 1; }`: fail when any part fails.
# shellcheck disable=SC2015
set -uo pipefail

dir=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
ctl=${ETSMGRCTL:-$dir/../userspace/etsmgrctl/etsmgrctl}
tool=$dir/ets-tool
prefix=ctltest.$$.
nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
page=$(getconf PAGESIZE)

. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/tap.sh"
need_root_and_module
if [ ! -x "$ctl" ] || [ ! -x "$tool" ]; then
	echo "not ok 1 etsmgrctl and ets-tool are built ($ctl, $tool)"
	echo "1..1"
	exit 1
fi
python=$(command -v python3 || true)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/etsmgrctl_test.XXXXXX")
declare -A holder_pid table_id
holders=0

cleanup() {
	local pid name

	for pid in "${holder_pid[@]}"; do
		kill -9 "$pid" 2> /dev/null
		wait "$pid" 2> /dev/null
	done
	for name in $("$ctl" info 2> /dev/null |
		      awk -v p="$prefix" 'index($1, p) == 1 { print $1 }'); do
		"$ctl" delete "$name"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# ------------------------------------------------------------------ TAP

# uid 65534 runs a copy it can reach wherever the checkout is.
nobody_ctl=$(reachable "$ctl") && nobody_tool=$(reachable "$tool") || {
	echo "not ok 1 copies of $ctl and $tool for uid 65534"
	echo "1..1"
	exit 1
}

# Say what the last run() gave, for a failure's detail.
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

# ets-tool's stdin: a FIFO that never reaches EOF, since this shell keeps
# it open read-write (which never blocks); holders end by signal only.
mkfifo "$tmp/stdin"
# shellcheck disable=SC2034 # only ever closed by exit
exec {keep_stdin}<> "$tmp/stdin"

# Own NAME in a background ets-tool (`ets-tool hold`, or HOLD, which may
# be hold-mapped); sets holder_pid[NAME], table_id[NAME].
hold() { # NAME SIZE [ACCESS]
	local output=$tmp/hold.$((++holders))

	"$tool" "${HOLD:-hold}" "$@" < "$tmp/stdin" > "$output" 2>&1 &
	holder_pid[$1]=$!
	wait_for_line "$output" '^ready$' || return 1
	table_id[$1]=$(awk '$1 == "id" { print $2 }' "$output")
}

# Kill NAME's holder with SIGKILL and reap it: the table is then held.
kill_holder() { # NAME
	kill -9 "${holder_pid[$1]}"
	wait "${holder_pid[$1]}" 2> /dev/null
	unset "holder_pid[$1]"
}

# The `etsmgrctl info` line of NAME.
info_line() { # NAME
	"$ctl" info | awk -v n="$1" '$1 == n'
}

round_up() { # SIZE: to whole pages
	echo $((($1 + page - 1) / page * page))
}

# JSON checks, in Python (json module) so the output is parsed by a real
# JSON parser. Modes:
#   table NAME KEY=VALUE...   stdin is `-j info`: it has an object named
#                             NAME with exactly the documented keys, the
#                             given values, integers as JSON integers
#   absent PREFIX             stdin is `-j info`: no name starts with it
#   stats                     stdin is `-j stats`: exactly the documented
#                             keys, all integers >= 0
#   events SPEC...            stdin is `-j monitor` output: one object per
#                             line, one SPEC (KEY=VALUE,KEY=VALUE) each
cat > "$tmp/json_check.py" <<'EOF'
import json
import sys

TABLE_KEYS = {"name", "id", "owner_pid", "state", "size", "generation",
              "access", "uid", "create_time_ns", "transfer_time_ns",
              "exit_reason", "exit_status", "mapped", "heir_pid",
              "orig_name", "rename_reason"}
STATS_KEYS = {"sessions", "tables", "held", "bytes", "created", "reclaimed",
              "deleted", "events", "max_tables", "max_table_size",
              "max_total_size", "load_time_ns", "state", "adopted",
              "ns_reaped"}
EVENT_KEYS = {"event", "pid"} | TABLE_KEYS
INT_KEYS = (TABLE_KEYS | STATS_KEYS | {"pid"}) - {
    "name", "state", "access", "exit_reason", "event", "mapped",
    "orig_name", "rename_reason"}
# Strings, or null when the table was never renamed (or no reason given).
TEXT_OR_NULL_KEYS = {"orig_name", "rename_reason"}
BOOL_KEYS = {"mapped"}

def fail(message):
    sys.exit(message)

def check_object(obj, keys, where):
    if not isinstance(obj, dict):
        fail(f"{where}: not an object: {obj!r}")
    if set(obj) != keys:
        fail(f"{where}: keys {sorted(obj)} != {sorted(keys)}")
    for key in keys & INT_KEYS:
        value = obj[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            fail(f"{where}: {key} is {value!r}, not an integer >= 0")
    for key in keys & BOOL_KEYS:
        if not isinstance(obj[key], bool):
            fail(f"{where}: {key} is {obj[key]!r}, not a boolean")
    for key in keys & TEXT_OR_NULL_KEYS:
        if obj[key] is not None and not isinstance(obj[key], str):
            fail(f"{where}: {key} is {obj[key]!r}, not a string or null")

def check_values(obj, specs, where):
    for spec in specs:
        key, _, want = spec.partition("=")
        want = {"true": True, "false": False, "null": None}.get(want, want)
        want = int(want) if isinstance(want, str) and want.isdigit() else want
        if obj.get(key) != want:
            fail(f"{where}: {key} is {obj.get(key)!r}, want {want!r}")

mode, args = sys.argv[1], sys.argv[2:]
text = sys.stdin.read()
if mode == "events":
    lines = text.splitlines()
    if len(lines) != len(args):
        fail(f"{len(lines)} lines, want {len(args)}:\n{text}")
    for number, (line, spec) in enumerate(zip(lines, args), 1):
        obj = json.loads(line)
        keys = EVENT_KEYS | ({"old_name"} if obj.get("event") == "renamed"
                             else set())
        check_object(obj, keys, f"line {number}")
        check_values(obj, spec.split(","), f"line {number}")
    sys.exit(0)

data = json.loads(text)
if mode == "stats":
    check_object(data, STATS_KEYS, "stats")
    sys.exit(0)
if not isinstance(data, list):
    fail(f"not an array: {text}")
for index, obj in enumerate(data):
    check_object(obj, TABLE_KEYS, f"table {index}")
if mode == "absent":
    names = [obj["name"] for obj in data if obj["name"].startswith(args[0])]
    if names:
        fail(f"unexpected tables {names}")
elif mode == "table":
    found = [obj for obj in data if obj["name"] == args[0]]
    if len(found) != 1:
        fail(f"{len(found)} tables named {args[0]} in {text}")
    table = found[0]
    check_values(table, args[1:], args[0])
    if table["create_time_ns"] == 0 or \
       table["transfer_time_ns"] < table["create_time_ns"]:
        fail(f"{args[0]}: bad times {table}")
else:
    fail(f"unknown mode {mode}")
EOF

json_check() { # MODE ARGS... < JSON
	"$python" "$tmp/json_check.py" "$@"
}

# The rest of this file: one function per test, then the list of tests.

# --------------------------------------------------------- usage, help

test_help() {
	run "$ctl" --help
	[ $rc -eq 0 ] && [[ $out == "Usage: etsmgrctl"* ]] && [ -z "$err" ] ||
		{ show; return 1; }
}

test_usage_errors() {
	local args
	for args in "" "frobnicate" "-x info" "info a b" "info id x" "delete" \
		    "delete a b" "delete id abc" "monitor --count 0" \
		    "delete --uid" "delete --uid x a" "delete --uid 1 id 5"; do
		# shellcheck disable=SC2086 # split into words on purpose
		run "$ctl" $args
		if [ $rc -ne 2 ] || [ -n "$out" ] ||
		   ! grep -q '^usage: etsmgrctl' <<< "$err"; then
			echo "etsmgrctl $args:"
			show
			return 1
		fi
	done
}

# ---------------------------------------------------------------- info

test_info_none_of_ours() {
	run "$ctl" info
	[ $rc -eq 0 ] && [ -z "$err" ] || { show; return 1; }
	! grep -q "^$prefix" <<< "$out" || { show; return 1; }
	[ -z "$python" ] && return 0
	run "$ctl" -j info
	[ $rc -eq 0 ] && json_check absent "$prefix" <<< "$out" ||
		{ show; return 1; }
}

# uid 65534 owns no table and sees no one else's: nothing at all.
test_info_empty() {
	run "${nobody[@]}" "$nobody_ctl" info
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	run "${nobody[@]}" "$nobody_ctl" -j info
	[ $rc -eq 0 ] && expect "-j info as uid 65534" "[]" "$out" ||
		{ show; return 1; }
}

test_info_text_owned() {
	local a=${prefix}a b=${prefix}b

	expect "info line of $a" \
		"$a id ${table_id[$a]} owner ${holder_pid[$a]} state owned size $page generation 1 access protected uid 0" \
		"$(info_line "$a")" || return 1
	expect "info line of $b" \
		"$b id ${table_id[$b]} owner ${holder_pid[$b]} state owned size $(round_up 10000) generation 1 access public uid 0" \
		"$(info_line "$b")"
}

test_info_json_owned() {
	local a=${prefix}a b=${prefix}b

	run "$ctl" -j info
	[ $rc -eq 0 ] || { show; return 1; }
	json_check table "$a" "id=${table_id[$a]}" \
		"owner_pid=${holder_pid[$a]}" state=owned "size=$page" \
		generation=1 access=protected uid=0 exit_reason=none \
		exit_status=0 mapped=false heir_pid=0 <<< "$out" &&
	json_check table "$b" "id=${table_id[$b]}" \
		"owner_pid=${holder_pid[$b]}" state=owned \
		"size=$(round_up 10000)" generation=1 access=public uid=0 \
		exit_reason=none exit_status=0 mapped=false heir_pid=0 <<< "$out"
}

test_info_held_signaled() {
	local a=${prefix}a

	expect "info line of $a" \
		"$a id ${table_id[$a]} owner 0 state held size $page generation 1 access protected uid 0 exit signal 9" \
		"$(info_line "$a")" || return 1
	[ -z "$python" ] && return 0
	run "$ctl" -j info
	json_check table "$a" "id=${table_id[$a]}" owner_pid=0 state=held \
		generation=1 exit_reason=signaled exit_status=9 mapped=false \
		heir_pid=0 <<< "$out"
}

test_info_held_exited() {
	local c=${prefix}c id

	run "$tool" create-exit "$c" 100 private 3
	[ $rc -eq 3 ] || { show; return 1; }
	id=$(awk '$1 == "id" { print $2 }' <<< "$out")
	table_id[$c]=$id
	expect "info line of $c" \
		"$c id $id owner 0 state held size $page generation 1 access private uid 0 exit status 3" \
		"$(info_line "$c")" || return 1
	[ -z "$python" ] && return 0
	run "$ctl" -j info
	json_check table "$c" "id=$id" owner_pid=0 state=held access=private \
		exit_reason=exited exit_status=3 mapped=false heir_pid=0 <<< "$out"
}

# `info NAME` and `info id ID`: the line `info` prints for that table;
# with -j an array of that one object, as `ip -j link show dev X`.
test_info_one() {
	local b=${prefix}b line

	line=$(info_line "$b")
	[ -n "$line" ] || { echo "no info line of $b"; return 1; }
	run "$ctl" info "$b"
	[ $rc -eq 0 ] && [ -z "$err" ] || { show; return 1; }
	expect "info $b" "$line" "$out" || return 1
	run "$ctl" info id "${table_id[$b]}"
	[ $rc -eq 0 ] && [ -z "$err" ] || { show; return 1; }
	expect "info id ${table_id[$b]}" "$line" "$out" || return 1
	[ -z "$python" ] && return 0
	run "$ctl" -j info "$b"
	[ $rc -eq 0 ] && [ -z "$err" ] || { show; return 1; }
	json_check table "$b" "id=${table_id[$b]}" \
		"owner_pid=${holder_pid[$b]}" state=owned access=public \
		mapped=false heir_pid=0 <<< "$out" &&
	"$python" -c 'import json, sys
assert len(json.load(sys.stdin)) == 1' <<< "$out" || { show; return 1; }
}

# A table that is not there: exit 1 and the message dump and delete give.
test_info_one_missing() {
	local m=${prefix}missing a=${prefix}a

	run "$ctl" info "$m"
	[ $rc -eq 1 ] && [ -z "$out" ] || { show; return 1; }
	expect "stderr" "etsmgrctl: info $m: No such file or directory" \
		"$err" || return 1
	run "$ctl" -j info id 1
	[ $rc -eq 1 ] && [ -z "$out" ] || { show; return 1; }
	expect "stderr" "etsmgrctl: info id 1: No such file or directory" \
		"$err" || return 1
	# Names are per uid: uid 65534 has no table of that name.
	run "${nobody[@]}" "$nobody_ctl" -j info "$a"
	[ $rc -eq 1 ] && [ -z "$out" ] || { show; return 1; }
	expect "stderr" "etsmgrctl: info $a: No such file or directory" "$err"
}

# -p (--pretty): the JSON of -j, over several lines.
test_pretty() {
	local opt compact

	run "$ctl" -j info
	[ $rc -eq 0 ] || { show; return 1; }
	compact=$out
	for opt in -p --pretty "-j -p"; do
		# shellcheck disable=SC2086 # split "-j -p" into words
		run "$ctl" $opt info
		[ $rc -eq 0 ] && [ -z "$err" ] && [ "$(wc -l <<< "$out")" -gt 1 ] ||
			{ show; return 1; }
		"$python" -c 'import json, sys
p = sys.argv[1]
ours = lambda text: [t for t in json.loads(text) if t["name"].startswith(p)]
assert ours(sys.argv[2]) == ours(sys.argv[3]), (sys.argv[2], sys.argv[3])
assert len(ours(sys.argv[2])) == 2, sys.argv[2]' "$prefix" "$out" "$compact" ||
			{ show; return 1; }
	done
	run "$ctl" -p stats
	[ $rc -eq 0 ] && [ "$(wc -l <<< "$out")" -gt 1 ] &&
		json_check stats <<< "$out" || { show; return 1; }
}

# mapped: whether a live process maps the table (ets-tool hold does not;
# hold-mapped does, until it is killed).
test_info_mapped() {
	local m=${prefix}m

	HOLD=hold-mapped hold "$m" 4096 || return 1
	run "$ctl" -j info "$m"
	[ $rc -eq 0 ] && json_check table "$m" state=owned mapped=true \
		heir_pid=0 <<< "$out" || { show; return 1; }
	kill_holder "$m"
	run "$ctl" -j info "$m"
	[ $rc -eq 0 ] && json_check table "$m" state=held mapped=false \
		heir_pid=0 <<< "$out" || { show; return 1; }
	run "$ctl" delete "$m"
	[ $rc -eq 0 ] || { show; return 1; }
}

test_info_hidden_from_nobody() {
	run "${nobody[@]}" "$nobody_ctl" info
	[ $rc -eq 0 ] && ! grep -q "^$prefix" <<< "$out" || { show; return 1; }
}

# A dump part is one skb of about 16 KiB and a table takes some 200
# bytes: this many tables need several parts.
many=400

test_info_many() {
	local output=$tmp/hold.many

	"$tool" hold-many "${prefix}many." "$many" 1 > "$output" 2>&1 &
	holder_pid[many]=$!
	wait_for_line "$output" '^ready$' || return 1
	run "$ctl" info
	[ $rc -eq 0 ] || { show; return 1; }
	expect "tables listed" "$many" \
		"$(grep -c "^${prefix}many\." <<< "$out")" || return 1
	expect "tables listed twice" "" "$(awk '{ print $1 }' <<< "$out" |
					   sort | uniq -d)" || return 1
	[ -z "$python" ] && return 0
	run "$ctl" -j info
	"$python" -c 'import json, sys
names = [t["name"] for t in json.load(sys.stdin)]
ours = [n for n in names if n.startswith(sys.argv[1])]
assert len(ours) == len(set(ours)) == int(sys.argv[2]), len(ours)' \
		"${prefix}many." "$many" <<< "$out"
}

# A table is created and deleted every PAUSE_MS during the dumps: each
# listing is still complete (every table that stays is there, once), or
# info fails with EAGAIN after its retries, printing nothing. The counts
# go to a TAP comment: the first pass mostly gives up, the second mostly
# succeeds after a retry.
test_info_during_churn() { # PAUSE_MS
	local churn listed=0 gave_up=0 tries failure=

	"$tool" churn "${prefix}churn" "$1" > "$tmp/churn.out" 2>&1 &
	churn=$!
	wait_for_line "$tmp/churn.out" '^ready$' || return 1
	for ((tries = 0; tries < 10; tries++)); do
		run "$ctl" info
		if [ $rc -eq 1 ] && [ -z "$out" ] &&
		   [ "$err" = "etsmgrctl: info: Resource temporarily unavailable" ]; then
			gave_up=$((gave_up + 1))
		elif [ $rc -eq 0 ] &&
		     [ "$(grep -c "^${prefix}many\." <<< "$out")" -eq "$many" ] &&
		     [ -z "$(awk '{ print $1 }' <<< "$out" | sort | uniq -d)" ]; then
			listed=$((listed + 1))
		else
			failure=$(show)
			break
		fi
	done
	kill -TERM "$churn"
	wait_for_exit "$churn" || return 1
	[ "$rc" -eq 0 ] || { cat "$tmp/churn.out"; return 1; }
	[ -z "$failure" ] || { echo "$failure"; return 1; }
	echo "# churn every $1 ms: $listed complete listings, $gave_up gave up" >&3
}

# hold-many deletes its tables on SIGTERM.
release_many() {
	kill -TERM "${holder_pid[many]}"
	wait_for_exit "${holder_pid[many]}" || return 1
	unset "holder_pid[many]"
	[ "$rc" -eq 0 ] || { cat "$tmp/hold.many"; return 1; }
}

# --------------------------------------------------------------- stats

test_stats_text() {
	local keys

	run "$ctl" stats
	[ $rc -eq 0 ] && [ -z "$err" ] || { show; return 1; }
	keys=$(awk '{ print $1 }' <<< "$out" | tr '\n' ' ')
	expect "stats keys" "sessions tables held bytes created reclaimed deleted events max_tables max_table_size max_total_size load_time state adopted ns_reaped " "$keys" ||
		return 1
	# Numbers, and a UTC time (grep, not awk: mawk lacks {n}).
	[ "$(grep -Ecv '^([a-z_]+ [0-9]+|load_time [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z|state (running|draining|drained))$' <<< "$out")" -eq 0 ] ||
		{ show; return 1; }
	# Tables a and c are held, b is owned by a live holder.
	awk '$1 == "tables" && $2 < 3 { bad = 1 } $1 == "held" && $2 < 2 { bad = 1 }
	     $1 == "sessions" && $2 < 1 { bad = 1 } END { exit bad }' <<< "$out" ||
		{ show; return 1; }
}

test_stats_json() {
	run "$ctl" -j stats
	[ $rc -eq 0 ] && json_check stats <<< "$out" || { show; return 1; }
	"$python" -c 'import json, sys
s = json.load(sys.stdin)
assert s["tables"] >= 3 and s["held"] >= 2 and s["sessions"] >= 1, s
assert s["bytes"] >= 3 * '"$page"' and s["load_time_ns"] > 0, s' <<< "$out"
}

# -------------------------------------------------------------- delete

test_delete_as_nobody() {
	local b=${prefix}b

	run "${nobody[@]}" "$nobody_ctl" delete "$b"
	[ $rc -eq 1 ] && [ -z "$out" ] || { show; return 1; }
	expect "stderr" \
		"etsmgrctl: delete $b: Operation not permitted (needs CAP_SYS_ADMIN)" \
		"$err" || return 1
	[ -n "$(info_line "$b")" ] || { echo "$b is gone"; return 1; }
}

test_delete_by_name() {
	local a=${prefix}a

	run "$ctl" delete "$a"
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	[ -z "$(info_line "$a")" ] || { echo "$a is still there"; return 1; }
}

# An owned table too: the administrator wins over a live owner.
test_delete_by_id() {
	local b=${prefix}b

	run "$ctl" delete id "${table_id[$b]}"
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	[ -z "$(info_line "$b")" ] || { echo "$b is still there"; return 1; }
	kill -0 "${holder_pid[$b]}" || { echo "the holder of $b died"; return 1; }
}

# Names are per user: root's `delete NAME` is root's NAME; --uid names
# another uid's.
test_delete_other_uid_by_name() {
	local n=${prefix}n line
	line=$("${nobody[@]}" "$nobody_tool" create-exit "$n" 4096 2>&1) ||
		{ echo "ets-tool as uid 65534: $line"; return 1; }
	run "$ctl" delete "$n"
	[ $rc -eq 1 ] || { show; return 1; }
	expect "stderr" "etsmgrctl: delete $n: No such file or directory" \
		"$err" || return 1
	[ -n "$(info_line "$n")" ] || { echo "$n of uid 65534 is gone"; return 1; }
	run "$ctl" delete --uid 65534 "$n"
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	[ -z "$(info_line "$n")" ] || { echo "$n is still there"; return 1; }
	run "$ctl" delete --uid=65534 "$n"
	[ $rc -eq 1 ] || { show; return 1; }
	expect "stderr" "etsmgrctl: delete --uid 65534 $n: No such file or directory" \
		"$err" || return 1
}

test_delete_missing() {
	local c=${prefix}c

	run "$ctl" delete "$c"
	[ $rc -eq 0 ] || { show; return 1; }
	run "$ctl" delete "$c"
	[ $rc -eq 1 ] && [ -z "$out" ] || { show; return 1; }
	expect "stderr" "etsmgrctl: delete $c: No such file or directory" \
		"$err" || return 1
	run "$ctl" delete id "${table_id[$c]}"
	[ $rc -eq 1 ] || { show; return 1; }
	expect "stderr" \
		"etsmgrctl: delete id ${table_id[$c]}: No such file or directory" \
		"$err"
}

# The kernel says what is wrong with a name it refuses.
test_delete_bad_name() {
	run "$ctl" delete 'bad/name'
	[ $rc -eq 1 ] &&
		[[ $err == "etsmgrctl: delete bad/name: Invalid argument ("*")" ]] ||
		{ show; return 1; }
}

# -------------------------------------------------------------- rename

# A held table set aside: same id, the old name free, the name at
# creation and the reason in info (quoted: it has spaces), text and JSON.
test_rename_held() {
	local n=${prefix}rn q=${prefix}rn.q id line
	line=$("$tool" create-exit "$n" 4096 2>&1 &&
	       "$tool" create-exit "${prefix}rn.other" 4096 2>&1) ||
		{ echo "ets-tool: $line"; return 1; }
	id=$(info_line "$n" | awk '{ print $3 }')
	run "$ctl" rename --reason 'crash loop: "3" deaths' "$n" "$q"
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	[ -z "$(info_line "$n")" ] || { echo "$n is still there"; return 1; }
	line=$(info_line "$q")
	[[ $line == "$q id $id "*' orig_name '"$n"' reason "crash loop: \"3\" deaths"' ]] ||
		{ echo "info: $line"; return 1; }
	run "$ctl" -j info "$q"
	[ $rc -eq 0 ] || { show; return 1; }
	json_check table "$q" "id=$id" "orig_name=$n" \
		'rename_reason=crash loop: "3" deaths' <<< "$out" || return 1
	# Never renamed: nulls.
	run "$ctl" -j info
	json_check table "${prefix}rn.other" "orig_name=null" \
		"rename_reason=null" <<< "$out"
}

# By id, no reason: the name at creation stays, the old reason goes.
test_rename_by_id() {
	local n=${prefix}rn.q m=${prefix}rn.q2 id
	id=$(info_line "$n" | awk '{ print $3 }')
	run "$ctl" rename id "$id" "$m"
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	[[ $(info_line "$m") == "$m id $id "*" orig_name ${prefix}rn" ]] ||
		{ echo "info: $(info_line "$m")"; return 1; }
}

test_rename_errors() {
	local m=${prefix}rn.q2

	run "$ctl" rename "$m" "${prefix}rn.other"
	[ $rc -eq 1 ] && [[ $err == "etsmgrctl: rename $m: File exists"* ]] ||
		{ show; return 1; }
	run "$ctl" rename "${prefix}rn.missing" "${prefix}x"
	[ $rc -eq 1 ] || { show; return 1; }
	expect "stderr" \
		"etsmgrctl: rename ${prefix}rn.missing: No such file or directory" \
		"$err" || return 1
	run "$ctl" rename --reason "$(printf 'a\tb')" "$m" "${prefix}x"
	[ $rc -eq 1 ] &&
		[[ $err == "etsmgrctl: rename $m: Invalid argument ("*")" ]] ||
		{ show; return 1; }
	run "${nobody[@]}" "$nobody_ctl" rename "$m" "${prefix}x"
	[ $rc -eq 1 ] || { show; return 1; }
	expect "stderr" \
		"etsmgrctl: rename $m: Operation not permitted (needs CAP_SYS_ADMIN)" \
		"$err" || return 1
	[ -n "$(info_line "$m")" ] || { echo "$m is gone"; return 1; }
}

test_rename_usage() {
	local args
	for args in "rename" "rename ${prefix}rn.q2" "rename id 5" \
		    "rename ${prefix}rn.q2 bad/name" "rename --uid 0 id 5 x" \
		    "rename --reason" "rename --bogus a b" "rename id x y"; do
		# shellcheck disable=SC2086 # word splitting wanted
		run "$ctl" $args
		[ $rc -eq 2 ] && [[ $err == "etsmgrctl: rename"* ]] ||
			{ echo "etsmgrctl $args"; show; return 1; }
	done
}

test_rename_monitor() {
	local m=${prefix}rn.q2 r=${prefix}rn.q3 id monitor
	id=$(info_line "$m" | awk '{ print $3 }')
	"$ctl" monitor --count 1 --ready > "$tmp/monitor.out" \
		2> "$tmp/monitor.err" &
	monitor=$!
	wait_for_line "$tmp/monitor.err" '^ready$' || return 1
	"$ctl" rename "$m" "$r" || return 1
	wait_for_exit "$monitor" || return 1
	[ "$rc" -eq 0 ] || { cat "$tmp/monitor.err"; return 1; }
	[[ $(< "$tmp/monitor.out") == "renamed $r id $id pid "*" from $m" ]] ||
		{ cat "$tmp/monitor.out"; return 1; }
	"$ctl" delete "$r" && "$ctl" delete "${prefix}rn.other"
}

# ------------------------------------------------------------- monitor

test_monitor_as_nobody() {
	run "${nobody[@]}" "$nobody_ctl" monitor --count 1
	[ $rc -eq 1 ] && [ -z "$out" ] || { show; return 1; }
	expect "stderr" \
		"etsmgrctl: monitor: Operation not permitted (needs CAP_SYS_ADMIN)" \
		"$err"
}

# Run `etsmgrctl [-j] monitor --count 4` over create, kill -9, reclaim,
# delete of NAME; sets $rc, $out (the events), $pid1 (the creator) and
# $pid2 (the reclaimer and deleter).
monitor_scenario() { # NAME [-j]
	local name=$1 monitor reclaim

	"$ctl" ${2:+"$2"} monitor --count 4 --ready > "$tmp/monitor.out" \
		2> "$tmp/monitor.err" &
	monitor=$!
	wait_for_line "$tmp/monitor.err" '^ready$' || return 1
	hold "$name" 4096 || return 1
	pid1=${holder_pid[$name]}
	kill_holder "$name"
	reclaim=$("$tool" reclaim-delete "$name") || {
		echo "ets-tool reclaim-delete failed: $reclaim"
		return 1
	}
	pid2=$(awk '$1 == "id" { print $NF }' <<< "$reclaim")
	wait_for_exit "$monitor" || return 1
	out=$(< "$tmp/monitor.out")
	err=$(< "$tmp/monitor.err")
	[ "$rc" -eq 0 ] || { show; return 1; }
}

test_monitor_text() {
	local name=${prefix}mon-text id

	monitor_scenario "$name" || return 1
	id=${table_id[$name]}
	expect "monitor output" \
		"created $name id $id pid $pid1 generation 1
owner_exited $name id $id pid $pid1 signal 9
reclaimed $name id $id pid $pid2 generation 2
deleted $name id $id pid $pid2" "$out"
}

test_monitor_json() {
	local name=${prefix}mon-json id

	monitor_scenario "$name" -j || return 1
	id=${table_id[$name]}
	json_check events <<< "$out" \
		"event=created,name=$name,id=$id,pid=$pid1,generation=1,state=owned,owner_pid=$pid1,exit_reason=none,exit_status=0" \
		"event=owner_exited,name=$name,id=$id,pid=$pid1,generation=1,state=held,owner_pid=0,exit_reason=signaled,exit_status=9" \
		"event=reclaimed,name=$name,id=$id,pid=$pid2,generation=2,state=owned,owner_pid=$pid2,exit_reason=signaled,exit_status=9" \
		"event=deleted,name=$name,id=$id,pid=$pid2,generation=2"
}

# Each -j event is a line of its own, written at once (into a file here,
# not a terminal), while the monitor goes on.
test_monitor_json_flushed() {
	local name=${prefix}mon-flush monitor

	"$ctl" -j monitor --ready > "$tmp/monitor.out" 2> "$tmp/monitor.err" &
	monitor=$!
	wait_for_line "$tmp/monitor.err" '^ready$' || return 1
	run "$tool" create-exit "$name" 4096
	[ $rc -eq 0 ] || { show; kill -9 "$monitor"; return 1; }
	wait_for_line "$tmp/monitor.out" "\"name\":\"$name\".*\}\$" ||
		{ kill -9 "$monitor"; return 1; }
	kill -TERM "$monitor"
	wait_for_exit "$monitor" || return 1
	[ "$rc" -eq 0 ] || { cat "$tmp/monitor.err"; return 1; }
	"$python" -c 'import json, sys
for line in open(sys.argv[1]):
    json.loads(line)' "$tmp/monitor.out" || { cat "$tmp/monitor.out"; return 1; }
	"$ctl" delete "$name"
}

# A signal ends the monitor cleanly, exit 0.
test_monitor_sigterm() {
	local monitor

	"$ctl" monitor --ready > "$tmp/monitor.out" 2> "$tmp/monitor.err" &
	monitor=$!
	wait_for_line "$tmp/monitor.err" '^ready$' || return 1
	kill -TERM "$monitor"
	wait_for_exit "$monitor" || return 1
	expect "exit status after SIGTERM" 0 "$rc"
}

# ---------------------------------------------------------------- main

# --------------------------------------------------------------- dump

# A held table with records, as ets-tool records-exit leaves it.
records_table() { # NAME
	run "$tool" records-exit "$1" 65536 count +3 name etsmgr "Key 1" x \
		eight 12345678
	[ $rc -eq 0 ] || { show; return 1; }
	table_id[$1]=$(awk '$1 == "id" { print $2 }' <<< "$out")
}

# 8 bytes are a counter, whatever they hold: "12345678" reads as one.
dump_records='{<<"Key 1">>,<<"x">>}
{count,3}
{eight,4050765991979987505}
{name,<<"etsmgr">>}'

test_dump_text() {
	local r=${prefix}r

	records_table "$r" || return 1
	run "$ctl" dump "$r"
	[ $rc -eq 0 ] && [ -z "$err" ] || { show; return 1; }
	expect "records" "$dump_records" "$(sort <<< "$out")"
}

test_dump_by_id() {
	local r=${prefix}r

	run "$ctl" dump id "${table_id[$r]}"
	[ $rc -eq 0 ] && [ -z "$err" ] || { show; return 1; }
	expect "records" "$dump_records" "$(sort <<< "$out")"
}

test_dump_json() {
	local r=${prefix}r

	run "$ctl" -j dump "$r"
	[ $rc -eq 0 ] && [ -z "$err" ] || { show; return 1; }
	"$python" - "$out" "${table_id[$r]}" "$r" <<-'EOF' || { show; return 1; }
	import json, sys
	d = json.loads(sys.argv[1])
	assert d["id"] == int(sys.argv[2]) and d["name"] == sys.argv[3], d
	got = sorted((r["key"], json.dumps(r["value"]), r["term"])
	             for r in d["records"])
	want = sorted([
	    ("count", '{"int": 3, "hex": "0300000000000000"}', "{count,3}"),
	    ("eight", '{"int": 4050765991979987505, "hex": "3132333435363738"}',
	     "{eight,4050765991979987505}"),
	    ("name", '"etsmgr"', '{name,<<"etsmgr">>}'),
	    ("Key 1", '"x"', '{<<"Key 1">>,<<"x">>}')])
	assert got == want, got
	eight = [r for r in d["records"] if r["key"] == "eight"][0]
	assert bytes.fromhex(eight["value"]["hex"]) == b"12345678", eight
	EOF
}

# Another uid's table is not its to read (INFO refuses it).
test_dump_as_nobody() {
	local r=${prefix}r

	# Names are per uid: uid 65534 has no table of that name.
	run "${nobody[@]}" "$nobody_ctl" dump "$r"
	[ $rc -eq 1 ] && [ -z "$out" ] || { show; return 1; }
	expect "stderr" \
		"etsmgrctl: dump $r: No such file or directory" "$err"
}

test_dump_no_records() {
	local e=${prefix}empty

	run "$tool" create-exit "$e" 4096
	[ $rc -eq 0 ] || { show; return 1; }
	run "$ctl" dump "$e"
	[ $rc -eq 1 ] && [ -z "$out" ] || { show; return 1; }
	expect "stderr" \
		"etsmgrctl: dump $e: the table holds no record set (No data available)" \
		"$err"
}

test_dump_missing() {
	run "$ctl" dump "${prefix}nothing"
	[ $rc -eq 1 ] && [ -z "$out" ] || { show; return 1; }
	expect "stderr" "etsmgrctl: dump ${prefix}nothing: No such file or directory" \
		"$err"
}

check "--help prints the usage, exit 0" test_help
check "usage errors exit 2 with a usage on stderr" test_usage_errors
check "info lists none of this test's tables at first" test_info_none_of_ours
check "info prints nothing, -j info [], with no visible table" \
	test_info_empty

if hold "${prefix}a" 4096 protected && hold "${prefix}b" 10000 public; then
	ok "ets-tool holds two tables"
else
	not_ok "ets-tool holds two tables" "$(cat "$tmp"/hold.*)"
fi
check "info: one text line per table, owned" test_info_text_owned
check "info NAME, info id ID: that table's line; -j: an array of it" \
	test_info_one
check "info of a missing table: ENOENT, exit 1, nothing on stdout" \
	test_info_one_missing
if [ -n "$python" ]; then
	check "-p info, -p stats: the JSON of -j, pretty-printed" test_pretty
else
	skip "-p info, -p stats: the JSON of -j, pretty-printed" "no python3"
fi
if [ -n "$python" ]; then
	check "-j info: both tables, every key, right values" \
		test_info_json_owned
else
	skip "-j info: both tables, every key, right values" "no python3"
fi
kill_holder "${prefix}a"
check "info after kill -9: held, exit signal 9" test_info_held_signaled
check "info after exit(3): held, exit status 3" test_info_held_exited
check "info as uid 65534 hides root's tables" test_info_hidden_from_nobody
if [ -n "$python" ]; then
	check "-j info: mapped while a live process maps the table, not after" \
		test_info_mapped
else
	skip "-j info: mapped while a live process maps the table, not after" \
		"no python3"
fi
check "info lists $many tables, a dump of several parts" test_info_many
check "info during fast table churn: complete listings or EAGAIN" \
	test_info_during_churn 0
check "info during slow table churn: complete listings or EAGAIN" \
	test_info_during_churn 20
check "ets-tool hold-many deletes its tables on SIGTERM" release_many

check "stats: every counter, one per line" test_stats_text
if [ -n "$python" ]; then
	check "-j stats: every key, integers" test_stats_json
else
	skip "-j stats: every key, integers" "no python3"
fi

check "delete as uid 65534: EPERM, needs CAP_SYS_ADMIN, exit 1" \
	test_delete_as_nobody
check "delete NAME of a held table, exit 0" test_delete_by_name
check "delete id ID of an owned table, exit 0" test_delete_by_id
check "delete of a missing table: ENOENT, exit 1" test_delete_missing
check "delete --uid UID NAME: another uid's table of that name, exit 0" \
	test_delete_other_uid_by_name
check "delete of a bad name: EINVAL with the kernel's reason" \
	test_delete_bad_name

check "rename --reason R NAME NEW: same id, old name free, orig_name and reason" \
	test_rename_held
check "rename id ID NEW: orig_name stays, no reason" test_rename_by_id
check "rename errors: EEXIST, ENOENT, bad reason, uid 65534 EPERM; exit 1" \
	test_rename_errors
check "rename usage errors exit 2" test_rename_usage
check "monitor shows a rename: renamed NEW id ID pid P from OLD" \
	test_rename_monitor
check "monitor as uid 65534: EPERM, needs CAP_SYS_ADMIN, exit 1" \
	test_monitor_as_nobody
check "monitor --count 4: created, owner_exited, reclaimed, deleted" \
	test_monitor_text
if [ -n "$python" ]; then
	check "-j monitor --count 4: one JSON object per event" \
		test_monitor_json
else
	skip "-j monitor --count 4: one JSON object per event" "no python3"
fi
if [ -n "$python" ]; then
	check "-j monitor: each event one line, flushed at once" \
		test_monitor_json_flushed
else
	skip "-j monitor: each event one line, flushed at once" "no python3"
fi
check "monitor ends on SIGTERM with status 0" test_monitor_sigterm
check "dump: one Erlang term per record, counters as integers" test_dump_text
check "dump id ID: the same records" test_dump_by_id
if [ -n "$python" ]; then
	check "-j dump: id, name and records with key, value and term" \
		test_dump_json
else
	skip "-j dump: id, name and records with key, value and term" "no python3"
fi
check "dump as uid 65534 of root's table name: ENOENT (its own names only)" \
	test_dump_as_nobody
check "dump of a table without records: ENODATA, exit 1" test_dump_no_records
check "dump of a missing table: ENOENT, exit 1" test_dump_missing

echo "1..$count"
[ $failed -eq 0 ]
