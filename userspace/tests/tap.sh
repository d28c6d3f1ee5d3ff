# SPDX-License-Identifier: GPL-2.0
# TAP helpers of the host-side shell tests under userspace/ (sourced, not
# run): result STATUS NAME [DETAIL] counts a test and prints its line,
# with DETAIL as comments when it failed; $count and $failed are the
# totals. selftests/tap.sh is the richer set of the VM tests.

count=0
failed=0

result() { # STATUS NAME [DETAIL]
	count=$((count + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $count $2"
	else
		failed=$((failed + 1))
		echo "not ok $count $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
	return 0
}
