%% idle: N processes blocked in receive (see idle.lua).
-module(idle).
-export([main/0, main/1, idle/1]).

main([N]) -> run(list_to_integer(atom_to_list(N)));
main([]) -> main().

main() -> run(100000).

idle(Parent) ->
    Parent ! {ready, 1},
    receive stop -> ok end.

run(N) ->
    Me = self(),
    [spawn(?MODULE, idle, [Me]) || _ <- lists:seq(1, N)],
    Ready = collect(N, 0),
    io:format("idle ~b ~b~n", [N, Ready]).

collect(0, R) -> R;
collect(K, R) -> receive {ready, X} -> collect(K - 1, R + X) end.
