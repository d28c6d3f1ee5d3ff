#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench/bench-vm.sh OUTDIR - the `make bench` run, inside the VM that
# scripts/bench boots (root, etsmgr.ko loaded, 2 CPUs): every benchmark
# side by side with its peers in this one guest, one progress line per
# section on stderr, their ROW lines (bench/bench.h) collected in
# OUTDIR/rows.txt, then bench/report.py writes OUTDIR/results.md.
#
# Sections: reclaim latency (etsmgr vs memfd_create, shm_open, SCM_RIGHTS),
# recovery after SIGKILL (etscounterd under etssup vs the Erlang etsmgr
# example), manager restart (etsmgr.ko drain + rmmod + insmod vs a kill of
# the Erlang example's etsmgr_srv), counter throughput on one and two cores (libetsmgr vs Erlang
# ETS vs Redis INCR), scale (attach vs table size, create/dump/delete per
# table for 10..10000 tables, kernel memory per table). The reclaim,
# recovery and manager sections each start with their floor, the section's
# base row: one ioctl + mmap + first fault of an open memfd (in
# reclaim_bench); fork + exec + first accept of a trivial server under a
# minimal supervisor (restart_floor); rmmod + insmod of a module that does
# nothing (noop.ko, built by make -C bench for this kernel).
#
# Environment (set by scripts/bench):
#   BENCH_ERLANG_EBIN    ebin of the built public Erlang etsmgr example;
#                        empty: the Erlang rows are not run, and
#   BENCH_ERLANG_WHY     says why (it goes into the results)
#   BENCH_HOST           a line describing the host machine
#   BENCH_QUICK=1        tiny iteration counts (a smoke test of the
#                        plumbing; its figures mean nothing)
# Exit status: 0, or 1 when a benchmark failed to do its work.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
out=${1:?usage: bench/bench-vm.sh OUTDIR}
bin=$root/build/bench
export PATH="$root/userspace/etscounter:$root/userspace/etsmgrctl:$root/userspace/supervisor:$PATH"
rows=$out/rows.txt
notes=$out/notes.txt
scratch=$(mktemp -d /tmp/etsmgr-bench.XXXXXX)
quick=${BENCH_QUICK:-0}
erl_ebin=${BENCH_ERLANG_EBIN:-}
redis_port=6399
redis_pid=

if ((quick)); then
	RECLAIM_ROUNDS=100 KILLS=3 KILL_PAUSE_MS=550 BLOCKS=2 RUNS=1 RUN_SECONDS=0.2
	MANAGER_PAUSE_MS=6500
	SIZE_ITERATIONS=10 TABLE_COUNTS="10 100"
else
	RECLAIM_ROUNDS=3000 KILLS=20 KILL_PAUSE_MS=800 BLOCKS=2 RUNS=4 RUN_SECONDS=0.5
	# etsmgr_sup gives up after more than 1 restart in 5 s (whole seconds).
	MANAGER_PAUSE_MS=6500
	SIZE_ITERATIONS=200 TABLE_COUNTS="10 100 1000 10000"
fi

cleanup() {
	[ -n "$redis_pid" ] && kill "$redis_pid" 2> /dev/null
	[ -e /run/etssup/etscounter.pid ] &&
		etscounter --socket "$scratch/etscounter.sock" stop > /dev/null 2>&1
	rm -rf "$scratch"
}
trap cleanup EXIT

fail() {
	echo "bench: FAILED: $*" >&2
	exit 1
}

plural() { # N: "s" unless N is 1
	[ "$1" = 1 ] || echo s
}

progress() {
	echo "bench: [$(date -u +%H:%M:%S)] $*" >&2
}

note() {
	echo "$*" >> "$notes"
	echo "bench: note: $*" >&2
}

# A benchmark program: its ROW lines to rows.txt (and the terminal).
row() {
	"$@" | tee -a "$rows" || fail "$1 exited with status ${PIPESTATUS[0]}"
}

[ "$(id -u)" -eq 0 ] || fail "run it as root in the VM (make bench)"
[ -c /dev/etsmgr ] || fail "/dev/etsmgr is missing: the module is not loaded"
# The guest boots with loopback down; Redis and its clients need it.
ip link set lo up || fail "ip link set lo up"
for f in reclaim_bench recovery_bench restart_floor scale_bench counter_bench; do
	[ -x "$bin/$f" ] || fail "$bin/$f is not built (make -C bench)"
