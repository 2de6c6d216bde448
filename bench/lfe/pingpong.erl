%% pingpong: N round trips between the main process and one partner (see pingpong.lfe).
-module(pingpong).
-export([main/0, main/1]).

main([N]) -> run(list_to_integer(atom_to_list(N)));
main([]) -> main().

main() -> run(100000).

pong(Peer) ->
    receive
        0 -> ok;
        K -> Peer ! {pong, K}, pong(Peer)
    end.

ping(_, I, N, Sum) when I > N -> Sum;
ping(Partner, I, N, Sum) ->
    Partner ! I,
    receive {pong, K} -> ping(Partner, I + 1, N, Sum + K) end.

run(N) ->
    Me = self(),
    Partner = spawn(fun() -> pong(Me) end),
    Sum = ping(Partner, 1, N, 0),
    Partner ! 0,
    io:format("pingpong ~b ~b~n", [N, Sum]).
