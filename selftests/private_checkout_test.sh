#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The tests that run programs as other uids, from a checkout they cannot
# reach: a copy of what container_test.sh and etsmgrctl_test.sh need, in
# "a checkout" (a path with a space) under a 0700 directory, as a clone
# under /root or a private home would be.  Their TAP lines pass through
# unchanged, so each of their tests counts here once more.  Run by
# selftests/run-all in the VM (root, module loaded); skipped (exit 4) when
# not root or without /dev/etsmgr.
set -uo pipefail

dir=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
ctl=${ETSMGRCTL:-$dir/../userspace/etsmgrctl/etsmgrctl}

. "$dir/tap.sh"
need_root_and_module
for f in "$ctl" "$dir/ets-tool" "$dir/container_test.sh" \
	 "$dir/etsmgrctl_test.sh" "$dir/tap.sh"; do
	if [ ! -f "$f" ]; then
		echo "not ok 1 the files to copy are there ($f)"
		echo "1..1"
		exit 1
	fi
done

private=$(mktemp -d "${TMPDIR:-/tmp}/private_checkout.XXXXXX")
trap 'rm -rf "$private"' EXIT
chmod 0700 "$private"
co="$private/a checkout"
mkdir -p "$co/selftests" "$co/userspace/etsmgrctl"
cp -p "$dir/container_test.sh" "$dir/etsmgrctl_test.sh" "$dir/tap.sh" \
	"$dir/ets-tool" "$co/selftests/"
cp -p "$ctl" "$co/userspace/etsmgrctl/etsmgrctl"
# Nobody but root may enter the checkout, or the run proves nothing.
if setpriv --reuid 65534 --regid 65534 --clear-groups \
	test -x "$co/userspace/etsmgrctl/etsmgrctl" 2> /dev/null; then
	echo "not ok 1 uid 65534 cannot reach $co"
	echo "1..1"
	exit 1
fi

rc=0
for t in container_test.sh etsmgrctl_test.sh; do
	echo "# private_checkout_test: $t from $co"
	# The plan and the counts are the inner runs': one TAP stream each,
	# numbered on from the last.
	env -u ETSMGRCTL TMPDIR=/tmp "$co/selftests/$t" || rc=1
done
exit $rc