done
noop_ko=$bin/noop/noop.ko
[ -f "$noop_ko" ] || fail "$noop_ko is not built (make -C bench noop)"
noop_for=$(modinfo -F vermagic "$noop_ko" | awk '{ print $1 }')
[ "$noop_for" = "$(uname -r)" ] ||
	fail "$noop_ko is built for ${noop_for:-?}, this guest runs $(uname -r) (make -C bench noop KERNEL=$(uname -r))"
mkdir -p "$out"
: > "$rows"
: > "$notes"
ncpu=$(nproc)
((ncpu >= 2)) || note "the guest has $ncpu CPU: the two-core rows are not real"

{
	echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "kernel $(uname -r) ($(uname -v))"
	case ${BENCH_ACCEL:-tcg} in
	kvm*) echo "accel kvm" ;;
	*) echo "accel tcg" ;;
	esac
	echo "accel_why ${BENCH_ACCEL:-tcg (not told by scripts/bench)}"
	case ${BENCH_ACCEL:-tcg} in
	kvm*) printf 'guest QEMU KVM (hardware virtualisation), ' ;;
	*) printf 'guest QEMU TCG (software emulation), ' ;;
	esac
	echo "$ncpu vCPUs, $(awk '/MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo) RAM, model \"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\""
	echo "host ${BENCH_HOST:-unknown}"
	echo "quick $quick"
	echo "erlang $(erl -noshell -eval 'io:format("OTP ~s, erts ~s", [erlang:system_info(otp_release), erlang:system_info(version)]), halt().' 2> /dev/null || echo none)"
	echo "redis $(redis-server --version 2> /dev/null | sed 's/ sha=.*//' || echo none)"
} > "$out/meta.txt"

# ------------------------------------------------------------- reclaim

progress "1/5 reclaim latency: the floor (ioctl + mmap), etsmgr, memfd_create, shm_open, SCM_RIGHTS ($RECLAIM_ROUNDS rounds)"
row "$bin/reclaim_bench" "$RECLAIM_ROUNDS" 65536

# ------------------------------------------------------------ recovery

sock=$scratch/etscounter.sock
etsmgrctl delete etscounter > /dev/null 2>&1 || true

# recovery_row LOG ROLE LABEL [START-OPTION...]: etscounter start (etssup
# supervising etscounterd, holding its socket), KILLS SIGKILLs, stop.
recovery_row() {
	local log=$1 role=$2 label=$3
	shift 3
	etscounter --socket "$sock" --log "$log" start --intensity 100000 --period 1 "$@" ||
		fail "etscounter start $*"
	if [ "${1:-}" = --standby ]; then
		for _ in $(seq 300); do
			grep -q 'standby: waiting to take over' "$log" && break
			sleep 0.1
		done
		grep -q 'standby: waiting to take over' "$log" || fail "no standby in $log"
	fi
	row "$bin/recovery_bench" "$sock" etscounter "$KILLS" "$KILL_PAUSE_MS" "$role" "$label"
	etscounter --socket "$sock" stop || fail "etscounter stop"
}

progress "2/5 recovery floor: SIGKILL -> fork + exec + first accept of a trivial server ($KILLS kills)"
row "$bin/restart_floor" "$scratch/floor.sock" "$KILLS" "$KILL_PAUSE_MS" base \
	"floor: SIGKILL -> a minimal supervisor forks and execs a trivial server on the socket it holds -> first accept answered (one byte)"

progress "2/5 recovery after SIGKILL: etscounterd under etssup ($KILLS kills)"
recovery_row "$scratch/etscounter.log" peer \
	"etscounterd (etscounter start): SIGKILL -> etssup restarts it (fork, exec) -> reclaim from etsmgr.ko -> first count (old value + 1)"
echo "bench:   reclaims logged: $(grep -c 'from etsmgr, reclaimed' "$scratch/etscounter.log")" >&2

if etscounter --help 2>&1 | grep -q -- '--standby'; then
	progress "2/5 recovery after SIGKILL: etscounterd with a hot standby ($KILLS kills)"
	recovery_row "$scratch/standby.log" peer \
		"etscounterd (etscounter start --standby): SIGKILL -> the idle standby gets the table from etssup -> first count (old value + 1)" \
		--standby
	echo "bench:   standby take-overs logged: $(grep -c 'taken over by the standby' "$scratch/standby.log")" >&2
