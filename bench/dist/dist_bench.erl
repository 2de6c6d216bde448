%% The Erlang side of bench/run-dist: a server node and a client node.
%%
%% server: registers bench_srv and answers {count, From, N} (then N integer messages,
%% then `counted` to From) and {ping, From, X} ({pong, X} to From).
%% client [ServerNode, N, K]: throughput (N messages, one `counted` at the end) and K
%% sequential round trips; prints "throughput N MICROSECONDS" and "rtt P50 P99" (us).
-module(dist_bench).
-export([server/0, client/1]).

server() ->
    register(bench_srv, self()),
    io:format("ready~n"),
    serve().

serve() ->
    receive
        {count, From, N} -> count(N), From ! counted, serve();
        {ping, From, X} -> From ! {pong, X}, serve();
        stop -> ok
    end.

count(0) -> ok;
count(N) -> receive I when is_integer(I) -> count(N - 1) end.

client([Node, NA, KA]) ->
    Srv = {bench_srv, Node},
    N = list_to_integer(atom_to_list(NA)),
    K = list_to_integer(atom_to_list(KA)),
    pong = net_adm:ping(Node),
    rtts(Srv, 100, []),
    T0 = erlang:monotonic_time(microsecond),
    Srv ! {count, self(), N},
    send_all(Srv, 1, N),
    receive counted -> ok end,
    T1 = erlang:monotonic_time(microsecond),
    io:format("throughput ~p ~p~n", [N, T1 - T0]),
    Sorted = lists:sort(rtts(Srv, K, [])),
    io:format("rtt ~p ~p~n", [lists:nth(max(1, K div 2), Sorted),
                              lists:nth(max(1, (K * 99) div 100), Sorted)]).

send_all(_, I, N) when I > N -> ok;
send_all(Srv, I, N) -> Srv ! I, send_all(Srv, I + 1, N).

rtts(_, 0, Acc) -> Acc;
rtts(Srv, K, Acc) ->
    T0 = erlang:monotonic_time(microsecond),
    Srv ! {ping, self(), K},
    receive {pong, K} -> ok end,
    rtts(Srv, K - 1, [erlang:monotonic_time(microsecond) - T0 | Acc]).
