%% The Erlang side of cube-cli's distribution tests (tests/distribution.rs): a
%% registered `peer` process that Lua scripts drive with maps (Lua tables arrive as
%% maps with binary keys), reporting what it sees on stdout, one line per event.
-module(cube_peer).
-export([start/0]).

start() ->
    register(peer, self()),
    io:format("up~n"),
    loop().

loop() ->
    receive
        %% Sends X back unchanged.
        #{<<"cmd">> := <<"echo">>, <<"from">> := From, <<"x">> := X} ->
            From ! X;
        %% Checks what a Lua table of every kind arrives as.
        #{<<"cmd">> := <<"check">>, <<"from">> := From, <<"x">> := X} ->
            Expected = #{<<"int">> => 42, <<"neg">> => -7, <<"big">> => 1099511627776,
                         <<"float">> => 1.5, <<"str">> => <<"hé"/utf8>>,
                         <<"list">> => [1, 2, 3], <<"empty">> => [],
                         <<"map">> => #{<<"a">> => 1}, <<"yes">> => true,
                         <<"no">> => false, <<"pid">> => From,
                         <<"atom">> => hello, <<"tuple">> => {ok, 1, <<"x">>},
                         <<"marked">> => [], <<"nested">> => [{a, [b]}]},
            case X of
                Expected -> io:format("check ok~n");
                _ -> io:format("check bad ~p~n", [X])
            end,
            From ! checked;
        %% Sends terms of every kind Erlang has.
        #{<<"cmd">> := <<"types">>, <<"from">> := From} ->
            From ! #{int => 42, neg => -7, big => 1 bsl 40, float => 1.5,
                     bin => <<"hi">>, atom => hello, tuple => {1, two},
                     list => [1, 2, 3], map => #{a => 1}, pid => self(),
                     yes => true, no => false};
        %% Terms with no Lua form (a port, a bignum, a bitstring, a fun, an improper
        %% list), then <<"after">>: only the last may arrive.
        #{<<"cmd">> := <<"odd">>, <<"from">> := From} ->
            From ! hd(erlang:ports()),
            From ! 1 bsl 100,
            From ! <<1:3>>,
            From ! fun() -> ok end,
            From ! [1 | 2],
            From ! {nested, [hd(erlang:ports())]},
            From ! <<"after">>;
        %% Pings a node and answers <<"pong">> or <<"pang">>.
        #{<<"cmd">> := <<"ping">>, <<"from">> := From, <<"node">> := Node} ->
            From ! atom_to_binary(net_adm:ping(binary_to_atom(Node)));
        %% Sends to the registered name Name on node Node.
        #{<<"cmd">> := <<"regsend">>, <<"name">> := Name, <<"node">> := Node, <<"x">> := X} ->
            {binary_to_atom(Name), binary_to_atom(Node)} ! X;
        %% A process that waits for `die` and exits with `bye`; its pid goes to From,
        %% and how it ended is printed.
        #{<<"cmd">> := <<"target">>, <<"from">> := From} ->
            Pid = spawn(fun() -> receive die -> exit(bye) end end),
            watch(target, Pid),
            From ! Pid;
        %% Kills a process: exit(P, kill).
        #{<<"cmd">> := <<"kill">>, <<"pid">> := P} ->
            exit(P, kill);
        %% Tells a target to end with `bye`.
        #{<<"cmd">> := <<"die">>, <<"pid">> := P} ->
            P ! die;
        %% A process that links to P (a Lua pid), traps exits and prints the EXIT.
        #{<<"cmd">> := <<"link">>, <<"from">> := From, <<"pid">> := P} ->
            spawn(fun() ->
                process_flag(trap_exit, true),
                link(P),
                From ! <<"linked">>,
                receive {'EXIT', P, Reason} -> io:format("exit ~p~n", [Reason]) end
            end);
        %% A process that monitors P (a Lua pid) and prints the DOWN.
        #{<<"cmd">> := <<"monitor">>, <<"from">> := From, <<"pid">> := P} ->
            spawn(fun() ->
                Ref = erlang:monitor(process, P),
                From ! <<"monitoring">>,
                receive {'DOWN', Ref, process, P, Reason} -> io:format("down ~p~n", [Reason]) end
            end);
        %% Sends N integers 1..N to From, in order.
        #{<<"cmd">> := <<"flood">>, <<"from">> := From, <<"n">> := N} ->
            lists:foreach(fun(I) -> From ! I end, lists:seq(1, N));
        %% Expects N integers 1..N from Lua, in order, and prints whether they were.
        #{<<"cmd">> := <<"count">>, <<"from">> := From, <<"n">> := N} ->
            io:format("count ~p~n", [count(1, N)]),
            From ! <<"counted">>;
        %% rpc:call, erpc, spawn/4 and spawn_monitor/4 of Lua functions on From's
        %% node (its module m.lua: add, echo, boom, notify); one line per check.
        #{<<"cmd">> := <<"rpc">>, <<"from">> := From} ->
            rpc_checks(node(From)),
            From ! <<"rpc done">>;
        #{<<"cmd">> := <<"count_sized">>, <<"from">> := From, <<"n">> := N,
          <<"size">> := Size} ->
            io:format("count_sized ~p~n", [count_sized(1, N, Size)]),
            From ! <<"counted">>;
        %% Expects N tuples {S, I, Bin} from each of Senders senders S, each sender's
        %% with I = 1..N in order (senders interleaved any way), and prints whether
        %% they were.
        #{<<"cmd">> := <<"streams">>, <<"from">> := From, <<"senders">> := Senders,
          <<"n">> := N} ->
            io:format("streams ~p~n", [streams(#{}, Senders * N)]),
            From ! <<"streamed">>;
        Other ->
            io:format("unexpected ~p~n", [Other])
    end,
    loop().

streams(_, 0) -> ok;
streams(Next, Left) ->
    receive
        {S, I, Bin} when is_binary(Bin) ->
            case maps:get(S, Next, 1) of
                I -> streams(Next#{S => I + 1}, Left - 1);
                Expected -> {out_of_order, S, I, Expected}
            end
    after 60000 -> {timeout, Left}
    end.

count(I, N) when I > N -> ok;
count(I, N) ->
    receive
        I -> count(I + 1, N);
        Other -> {out_of_order, I, Other}
    after 60000 -> {timeout, I}
    end.

rpc_checks(N) ->
    T = {a, [1, 2], #{k => <<"v">>}, 1.5, <<"bin">>},
    Self = self(),
    check(add, rpc:call(N, m, add, [1, 2]), 3),
    check(global_module, rpc:call(N, string, upper, [<<"abc">>]), <<"ABC">>),
    check(round_trip, rpc:call(N, m, echo, [T]), T),
    check(undef, rpc:call(N, nomod, f, [1]), {badrpc, {'EXIT', {undef, [{nomod, f, [1], []}]}}}),
    check(undef_function, rpc:call(N, m, nofun, []), {badrpc, {'EXIT', {undef, [{m, nofun, [], []}]}}}),
    case rpc:call(N, m, boom, []) of
        {badrpc, {'EXIT', {Msg, []}}} when is_binary(Msg) ->
            check(lua_error, binary:match(Msg, <<"boom!">>) =/= nomatch, true);
        Other -> check(lua_error, Other, error_tuple)
    end,
    check(erpc, erpc:call(N, m, add, [40, 2]), 42),
    check(erpc_error, try erpc:call(N, m, boom, []) catch error:{exception, _, _} -> raised end, raised),
    ok = erpc:cast(N, m, notify, [Self, cast]),
    check(cast, receive {notified, cast} -> ok after 60000 -> timeout end, ok),
    Pid = spawn(N, m, notify, [Self, spawned]),
    check(spawn, receive {notified, spawned} -> node(Pid) after 60000 -> timeout end, N),
    {P2, Ref} = spawn_monitor(N, m, boom, []),
    check(spawn_monitor, receive {'DOWN', Ref, process, P2, R} -> is_binary(R) after 60000 -> timeout end, true),
    io:format("rpc checks done~n").

check(Name, Got, Got) -> io:format("rpc ~p ok~n", [Name]);
check(Name, Got, Expected) -> io:format("rpc ~p bad: ~p, expected ~p~n", [Name, Got, Expected]).

%% Receives {1, Bin}, ..., {N, Bin} in order, each Bin of Size bytes.
count_sized(I, N, _) when I > N -> ok;
count_sized(I, N, Size) ->
    receive
        {I, Bin} when byte_size(Bin) =:= Size -> count_sized(I + 1, N, Size);
        Other -> {out_of_order, I, element(1, Other)}
    after 60000 -> {timeout, I}
    end.

%% Prints "down Tag Reason" when Pid ends; returns once the monitor is in place,
%% so a signal sent to Pid right after cannot beat it.
watch(Tag, Pid) ->
    Self = self(),
    W = spawn(fun() ->
        Ref = erlang:monitor(process, Pid),
        Self ! {watching, self()},
        receive {'DOWN', Ref, process, _, Reason} -> io:format("down ~p ~p~n", [Tag, Reason]) end
    end),
    receive {watching, W} -> ok end.
