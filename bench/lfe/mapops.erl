%% mapops: fill, read, update and fold a map of N integer keys, R times (see mapops.lfe).
-module(mapops).
-export([main/0, main/1]).

main([N, R]) -> run(arg(N), arg(R));
main([]) -> main().

main() -> run(50000, 10).

arg(A) -> list_to_integer(atom_to_list(A)).

fill(M, I, N) when I > N -> M;
fill(M, I, N) -> fill(maps:put(I, I * 3, M), I + 1, N).

lookup(_, I, N, Acc) when I > N -> Acc;
lookup(M, I, N, Acc) -> lookup(M, I + 1, N, Acc + map_get(I, M)).

matched(_, I, N, Acc) when I > N -> Acc;
matched(M, I, N, Acc) ->
    matched(M, I + 1, N, Acc + maps:get(I, M)).

bump(M, I, N) when I > N -> M;
bump(M, I, N) -> bump(M#{I := map_get(I, M) + 1}, I + 1, N).

one_round(N) ->
    M = fill(#{}, 1, N),
    M2 = bump(M, 1, N),
    lookup(M, 1, N, 0) + matched(M2, 1, N, 0)
        + maps:fold(fun(K, V, Acc) -> Acc + K + V end, 0, M2)
        + map_size(M2).

repeat(_, 0, Acc) -> Acc;
repeat(N, R, Acc) -> repeat(N, R - 1, Acc + one_round(N)).

run(N, R) -> io:format("mapops ~b ~b ~b~n", [N, R, repeat(N, R, 0)]).
