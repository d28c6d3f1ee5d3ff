#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages of `make deb`, installed as a user would install
# them, in the VM: dpkg -i of etsmgr-dkms, libetsmgr0, libetsmgr-dev and
# etsmgr-tools into the guest's throw-away root, DKMS building the module
# for the guest's kernel, modprobe etsmgr, then the seed's first scenario
# with the installed programs only (/usr/bin, /usr/sbin; not the build
# tree): etscounter start (etssup supervising etscounterd, no systemd),
# count x3, die (etssup restarts the daemon, which reclaims its table:
# same id), check, count, stop. Also: a program built against the
# installed libetsmgr-dev with pkg-config, and the installed systemd units
# (systemd-analyze verify). The packages stay installed in the guest (its
# root is thrown away at the end); purging them would cost one more
# depmod of every module of the kernel, minutes under emulation.
#
# Slow under emulation (TCG): DKMS compiles the module (about 10 files)
# and runs depmod over the kernel's ~4000 modules through 9p; dpkg -i
# took 27 minutes on a 2-core host with a load average of 14 (five QEMU
# guests at once), 16 on a less busy one. dpkg's output is streamed as TAP
# comments to show progress. man-db's index update (a dpkg trigger that
# reindexes every man page, minutes more) is turned off in the guest.
#
# Run by selftests/run-all in the VM (as root), or alone:
#   scripts/vm-run --no-load -- selftests/packaging_test.sh
# When the module of the build tree is loaded (the suite's VM), it is
# unloaded first and loaded again at the end. TAP output; skipped (exit 4)
# when not in a vm-run guest (it installs packages), not root, the .debs
# are not built (make deb), or there are no headers for the kernel.
#
# Checks read `A && B || { show; return 1; }`: fail when any part fails.
# shellcheck disable=SC2015
set -uo pipefail

dir=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
root=$(cd "$dir/.." && pwd)
debdir=${ETSMGR_DEB_DIR:-$root/build/deb}
kver=$(uname -r)
packages=(etsmgr-dkms libetsmgr0 libetsmgr-dev etsmgr-tools)
# The installed programs only: no build tree, no /usr/local.
installed_path=/usr/sbin:/usr/bin:/sbin:/bin
log=/run/etscounter.log	# etscounter start's default

skip_all() {
	echo "1..0 # SKIP $*"
	exit 4
}

[ "${VM_RUN:-}" = 1 ] ||
	skip_all "installs packages: only in a throw-away scripts/vm-run guest"
[ "$(id -u)" -eq 0 ] || skip_all "needs root"
debs=()
for p in "${packages[@]}"; do
	found=("$debdir/${p}_"*.deb)
	[ -f "${found[0]}" ] || skip_all "no $debdir/${p}_*.deb: run make deb first"
	debs+=("${found[0]}")
done
command -v dkms > /dev/null || skip_all "dkms is not installed (make deb installs it)"
[ -d "/lib/modules/$kver/build" ] ||
	skip_all "no kernel headers for $kver (/lib/modules/$kver/build)"
if pgrep -x etssup > /dev/null || pgrep -x etscounterd > /dev/null; then
	skip_all "etssup or etscounterd runs already"
fi

# The build tree's module (scripts/vm-run loaded it): out of the way, and
# back at the end.
reload_ko=
if [ -e /sys/module/etsmgr ]; then
	rmmod etsmgr 2> /dev/null ||
		skip_all "the loaded etsmgr cannot be unloaded (tables or sessions of other tests remain)"
	reload_ko=${ETSMGR_KO:-$root/module/etsmgr.ko}
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/packaging_test.XXXXXX")

