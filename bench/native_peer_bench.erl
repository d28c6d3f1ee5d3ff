%% SPDX-License-Identifier: GPL-2.0
%%
%% bench/native_peer_bench.erl: the Erlang peers of the native section of
%% `make bench' (bench/bench-native.sh, on the host), in bench/bench.h's
%% row format. Run it as
%%
%%   erl +S 2:2 +sbt db -noshell -pa EBIN -run native_peer_bench main MODE...
%%
%% with schedulers bound to CPUs 0 and 1; worker I (1 or 2) runs on
%% scheduler I, so on CPU I - 1, as the C threads of
%% native_counter_bench run on CPUs 0 and 1.
%%
%%   ets PATTERN RUNS SECONDS
%%       ets:update_counter/3 on a public set table with
%%       {write_concurrency,true} and {decentralized_counters,true}.
%%   counters TYPE PATTERN RUNS SECONDS
%%       counters:add/3 on counters:new(9, [TYPE]), TYPE atomics or
%%       write_concurrency.
%%
%% PATTERN: 1 (one process), 2one (two processes on one key or index),
%% 2distinct (two processes on a key each; for counters, indices 1 and
%% 9: 64 bytes apart, on separate cache lines). Each of RUNS runs (after
%% a warm-up run of a fifth of SECONDS) counts for SECONDS; its rate is
%% the increments of all workers over the run's time, measured with
%% erlang:monotonic_time/1, and every counter must have grown by exactly
%% the increments made on it, else exit status 1. Group native-PATTERN;
%% role "ets" for the ETS rows (the native section's second reference),
%% "peer" for counters. With BENCH_SAMPLES set, one SAMPLE line per run.
-module(native_peer_bench).

-export([main/1]).

main(["ets", Pattern, Runs, Seconds]) ->
    run(fun () -> bench(ets, Pattern, list_to_integer(Runs), to_number(Seconds)) end);
main(["counters", Type, Pattern, Runs, Seconds])
  when Type =:= "atomics"; Type =:= "write_concurrency" ->
    run(fun () -> bench({counters, list_to_atom(Type)}, Pattern,
                        list_to_integer(Runs), to_number(Seconds)) end);
main(Args) ->
    fail("usage: ets PATTERN RUNS SECONDS | counters atomics|write_concurrency"
         " PATTERN RUNS SECONDS, not ~p", [Args]).

run(Fun) ->
    try Fun() of
        _ -> erlang:halt(0)
    catch
        Class:Reason:Stack ->
            fail("~p:~p ~p", [Class, Reason, Stack])
    end.

fail(Format, Args) ->
    io:format(standard_error, "bench: FAILED: " ++ Format ++ "~n", Args),
    erlang:halt(1).

to_number(S) ->
    try list_to_float(S) catch error:badarg -> list_to_integer(S) end.

now_ns() ->
    erlang:monotonic_time(nanosecond).

%% {workers, which counter each worker updates}
pattern("1") -> [1];
pattern("2one") -> [1, 1];
pattern("2distinct") -> [1, 2];
pattern(P) -> fail("unknown pattern ~s", [P]).

bench(Kind, Pattern, Runs, Seconds) ->
    Targets = pattern(Pattern),
    {Counter, Label} = setup(Kind, Pattern),
    Rates = [run_once(Counter, Targets, case R of 0 -> Seconds / 5; _ -> Seconds end)
             || R <- lists:seq(0, Runs)],
    Role = case Kind of ets -> "ets"; _ -> "peer" end,
    row_rate("native-" ++ Pattern, Role, Label, tl(Rates)).

setup(ets, Pattern) ->
    T = ets:new(native_bench, [set, public, {write_concurrency, true},
                               {decentralized_counters, true}]),
    true = ets:insert(T, [{key(1), 0}, {key(2), 0}]),
    {{ets, T}, "Erlang ets:update_counter (set, write_concurrency, "
               "decentralized_counters), " ++ what(Pattern, "key")};
setup({counters, Type}, Pattern) ->
    C = counters:new(9, [Type]),
    {{counters, C}, io_lib:format("Erlang counters:add (counters:new(N, [~s])), ~s",
                                  [Type, what(Pattern, "index")])}.

what("1", _) -> "1 process";
what("2one", Key) -> "2 processes on one " ++ Key;
what("2distinct", "key") -> "2 processes on distinct keys";
what("2distinct", "index") -> "2 processes on distinct indices (separate cache lines)".

key(1) -> count1;
key(2) -> count2.

index(1) -> 1;
index(2) -> 9.

value({ets, T}, I) ->
    [{_, V}] = ets:lookup(T, key(I)),
    V;
value({counters, C}, I) ->
    counters:get(C, index(I)).

run_once(Counter, Targets, Seconds) ->
    Before = [value(Counter, I) || I <- [1, 2]],
    Self = self(),
    T0 = now_ns(),
    Deadline = T0 + round(Seconds * 1.0e9),
    Workers = lists:zip(lists:seq(1, length(Targets)), Targets),
    Pids = [{spawn_worker(W, fun () -> Self ! {done, self(), loop(Counter, I, Deadline, 0)} end), I}
            || {W, I} <- Workers],
    Done = [{I, receive {done, P, N} -> N end} || {P, I} <- Pids],
    T1 = now_ns(),
    After = [value(Counter, I) || I <- [1, 2]],
    lists:foreach(
      fun ({I, B, A}) ->
              Made = lists:sum([N || {J, N} <- Done, J =:= I]),
              case A - B of
                  Made -> ok;
                  Diff -> fail("counter ~b grew by ~b, but ~b increments were made on it",
                               [I, Diff, Made])
              end
      end, lists:zip3([1, 2], Before, After)),
    lists:sum([N || {_, N} <- Done]) * 1.0e9 / (T1 - T0).

%% Worker W on scheduler W (bound to CPU W - 1 by +sbt db); the
%% {scheduler, N} spawn option is undocumented: without it, a plain spawn.
spawn_worker(W, Fun) ->
    try
        spawn_opt(Fun, [link, {scheduler, W}])
    catch
        error:badarg -> spawn_link(Fun)
    end.

loop(Counter, I, Deadline, N) ->
    count64(Counter, I, 64),
    case now_ns() < Deadline of
        true -> loop(Counter, I, Deadline, N + 64);
        false -> N + 64
    end.

count64({ets, T}, I, K) -> ets64(T, key(I), K);
count64({counters, C}, I, K) -> counters64(C, index(I), K).

ets64(_, _, 0) -> ok;
ets64(T, Key, K) ->
    ets:update_counter(T, Key, 1),
    ets64(T, Key, K - 1).

counters64(_, _, 0) -> ok;
counters64(C, Ix, K) ->
    counters:add(C, Ix, 1),
    counters64(C, Ix, K - 1).

%% ---------------------------------------------------------------- rows

row_rate(Group, Role, Label, Rates) ->
    case os:getenv("BENCH_SAMPLES") of
        false ->
            io:format("ROW|~s|~s|~s|ops/s|~b|~b|~b~n",
                      [Group, Role, Label, length(Rates), round(median(Rates)),
                       round(percentile(Rates, 1))]);
        _ ->
            [io:format("SAMPLE|~s|~s|~s|ops/s|~b~n", [Group, Role, Label, round(R)])
             || R <- Rates]
    end.

median(L) ->
    S = lists:sort(L),
    N = length(S),
    case N rem 2 of
        1 -> lists:nth(N div 2 + 1, S) * 1.0;
        0 -> (lists:nth(N div 2, S) + lists:nth(N div 2 + 1, S)) / 2
    end.

%% nearest rank, as bench/bench.h
percentile(L, P) ->
    S = lists:sort(L),
    N = length(S),
    Rank = min(N, max(1, ceil(P / 100 * N - 0.000001))),
    lists:nth(Rank, S) * 1.0.
