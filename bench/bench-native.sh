#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench/bench-native.sh OUTDIR - the native section of `make bench`: the
# counter benchmarks that need no kernel module, run on the host itself
# (not in the QEMU guest), so that their ratios are those of the real
# CPU. scripts/bench runs it before booting the VM and merges its rows
# into the one bench/results.md; run alone, it writes OUTDIR/results.md
# with the native section only.
#
# Rows (counter increments per second; threads and Erlang schedulers on
# CPUs 0 and 1): 1 thread, 2 threads on one counter, 2 on distinct ones,
# for libetsmgr's etsmgr_set_update_counter (by key) and
# etsmgr_counter_add (a counter handle) on a record set in a memfd, the
# floor (a plain atomic add on the same memory), Erlang ets:update_counter
# and counters:add, and Redis INCR over loopback (-P 1 and -P 64).
#
# Writes OUTDIR/rows.txt (ROW lines, groups native-*), OUTDIR/notes.txt
# and OUTDIR/meta.txt (keys native_*), then OUTDIR/results.md.
#
# Environment: BENCH_QUICK=1 tiny counts (a smoke test of the plumbing).
# Exit status: 0, or 1 when a benchmark failed to do its work.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
out=${1:?usage: bench/bench-native.sh OUTDIR}
bin=$root/build/bench
quick=${BENCH_QUICK:-0}
redis_port=${BENCH_NATIVE_REDIS_PORT:-6397}
redis_pid=
scratch=$(mktemp -d /tmp/etsmgr-bench-native.XXXXXX)

# BLOCKS blocks, each running every benchmark for RUNS runs in turn (a
# drift of the host's load hits them alike); REDIS_SECONDS per Redis run.
if ((quick)); then
	BLOCKS=1 RUNS=1 RUN_SECONDS=0.05 REDIS_SECONDS=0.05
else
	BLOCKS=5 RUNS=1 RUN_SECONDS=0.5 REDIS_SECONDS=1
fi

cleanup() {
	if [ -n "$redis_pid" ]; then
		kill "$redis_pid" 2> /dev/null || true
		wait "$redis_pid" 2> /dev/null || true
	fi
	rm -rf "$scratch"
}
trap cleanup EXIT

fail() {
	echo "bench: FAILED: $*" >&2
	exit 1
}

progress() {
	echo "bench: [$(date -u +%H:%M:%S)] native: $*" >&2
}

note() {
	echo "$*" >> "$notes"
	echo "bench: note: $*" >&2
}

mkdir -p "$out"
rows=$out/rows.txt
notes=$out/notes.txt
samples=$out/samples.txt
: > "$rows"
: > "$notes"
: > "$samples"
[ -x "$bin/native_counter_bench" ] || fail "$bin/native_counter_bench is not built (make -C bench)"
ncpu=$(nproc)
((ncpu >= 2)) || fail "the native section needs 2 CPUs (CPUs 0 and 1), this host has $ncpu"

have_erl=0
if command -v erl > /dev/null && [ -f "$bin/ebin/native_peer_bench.beam" ]; then
	have_erl=1
else
	note "native Erlang rows not run: no erl, or native_peer_bench.beam not built (scripts/deps erlang-base; make -C bench)"
fi
have_redis=0
if command -v redis-server > /dev/null && command -v redis-benchmark > /dev/null &&
	command -v redis-cli > /dev/null; then
	have_redis=1
else
	note "native Redis rows not run: redis-server or redis-benchmark (redis-tools) missing"
fi

hv=
if grep -qw hypervisor /proc/cpuinfo; then
	hv=", itself a virtual machine (the CPU shows the hypervisor flag), but no emulation: the host's instructions run as they are"