cleanup() {
	PATH=$installed_path etscounter stop > /dev/null 2>&1
	if [ -n "$reload_ko" ]; then
		rmmod etsmgr 2> /dev/null
		insmod "$reload_ko" ||
			echo "# packaging_test: could not load $reload_ko again"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$dir/tap.sh"

# An installed program, with nothing of the build tree around.
inst() {
	run env -u ETSSUP -u ETSCOUNTERD -u ETSMGR_KO PATH="$installed_path" "$@"
}

# Wait up to 20 s for an extended regex in the counter's log.
wait_for_log() { # REGEX
	local deadline=$((SECONDS + 20))
	while ((SECONDS < deadline)); do
		grep -Eq -- "$1" "$log" 2> /dev/null && return 0
		sleep 0.05
	done
	printf 'timed out waiting for /%s/ in %s:\n' "$1" "$log"
	cat "$log" 2> /dev/null
	return 1
}

# ------------------------------------------------------------- install

test_install() {
	local start=$SECONDS
	echo "# dpkg -i ${debs[*]##*/}" >&3
	echo "# (DKMS builds etsmgr.ko for $kver: minutes under emulation)" >&3
	# The guest's root is a throw-away overlay: no man-db reindexing,
	# and DKMS, which builds for every kernel whose headers it finds
	# (the host may have three), sees only the guest's own.
	rm -f /var/lib/man-db/auto-update
	for b in /lib/modules/*/build; do
		[ "$b" = "/lib/modules/$kver/build" ] || rm -f "$b"
	done
	DEBIAN_FRONTEND=noninteractive dpkg -i "${debs[@]}" 2>&1 |
		tee "$tmp/dpkg.log" | sed -u 's/^/# dpkg: /' >&3
	rc=${PIPESTATUS[0]}
	[ $rc -eq 0 ] || { echo "dpkg -i exited with $rc"; return 1; }
	echo "# dpkg -i with the DKMS build took $((SECONDS - start)) s" >&3
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" | grep -qx 'install ok installed' ||
			{ echo "$p is not installed"; dpkg-query -W "$p"; return 1; }
	done
}

# The suffix of the kernel's own module files, which DKMS gives the
# module it installs too: .xz on Debian's 6.12 (CONFIG_MODULE_COMPRESS_XZ),
# none on its 6.1.
module_suffix() {
	local config=/boot/config-$kver
	[ -f "$config" ] || config=/lib/modules/$kver/build/.config
	if grep -qx 'CONFIG_MODULE_COMPRESS_XZ=y' "$config"; then
		echo .xz
	elif grep -qx 'CONFIG_MODULE_COMPRESS_ZSTD=y' "$config"; then
		echo .zst
	elif grep -qx 'CONFIG_MODULE_COMPRESS_GZIP=y' "$config"; then
		echo .gz
	fi
}

test_dkms_built() {
	local ko want vermagic
	run dkms status etsmgr
	# (the release quoted: a literal, 6.12's holds a '+')
	[[ $out =~ etsmgr/[0-9.]+,\ "$kver",\ [a-z0-9_]+:\ installed ]] ||
		{ show; return 1; }
	want=/lib/modules/$kver/updates/dkms/etsmgr.ko$(module_suffix)
	ko=$(modinfo -k "$kver" -n etsmgr 2> /dev/null)
	expect "modinfo -n etsmgr (DKMS's file)" "$want" "$ko" || return 1
	[ -f "$ko" ] || { echo "$ko is not a file"; ls -l "$(dirname "$ko")"; return 1; }
	# The file itself (modinfo reads compressed modules too).
	vermagic=$(modinfo -F vermagic "$ko")
	expect "vermagic of $ko" "$kver" "${vermagic%% *}"
}

test_modprobe() {
	local want got mode
	run modprobe etsmgr
	[ $rc -eq 0 ] || { show; return 1; }
	want=$(modinfo -k "$kver" -F srcversion etsmgr)
	got=$(cat /sys/module/etsmgr/srcversion)
	expect "srcversion of the loaded module (DKMS's)" "$want" "$got" || return 1
	[ -c /dev/etsmgr ] || { echo "no /dev/etsmgr"; return 1; }
	# The mode the udev rule gives, the one the security model documents.
	mode=$(stat -c %a /dev/etsmgr)
	expect "mode of /dev/etsmgr" 666 "$mode" || return 1
	grep -Eq '^KERNEL=="etsmgr", SUBSYSTEM=="misc", MODE="0666"$' \
		/lib/udev/rules.d/60-etsmgr.rules ||
		{ echo "the udev rule does not give mode 0666:"; cat /lib/udev/rules.d/60-etsmgr.rules; return 1; }
	grep -qx etsmgr /usr/lib/modules-load.d/etsmgr.conf ||
		{ echo "modules-load.d does not load etsmgr"; return 1; }
}

test_installed_files() {
	local f
	for f in /usr/bin/etscounter /usr/sbin/etscounterd /usr/sbin/etssup \
		 /usr/sbin/etsmgrctl; do
		[ -x "$f" ] || { echo "$f is missing"; return 1; }
	done
	for f in man1/etscounter.1 man8/etscounterd.8 man8/etssup.8 \
		 man8/etsmgrctl.8 man3/libetsmgr.3; do
		[ -f "/usr/share/man/$f.gz" ] || { echo "/usr/share/man/$f.gz is missing"; return 1; }
	done
	ldconfig -p | grep -q 'libetsmgr\.so\.0 ' ||
		{ echo "ldconfig does not know libetsmgr.so.0"; return 1; }
	run pkg-config --modversion libetsmgr
	expect "pkg-config --modversion libetsmgr" \
		"$(dpkg-query -W -f='${Version}' libetsmgr-dev)" "$out"
}

# The example of libetsmgr(3), built against the installed headers and
# shared library: run twice, it creates its table, then reclaims it.
test_dev_package() {
	local first second
	zcat /usr/share/man/man3/libetsmgr.3.gz |
		sed -n '/^\.EX$/,/^\.EE$/{/^\.E[XE]$/d;p}' |
		sed '/^cc /,$d; s/\\-/-/g; s/\\e/\\/g' > "$tmp/example.c"
	grep -q '^int main' "$tmp/example.c" ||
		{ echo "no example in libetsmgr(3):"; cat "$tmp/example.c"; return 1; }
	run sh -c "cc -Wall -Wextra -Werror -o '$tmp/example' '$tmp/example.c' \$(pkg-config --cflags --libs libetsmgr)"
	[ $rc -eq 0 ] || { show; return 1; }
	# The installed library (merged /usr: /lib is /usr/lib).
	run ldd "$tmp/example"
	grep -Eq 'libetsmgr\.so\.0 => /(usr/)?lib/x86_64-linux-gnu/libetsmgr\.so\.0 ' <<< "$out" ||
		{ show; return 1; }
	run "$tmp/example"
	[ $rc -eq 0 ] || { show; return 1; }
	first=$out
	run "$tmp/example"
	[ $rc -eq 0 ] || { show; return 1; }
	second=$out
	[[ $first =~ ^table\ ([0-9]+),\ created,\ count\ 1$ ]] ||
		{ echo "first run: [$first]"; return 1; }
	expect "second run" "table ${BASH_REMATCH[1]}, reclaimed, count 2" "$second" ||
		return 1
	inst etsmgrctl delete mydaemon.state
	[ $rc -eq 0 ] || { show; return 1; }
}

test_units() {
	command -v systemd-analyze > /dev/null || {
		echo "# no systemd-analyze: units not verified" >&3
		return 0
	}
	cp /lib/systemd/system/etssup@.service "$tmp/etssup@example.service"
	run systemd-analyze verify /lib/systemd/system/etscounter.service \
		"$tmp/etssup@example.service"
	[ $rc -eq 0 ] && [ -z "$out$err" ] || { show; return 1; }
}

# ------------------------------------------------ the seed's scenario

table_id=

test_start() {
	local pid
	rm -f "$log"
	inst etscounter start
	[ $rc -eq 0 ] && [ -z "$out" ] && [ -z "$err" ] || { show; return 1; }
	wait_for_log '^etscounter_srv: got a table [0-9]+ from etsmgr, created\.$' ||
		return 1
	table_id=$(sed -nE 's/^etscounter_srv: got a table ([0-9]+) from etsmgr, created\.$/\1/p' "$log")
	pid=$(cat /run/etssup/etscounter.pid)
	expect "etssup's program" /usr/sbin/etssup "$(readlink "/proc/$pid/exe")" &&
		expect "etscounterd's program" /usr/sbin/etscounterd \
			"$(readlink "/proc/$(pgrep -x etscounterd)/exe")"
}

test_counts() { # FROM TO
	local n
	for ((n = $1; n <= $2; n++)); do
		inst etscounter count
		expect "count" "Counter $n." "$out" || { show; return 1; }
	done
}

test_check() { # N
	inst etscounter check
	expect "check" "Table: $table_id, Data [{count,$1}]." "$out" ||
		{ show; return 1; }
}

test_die() {
	local before
	before=$(pgrep -x etscounterd)
	inst etscounter die
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_log "^etscounter_srv: got a table $table_id from etsmgr, reclaimed " ||
		return 1
	grep -q 'errorContext: child_terminated' "$log" ||
		{ echo "no SUPERVISOR REPORT of the exit:"; cat "$log"; return 1; }
	[ "$(pgrep -x etscounterd)" != "$before" ] ||
		{ echo "etscounterd $before was not restarted"; return 1; }
}

test_info() {
	inst etsmgrctl info
	grep -Eq "^etscounter id $table_id owner [0-9]+ state owned " <<< "$out" ||
		{ show; return 1; }
}

test_stop() {
	inst etscounter stop
	[ $rc -eq 0 ] || { show; return 1; }
	wait_for_log '^etscounter_srv: terminating$' || return 1
	inst etsmgrctl info
	[ $rc -eq 0 ] && ! grep -q '^etscounter ' <<< "$out" || { show; return 1; }
	! pgrep -x etssup > /dev/null || { echo "etssup still runs"; return 1; }
}

check "dpkg -i of the four packages; DKMS builds the module" test_install
if [ "$failed" -ne 0 ]; then
	echo "1..$count"
	exit 1
fi
check "dkms status: etsmgr installed for $kver, in updates/dkms" test_dkms_built
check "modprobe etsmgr loads DKMS's module; /dev/etsmgr mode 0666 as the udev rule" \
	test_modprobe
check "installed: programs, man pages, libetsmgr.so.0, pkg-config libetsmgr" \
	test_installed_files
check "libetsmgr(3)'s example, built with pkg-config: created, then reclaimed" \
	test_dev_package
check "systemd-analyze verify of the installed units" test_units
check "etscounter start: /usr/sbin/etssup supervises /usr/sbin/etscounterd" \
	test_start
check "count x3: Counter 1. 2. 3." test_counts 1 3
check "check: Data [{count,3}]." test_check 3
check "die: etssup restarts etscounterd, which reclaims its table" test_die
check "check after die: same table id, Data [{count,3}]." test_check 3
check "count after die: Counter 4." test_counts 4 4
check "etsmgrctl info: the table, owned" test_info
check "stop: etssup and etscounterd gone, table deleted" test_stop

echo "1..$count"
[ "$failed" -eq 0 ]