else
	note "etscounter start has no --standby option: no recovery row with a hot standby"
fi

if [ -n "$erl_ebin" ]; then
	progress "2/5 recovery after kill: the Erlang etsmgr example ($KILLS kills)"
	row erl -noshell -pa "$erl_ebin" -pa "$bin/ebin" \
		-run etsmgr_peer_bench main recovery "$KILLS" "$KILL_PAUSE_MS" \
		"$scratch/erlang-etscounter.log"
else
	note "Erlang recovery row not run: ${BENCH_ERLANG_WHY:-no Erlang etsmgr example}"
fi

# -------------------------------------------------------------- manager
#
# The seed's second example: the manager goes away and comes back. Ours:
# drain, rmmod, insmod while a client counts; from insmod to the table
# adopted by etscounterd, same id (selftests/etscounter_tool.py reloads,
# which also checks that no count was lost); timed from rmmod, as its floor
# (module-floor: rmmod + insmod of noop.ko, run the same way). Erlang's:
# etsmgr_srv killed, from the kill to the table registered again.

progress "3/5 manager restart floor: rmmod + insmod of a module that does nothing ($KILLS reloads)"
BENCH_ROW="manager|base|floor: rmmod + insmod of a module that does nothing (noop.ko)" \
	row python3 "$root/selftests/etscounter_tool.py" module-floor "$KILLS" "$noop_ko"

progress "3/5 manager restart: etsmgr.ko drain + rmmod + insmod ($KILLS reloads)"
etscounter --socket "$sock" --log "$scratch/reload.log" start ||
	fail "etscounter start (reloads)"
ko=${ETSMGR_KO:-$root/module/etsmgr.ko}
BENCH_ROW="manager|peer|etsmgr.ko reload: drain, then rmmod + insmod -> etscounterd adopts its table (timed from rmmod; same id; counts answered throughout)" \
	row python3 "$root/selftests/etscounter_tool.py" reloads "$sock" "$KILLS" "$ko" \
	"$scratch/reload.log"
etscounter --socket "$sock" stop || fail "etscounter stop (reloads)"

if [ -n "$erl_ebin" ]; then
	progress "3/5 manager restart: the Erlang etsmgr example ($KILLS kills of etsmgr_srv)"
	row erl -noshell -pa "$erl_ebin" -pa "$bin/ebin" \
		-run etsmgr_peer_bench main manager "$KILLS" "$MANAGER_PAUSE_MS" \
		"$scratch/erlang-manager.log"
else
	note "Erlang manager restart row not run: ${BENCH_ERLANG_WHY:-no Erlang etsmgr example}"
fi

# ------------------------------------------------------------- counter
#
# In BLOCKS blocks, each running every counter benchmark for RUNS runs in
# turn, so that a drift of the shared host's load hits them alike; their
# SAMPLE lines (one per run) are merged into one ROW each at the end.

samples=$out/samples.txt
: > "$samples"
export BENCH_SAMPLES=1

have_redis=0
if command -v redis-server > /dev/null && command -v redis-benchmark > /dev/null; then
	have_redis=1
	redis-server --port $redis_port --bind 127.0.0.1 --save '' \
		--appendonly no --daemonize no --logfile "$scratch/redis.log" &
	redis_pid=$!
	for _ in $(seq 100); do
		redis-cli -p $redis_port PING 2> /dev/null | grep -q PONG && break
		sleep 0.1
	done
	redis-cli -p $redis_port PING | grep -q PONG || fail "redis-server did not start"
	redis-cli -p $redis_port SET counter:__rand_int__ 0 > /dev/null
else
	note "Redis rows not run: redis-server or redis-benchmark (redis-tools) missing"
fi
have_erl=0
if command -v erl > /dev/null; then
	have_erl=1
else
	note "Erlang counter rows not run: no erl"
fi

# A benchmark's SAMPLE lines to samples.txt.
sample() {
	"$@" >> "$samples" || fail "$1 exited with status $?"
}

# redis_pin CORES: one core: the server and its client on CPU 0; two
# cores: the server on CPU 1, the client on CPU 0, two connections.
redis_pin() {
	if [ "$1" = 1 ]; then
		taskset -a -p -c 0 "$redis_pid" > /dev/null
		clients=1
	else
		taskset -a -p -c 1 "$redis_pid" > /dev/null
		clients=2
	fi
}

