%% SPDX-License-Identifier: GPL-2.0
%%
%% bench/etsmgr_peer_bench.erl: the Erlang peers of `make bench', printed
%% in bench/bench.h's row format (ROW|GROUP|ROLE|LABEL|UNIT|N|MEDIAN|P99).
%%
%%   erl -noshell -pa EBIN... -run etsmgr_peer_bench main counter WORKERS RUNS SECONDS
%%       ets:update_counter/3 on one key of a public set table by WORKERS
%%       processes (run it with +S WORKERS); each run's rate is the
%%       increments of all workers over the run's time, checked against
%%       the counter's value. With BENCH_SAMPLES set, one SAMPLE line
%%       per run (bench/bench.h) instead of the ROW.
%%
%%   erl -noshell -pa EBIN... -run etsmgr_peer_bench main recovery KILLS PAUSE_MS LOG
%%       the public etsmgr example's etscounter application (its etsmgr,
%%       etscounter_sup and etscounter_srv, built outside this repository):
%%       KILLS times, count, exit(Pid, kill) of etscounter_srv (as SIGKILL:
%%       untrappable), and time until the first count after it is served
%%       with the old value + 1 (the cast, then sys:get_state/1 to wait for
%%       it, then an ets:lookup/2 of the table). The logger writes to LOG
%%       at level notice, as etscounterd's reports go to its log. PAUSE_MS
%%       between kills keeps the example's supervisor (intensity 10 in 5 s)
%%       from giving up.
%%
%%   erl -noshell -pa EBIN... -run etsmgr_peer_bench main manager KILLS PAUSE_MS LOG
%%       the same application, but the manager is what dies: KILLS times,
%%       count, exit(Pid, kill) of etsmgr_srv, and time until a new
%%       etsmgr_srv lists the etscounter table again (etscounter_srv saw
%%       the EXIT, waited for the restart with etsmgr:wait4etsmgr/0,
%%       which looks once a second, and registered the table again with
%%       add_table); then a count must give the old value + 1. PAUSE_MS
%%       between kills keeps etsmgr_sup (intensity 1 in 5 s) going.
%%
%% Exits with status 1 when a count comes out wrong or a step fails.
-module(etsmgr_peer_bench).

-export([main/1]).

main(["counter", Workers, Runs, Seconds]) ->
    run(fun () -> counter(list_to_integer(Workers), list_to_integer(Runs),
                          list_to_float_or_int(Seconds)) end);
main(["recovery", Kills, Pause, Log]) ->
    run(fun () -> recovery(list_to_integer(Kills), list_to_integer(Pause), Log) end);
main(["manager", Kills, Pause, Log]) ->
    run(fun () -> manager(list_to_integer(Kills), list_to_integer(Pause), Log) end);
main(Args) ->
    fail("usage: counter WORKERS RUNS SECONDS | recovery KILLS PAUSE_MS LOG"
         " | manager KILLS PAUSE_MS LOG, not ~p", [Args]).

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

list_to_float_or_int(S) ->
    try list_to_float(S) catch error:badarg -> list_to_integer(S) end.

now_ns() ->
    erlang:monotonic_time(nanosecond).

%% ------------------------------------------------------------- counter

counter(Workers, Runs, Seconds) ->
    T = ets:new(bench_counter, [set, public, {write_concurrency, true}]),
    true = ets:insert(T, {count, 0}),
    Rates = [counter_run(T, Workers, Seconds) || _ <- lists:seq(0, Runs)],
    %% the first run warms up
    Label = io_lib:format("Erlang ets:update_counter, ~b process~s on ~b core~s",
                          [Workers, plural(Workers, "es"), Workers, plural(Workers, "s")]),
    Group = case Workers of 1 -> "counter-1core"; _ -> "counter-2core" end,
    row_rate(Group, "peer", Label, tl(Rates)).

plural(1, _) -> "";
plural(_, S) -> S.

counter_run(T, Workers, Seconds) ->
    [{count, Before}] = ets:lookup(T, count),
    Self = self(),
    T0 = now_ns(),
    Deadline = T0 + round(Seconds * 1.0e9),
    Pids = [spawn_link(fun () -> Self ! {done, self(), count_loop(T, Deadline, 0)} end)
            || _ <- lists:seq(1, Workers)],
    Total = lists:sum([receive {done, P, N} -> N end || P <- Pids]),
    T1 = now_ns(),
    [{count, After}] = ets:lookup(T, count),
    case After - Before of
        Total -> ok;
        Diff -> fail("the counter grew by ~b, but ~b increments were made", [Diff, Total])
    end,
    Total * 1.0e9 / (T1 - T0).

count_loop(T, Deadline, N) ->
    count64(T, 64),
    case now_ns() < Deadline of
        true -> count_loop(T, Deadline, N + 64);
        false -> N + 64
    end.

count64(_, 0) -> ok;
count64(T, K) ->
    ets:update_counter(T, count, 1),
    count64(T, K - 1).

%% ------------------------------------------------------------ recovery

recovery(Kills, Pause, Log) ->
    ok = logger:set_primary_config(level, notice),
    _ = logger:remove_handler(default),
    ok = logger:add_handler(default, logger_std_h,
                            #{config => #{file => Log}, level => notice}),
    ok = etscounter:start(),
    _ = count_sync(),
    Samples = [begin timer:sleep(Pause), one_kill(K) end || K <- lists:seq(1, Kills)],
    ok = etscounter:stop(),
    row_latency("recovery", "peer",
                "Erlang etsmgr example: exit(kill) of etscounter_srv -> "
                "etscounter_sup restart -> first count (old value + 1)",
                "ms", Samples).

manager(Kills, Pause, Log) ->
    ok = logger:set_primary_config(level, notice),
    _ = logger:remove_handler(default),
    ok = logger:add_handler(default, logger_std_h,
                            #{config => #{file => Log}, level => notice}),
    ok = etscounter:start(),
    _ = count_sync(),
    Samples = [begin timer:sleep(Pause), one_manager_kill(K) end
               || K <- lists:seq(1, Kills)],
    ok = etscounter:stop(),
    row_latency("manager", "peer",
                "Erlang etsmgr example: exit(kill) of etsmgr_srv -> "
                "etsmgr_sup restart -> etscounter_srv registers its table again",
                "ms", Samples).

one_manager_kill(K) ->
    Before = count_sync(),
    Old = whereis(etsmgr_srv),
    T0 = now_ns(),
    exit(Old, kill),
    wait_registered(Old, T0),
    T1 = now_ns(),
    case count_sync() of
        After when After =:= Before + 1 -> ok;
        After -> fail("after manager kill ~b: count ~b, want ~b", [K, After, Before + 1])
    end,
    T1 - T0.

%% Until a new etsmgr_srv lists the etscounter table again.
wait_registered(Old, T0) ->
    Done = case whereis(etsmgr_srv) of
               New when is_pid(New), New =/= Old ->
                   try etsmgr:info() of
                       Tables when is_map(Tables) -> maps:is_key(etscounter, Tables);
                       _ -> false
                   catch _:_ -> false
                   end;
               _ -> false
           end,
    case Done of
        true -> ok;
        false ->
            case now_ns() - T0 > 20000000000 of
                true -> fail("the table was not registered again within 20 s", []);
                false -> timer:sleep(1), wait_registered(Old, T0)
            end
    end.

one_kill(K) ->
    Before = count_sync(),
    Pid = whereis(etscounter_srv),
    T0 = now_ns(),
    exit(Pid, kill),
    wait_restarted(Pid, T0),
    After = count_sync(),
    T1 = now_ns(),
    case After of
        _ when After =:= Before + 1 -> ok;
        _ -> fail("after kill ~b: count ~b, want ~b (the old value + 1)", [K, After, Before + 1])
    end,
    T1 - T0.

%% Spin (yielding) until the supervisor has registered a new server.
wait_restarted(Old, T0) ->
    case whereis(etscounter_srv) of
        New when is_pid(New), New =/= Old -> ok;
        _ ->
            case now_ns() - T0 > 10000000000 of
                true -> fail("etscounter_srv was not restarted within 10 s", []);
                false -> erlang:yield(), wait_restarted(Old, T0)
            end
    end.

%% etscounter:count() is a cast; wait until the server has handled it
%% (sys:get_state/1 is answered after it) and read the count from its
%% table. A server that died meanwhile (a restart that failed and was
%% retried) is asked again.
count_sync() ->
    etscounter:count(),
    try sys:get_state(etscounter_srv) of
        State ->
            Tid = element(3, State),
            [{count, N}] = ets:lookup(Tid, count),
            N
    catch
        exit:_ -> erlang:yield(), count_sync()
    end.

%% ---------------------------------------------------------------- rows

row_rate(Group, Role, Label, Rates) ->
    case os:getenv("BENCH_SAMPLES") of
        false -> row_rate_summary(Group, Role, Label, Rates);
        _ -> [io:format("SAMPLE|~s|~s|~s|ops/s|~b~n", [Group, Role, Label, round(R)])
              || R <- Rates]
    end.

row_rate_summary(Group, Role, Label, Rates) ->
    io:format("ROW|~s|~s|~s|ops/s|~b|~b|~b~n",
              [Group, Role, Label, length(Rates), round(median(Rates)),
               round(percentile(Rates, 1))]).

row_latency(Group, Role, Label, "ms", Samples) ->
    Ms = [S / 1.0e6 || S <- Samples],
    io:format("ROW|~s|~s|~s|ms|~b|~.3f|~.3f~n",
              [Group, Role, Label, length(Ms), median(Ms), percentile(Ms, 99)]).

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