fi
{
	echo "native_date $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "native_host $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $ncpu CPUs, $(awk '/MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo), $(uname -sr)$hv"
	echo "native_erlang $(erl -noshell -eval 'io:format("OTP ~s, erts ~s", [erlang:system_info(otp_release), erlang:system_info(version)]), halt().' 2> /dev/null || echo none)"
	echo "native_redis $(redis-server --version 2> /dev/null | sed 's/ sha=.*//' || echo none)"
	echo "native_quick $quick"
} > "$out/meta.txt"

export BENCH_SAMPLES=1

# A benchmark's SAMPLE lines to samples.txt (and nothing else).
sample() {
	"$@" >> "$samples" || fail "$* exited with status $?"
}

# ----------------------------------------------------------- Redis

# INCR on one key: the server on CPU 1, redis-benchmark (one connection)
# on CPU 0; the counter's value is checked after every run.
redis_total=0
redis_run() { # PIPELINE REQUESTS: the rate in $rate
	local after csv
	csv=$(taskset -c 0 redis-benchmark -h 127.0.0.1 -p "$redis_port" -t incr \
		-n "$2" -c 1 -P "$1" --csv) || fail "redis-benchmark"
	after=$(redis-cli -p "$redis_port" GET counter:__rand_int__) || fail "redis-cli GET"
	redis_total=$((redis_total + $2))
	((after == redis_total)) ||
		fail "Redis counter is $after after $redis_total INCRs"
	rate=$(sed -n 's/^"INCR","\([0-9.]*\)".*/\1/p' <<< "$csv")
	[ -n "$rate" ] || fail "no INCR rate in redis-benchmark's output: $csv"
}

declare -A redis_requests=()
redis_calibrate() { # PIPELINE: requests for about REDIS_SECONDS, a multiple of it
	redis_run "$1" $(($1 == 1 ? 2048 : 64 * 256))
	redis_requests[$1]=$(awk -v r="$rate" -v s="$REDIS_SECONDS" -v m="$1" \
		'BEGIN { n = int(r * s / m) * m; print (n < 64 * m ? 64 * m : n) }')
}

if ((have_redis)); then
	if redis-cli -p "$redis_port" PING > /dev/null 2>&1; then
		fail "something already answers on 127.0.0.1:$redis_port (BENCH_NATIVE_REDIS_PORT chooses another port)"
	fi
	taskset -c 1 redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
		--appendonly no --daemonize no --logfile "$scratch/redis.log" &
	redis_pid=$!
	for _ in $(seq 100); do
		redis-cli -p "$redis_port" PING 2> /dev/null | grep -q PONG && break
		sleep 0.1
	done
	redis-cli -p "$redis_port" PING | grep -q PONG || fail "redis-server did not start"
	redis-cli -p "$redis_port" SET counter:__rand_int__ 0 > /dev/null
fi

redis_samples() {
	local pipeline label
	for pipeline in 1 64; do
		[ -n "${redis_requests[$pipeline]:-}" ] || redis_calibrate "$pipeline"
		if [ "$pipeline" = 1 ]; then
			label="Redis INCR, loopback TCP, not pipelined (-P 1)"
		else
			label="Redis INCR, loopback TCP, pipelined (-P 64)"
		fi
		label+=", 1 client on CPU 0, server on CPU 1"
		for _ in $(seq "$RUNS"); do
			redis_run "$pipeline" "${redis_requests[$pipeline]}"
			echo "SAMPLE|native-1|peer|$label|ops/s|$rate" >> "$samples"
		done
	done
}

# ------------------------------------------------------------ blocks

erl_run() {
	sample erl +S 2:2 +sbt db -noshell -pa "$bin/ebin" -run native_peer_bench main "$@"
}

for block in $(seq "$BLOCKS"); do
	progress "block $block/$BLOCKS: atomic add, libetsmgr, ETS, counters, Redis ($RUNS run(s) of ${RUN_SECONDS}s each)"
	for pattern in 1 2one 2distinct; do
		for mode in atomic keyed handle; do
			sample "$bin/native_counter_bench" "$mode" "$pattern" "$RUNS" "$RUN_SECONDS"
		done
		if ((have_erl)); then
			erl_run ets "$pattern" "$RUNS" "$RUN_SECONDS"
			erl_run counters atomics "$pattern" "$RUNS" "$RUN_SECONDS"
			erl_run counters write_concurrency "$pattern" "$RUNS" "$RUN_SECONDS"
		fi
	done
	if ((have_redis)); then
		redis_samples
	fi
done
unset BENCH_SAMPLES
python3 "$root/bench/report.py" --merge "$samples" >> "$rows" || fail "bench/report.py --merge"
progress "done"
python3 "$root/bench/report.py" --markdown "$out/meta.txt" "$rows" "$notes" > "$out/results.md" ||
	fail "bench/report.py"