# redis_run PIPELINE REQUESTS: the rate in $rate; fails on a wrong count
# (the counter must be redis_total + REQUESTS).
redis_total=0
redis_run() {
	local after csv
	csv=$(taskset -c 0 redis-benchmark -h 127.0.0.1 -p $redis_port -t incr \
		-n "$2" -c "$clients" -P "$1" --csv) || fail "redis-benchmark"
	after=$(redis-cli -p $redis_port GET counter:__rand_int__) || fail "redis-cli GET"
	redis_total=$((redis_total + $2))
	((after == redis_total)) ||
		fail "Redis counter is $after after $redis_total INCRs"
	rate=$(sed -n 's/^"INCR","\([0-9.]*\)".*/\1/p' <<< "$csv")
	[ -n "$rate" ] || fail "no INCR rate in redis-benchmark's output: $csv"
}

# Requests for about RUN_SECONDS, by cores and pipeline (calibrated once;
# redis-benchmark sends whole pipelines, so a multiple of PIPELINE x
# CLIENTS requests is exactly what it sends).
declare -A redis_requests=()
redis_calibrate() { # CORES PIPELINE
	local m=$(($2 * clients))
	redis_run "$2" $(($2 == 1 ? 512 : 64 * 64))
	redis_requests[$1.$2]=$(awk -v r="$rate" -v s="$RUN_SECONDS" -v m=$m \
		'BEGIN { n = int(r * s / m) * m; print (n < 64 * m ? 64 * m : n) }')
}

# redis_samples CORES: RUNS runs of INCR, not pipelined and pipelined.
redis_samples() {
	local cores=$1 pipeline label rate
	redis_pin "$cores"
	for pipeline in 1 64; do
		[ -n "${redis_requests[$cores.$pipeline]:-}" ] ||
			redis_calibrate "$cores" "$pipeline"
		if [ "$pipeline" = 1 ]; then
			label="Redis INCR, loopback TCP, not pipelined (-P 1)"
		else
			label="Redis INCR, loopback TCP, pipelined (-P 64)"
		fi
		label+=", $clients client$(plural "$clients"), server + client on $cores core$(plural "$cores")"
		for _ in $(seq "$RUNS"); do
			redis_run "$pipeline" "${redis_requests[$cores.$pipeline]}"
			echo "SAMPLE|counter-${cores}core|peer|$label|ops/s|$rate" >> "$samples"
		done
	done
}

for cores in 1 2; do
	if [ "$cores" = 2 ] && ((ncpu < 2)); then
		note "two-core counter rows not run: $ncpu CPU"
		continue
	fi
	for block in $(seq "$BLOCKS"); do
		progress "4/5 counter throughput on $cores core(s), block $block/$BLOCKS: libetsmgr, Erlang ETS, Redis INCR ($RUNS runs of ${RUN_SECONDS}s each)"
		sample "$bin/counter_bench" "$cores" "$RUNS" "$RUN_SECONDS"
		if ((have_erl)) && [ "$cores" = 1 ]; then
			sample taskset -c 0 erl +S 1:1 -noshell -pa "$bin/ebin" \
				-run etsmgr_peer_bench main counter 1 "$RUNS" "$RUN_SECONDS"
		elif ((have_erl)); then
			sample erl +S 2:2 +sbt db -noshell -pa "$bin/ebin" \
				-run etsmgr_peer_bench main counter 2 "$RUNS" "$RUN_SECONDS"
		fi
		if ((have_redis)); then
			redis_samples "$cores"
		fi
	done
done
if [ -n "$redis_pid" ]; then
	kill "$redis_pid"
	wait "$redis_pid" 2> /dev/null || true
	redis_pid=
fi
unset BENCH_SAMPLES
python3 "$root/bench/report.py" --merge "$samples" | tee -a "$rows"
[ "${PIPESTATUS[0]}" = 0 ] || fail "bench/report.py --merge"

# --------------------------------------------------------------- scale

progress "5/5 scale: reclaim time vs table size, 4 KiB .. 1 GiB ($SIZE_ITERATIONS each)"
row "$bin/scale_bench" sizes "$SIZE_ITERATIONS"
progress "5/5 scale: create, dump, delete per table for $TABLE_COUNTS tables"
# shellcheck disable=SC2086
row "$bin/scale_bench" tables $TABLE_COUNTS
progress "done"

python3 "$root/bench/report.py" --markdown "$out/meta.txt" "$rows" "$notes" > "$out/results.md" ||
	fail "bench/report.py"
