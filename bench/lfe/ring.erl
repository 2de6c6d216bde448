%% ring: N processes in a ring pass a counter M hops in total (see ring.lfe).
-module(ring).
-export([main/0, main/1]).

main([N, M]) -> run(arg(N), arg(M));
main([]) -> main().

main() -> run(1000, 300000).

arg(A) -> list_to_integer(atom_to_list(A)).

node(Main, Index) ->
    receive Next -> loop(Main, Index, Next) end.

loop(Main, Index, Next) ->
    receive
        0 -> Main ! {done, Index};
        K -> Next ! K - 1, loop(Main, Index, Next)
    end.

spawn_nodes(_, I, N, Acc) when I > N -> list_to_tuple(lists:reverse(Acc));
spawn_nodes(Me, I, N, Acc) ->
    spawn_nodes(Me, I + 1, N, [spawn(fun() -> node(Me, I) end) | Acc]).

wire(_, I, N) when I > N -> ok;
wire(Pids, I, N) ->
    element(I, Pids) ! element(I rem N + 1, Pids),
    wire(Pids, I + 1, N).

run(N, M) ->
    Pids = spawn_nodes(self(), 1, N, []),
    wire(Pids, 1, N),
    element(1, Pids) ! M,
    receive {done, Last} -> io:format("ring ~b ~b ~b~n", [N, M, Last]) end.
