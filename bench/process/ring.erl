%% ring: N processes in a ring pass a token M hops in total (see ring.lua).
-module(ring).
-export([main/0, main/1, node/2]).

main([N, M]) -> run(arg(N), arg(M));
main([N]) -> run(arg(N), 1000000);
main([]) -> main().

main() -> run(10000, 1000000).

arg(A) -> list_to_integer(atom_to_list(A)).

node(Main, Index) ->
    receive Next -> loop(Main, Index, Next) end.

loop(Main, Index, Next) ->
    receive
        0 -> Main ! {done, Index};
        K -> Next ! K - 1, loop(Main, Index, Next)
    end.

run(N, M) ->
    Me = self(),
    Pids = list_to_tuple([spawn(?MODULE, node, [Me, I]) || I <- lists:seq(1, N)]),
    [element(I, Pids) ! element(I rem N + 1, Pids) || I <- lists:seq(1, N)],
    element(1, Pids) ! M,
    receive {done, Last} -> io:format("ring ~b ~b ~b~n", [N, M, Last]) end.
