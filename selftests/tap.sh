# SPDX-License-Identifier: GPL-2.0
# TAP helpers of the shell selftests (sourced, not run): need_root_and_module
# (the SKIPs every one of them starts with), ok, not_ok, skip,
# check (run a test function), run (capture a command), show (what it
# got), expect (a value). The caller sets $tmp, a scratch directory,
# before using check or run.

count=0
failed=0

# The preconditions of every shell selftest: SKIP (exit 4) when not root
# or when the module is not loaded.
need_root_and_module() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP needs root"
		exit 4
	fi
	if [ ! -c /dev/etsmgr ]; then
		echo "1..0 # SKIP no /dev/etsmgr: the module is not loaded"
		exit 4
	fi
}

ok() { # NAME
	count=$((count + 1))
	echo "ok $count $1"
}

not_ok() { # NAME [DETAIL...]
	count=$((count + 1))
	failed=$((failed + 1))
	echo "not ok $count $1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

# reachable PROGRAM: print the path of a copy of PROGRAM that every uid
# may run, for commands run as another uid or as a container's root: the
# checkout may lie under a 0700 home (/root) that they cannot enter.  The
# copy is in $tmp/pub; $tmp becomes traversable (0711), not listable.
reachable() {
	local pub=$tmp/pub

	chmod 0711 "$tmp" && mkdir -p "$pub" && chmod 0755 "$pub" &&
		install -m 0755 "$1" "$pub/${1##*/}" || return 1
	printf '%s\n' "$pub/${1##*/}"
}

skip() { # NAME REASON
	count=$((count + 1))
	echo "ok $count $1 # SKIP $2"
}

# Run a test function in this shell (tests share state such as tables and
# daemons): ok when it returns 0; what it printed is the failure's detail.
# It may write TAP comments to fd 3, which are shown either way.
check() { # NAME FUNCTION [ARGS...]
	local name=$1
	shift
	if "$@" 3>&1 > "$tmp/detail" 2>&1; then
		ok "$name"
	else
		not_ok "$name" "$(< "$tmp/detail")"
	fi
}

# What the last run() got, for a failure's detail.
show() {
	printf 'command status %s\nstdout:\n%s\nstderr:\n%s\n' "$rc" "$out" "$err"
}

# The value WHAT is EXPECTED; else say both, and fail.
expect() { # WHAT EXPECTED ACTUAL
	[ "$2" = "$3" ] && return 0
	printf '%s:\n  want [%s]\n  got  [%s]\n' "$1" "$2" "$3"
	return 1
}

# Run a command: status in $rc, stdout in $out, stderr in $err.
run() {
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	out=$(< "$tmp/out")
	err=$(< "$tmp/err")
}
