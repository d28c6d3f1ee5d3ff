#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-side tests of etsmgrctl's command line, no module needed: --help,
# every usage error (exit 2, short usage on stderr, nothing on stdout),
# and the message for a missing module (exit 1). TAP output.
#
# Usage: tests/cli_test.sh ETSMGRCTL
set -uo pipefail

ctl=${1:?usage: cli_test.sh ETSMGRCTL}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/etsmgrctl-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=../../tests/tap.sh
. "$(dirname "$0")/../../tests/tap.sh"

run() { # ARGS...: status in $rc, output in $tmp/out and $tmp/err
	"$ctl" "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
}

run --help
[ $rc -eq 0 ] && grep -q '^Usage: etsmgrctl' "$tmp/out" && [ ! -s "$tmp/err" ]
result $? "--help prints the usage on stdout, exit 0" "rc $rc"

run --help
grep -q -- '-p, --pretty' "$tmp/out" && grep -q '^  info \[NAME | id ID\]' "$tmp/out"
result $? "--help tells -p/--pretty and info NAME" "$(cat "$tmp/out")"

run -h info
[ $rc -eq 0 ] && grep -q '^Usage: etsmgrctl' "$tmp/out"
result $? "-h wins over a command" "rc $rc"

usage_error() { # MESSAGE ARGS...: exit 2, MESSAGE then the short usage
	local message=$1
	shift
	run "$@"
	[ $rc -eq 2 ] && [ ! -s "$tmp/out" ] &&
		[ "$(head -n 1 "$tmp/err")" = "etsmgrctl: $message" ] &&
		sed -n 2p "$tmp/err" | grep -q '^usage: etsmgrctl'
	result $? "usage error: etsmgrctl $*" "rc $rc, stderr: $(cat "$tmp/err")"
}

usage_error "missing command"
usage_error "missing command" -j
usage_error "unknown command 'frobnicate'" frobnicate
usage_error "unknown option '-x'" -x info
usage_error "unknown option '--bogus'" --bogus info
usage_error "info: unexpected argument 'b'" info a b
usage_error "info: unexpected argument '2'" info id 1 2
usage_error "info: unexpected argument '-j'" info -j
usage_error "info: unexpected argument '-p'" info t -p
usage_error "info: bad table id 'x'" info id x
usage_error "info: bad table id '0'" info id 0
usage_error "unknown option '-x'" -p -x info
usage_error "stats: unexpected argument 'extra'" stats extra
usage_error "delete: missing table name" delete
usage_error "delete: unexpected argument 'b'" delete a b c
usage_error "delete: unexpected argument '2'" delete id 1 2
usage_error "delete: unexpected argument 'b'" delete a b
usage_error "delete: bad table id 'abc'" delete id abc
usage_error "delete: bad table id '0'" delete id 0
usage_error "delete: bad table id '-1'" delete id -1
usage_error "rename: missing table name" rename
usage_error "rename: missing new name" rename a
usage_error "rename: missing new name" rename id 5
usage_error "rename: bad table id 'x'" rename id x b
usage_error "rename: unexpected argument 'b'" rename a b c
usage_error "rename: bad new name 'b/c' (1-63 bytes of [A-Za-z0-9._:-])" rename a b/c
usage_error "rename: --uid names a table by name, not by id" rename --uid 0 id 5 b
usage_error "rename: --reason needs a value" rename --reason
usage_error "rename: bad uid 'x'" rename --uid x a b
usage_error "rename: unknown option '--bogus'" rename --bogus a b
usage_error "dump: missing table name" dump
usage_error "dump: unexpected argument 'b'" dump a b
usage_error "dump: bad table id 'x'" dump id x
usage_error "monitor: --count needs a number" monitor --count
usage_error "monitor: bad count '0'" monitor --count 0
usage_error "monitor: bad count 'x'" monitor --count x
usage_error "monitor: unexpected argument 'extra'" monitor extra

for cmd in info "info t" "info id 1" stats "delete t" "delete id 1" \
	   "rename t u" monitor; do
	if [ -e /sys/module/etsmgr ]; then
		count=$((count + 1))
		echo "ok $count no module: etsmgrctl -j $cmd # SKIP the module is loaded"
		continue
	fi
	# shellcheck disable=SC2086 # split "delete t" into words
	run -j $cmd
	[ $rc -eq 1 ] && [ ! -s "$tmp/out" ] &&
		[ "$(cat "$tmp/err")" = 'etsmgrctl: the etsmgr module is not loaded (no generic netlink family "etsmgr")' ]
	result $? "no module: etsmgrctl -j $cmd exits 1 with a clear message" \
		"rc $rc, stderr: $(cat "$tmp/err")"
done

# -p and --pretty are -j, pretty-printed.
for opts in -p --pretty "-j -p" "-p -j"; do
	if [ -e /sys/module/etsmgr ]; then
		count=$((count + 1))
		echo "ok $count no module: etsmgrctl $opts info # SKIP the module is loaded"
		continue
	fi
	# shellcheck disable=SC2086 # split "-j -p" into words
	run $opts info
	[ $rc -eq 1 ] && [ ! -s "$tmp/out" ] &&
		[ "$(cat "$tmp/err")" = 'etsmgrctl: the etsmgr module is not loaded (no generic netlink family "etsmgr")' ]
	result $? "no module: etsmgrctl $opts info exits 1 with a clear message" \
		"rc $rc, stderr: $(cat "$tmp/err")"
done

for cmd in "dump t" "dump id 1" "-j dump t" "-p dump t"; do
	if [ -e /dev/etsmgr ]; then
		count=$((count + 1))
		echo "ok $count no module: etsmgrctl $cmd # SKIP /dev/etsmgr exists"
		continue
	fi
	# shellcheck disable=SC2086 # split "dump t" into words
	run $cmd
	[ $rc -eq 1 ] && [ ! -s "$tmp/out" ] &&
		[ "$(cat "$tmp/err")" = 'etsmgrctl: the etsmgr module is not loaded (no /dev/etsmgr)' ]
	result $? "no module: etsmgrctl $cmd exits 1 with a clear message" \
		"rc $rc, stderr: $(cat "$tmp/err")"
done

echo "1..$count"
[ $failed -eq 0 ]
