%% sort: build a list of N pseudo-random integers and sort it two ways (see sort.lfe).
-module(sort).
-export([main/0, main/1]).

main([N]) -> run(list_to_integer(atom_to_list(N)));
main([]) -> main().

main() -> run(200000).

build(0, _, Acc) -> Acc;
build(N, Seed, Acc) ->
    Next = (Seed * 1103515245 + 12345) rem 2147483648,
    build(N - 1, Next, [Next rem 1000000 | Acc]).

qsort([]) -> [];
qsort([P | Xs]) ->
    qsort([X || X <- Xs, X < P]) ++ [P | qsort([X || X <- Xs, X >= P])].

checksum(Xs) ->
    lists:foldl(fun(X, Acc) -> (Acc * 31 + X) rem 1000000007 end, 0, Xs).

run(N) ->
    Xs = build(N, 42, []),
    Sorted = lists:sort(Xs),
    Quick = qsort(Xs),
    Doubled = lists:map(fun(X) -> 2 * X end, lists:reverse(Sorted)),
    io:format("sort ~b ~w ~b ~b ~b ~b~n",
              [N, Sorted =:= Quick, length(Doubled), hd(Sorted), lists:last(Sorted),
               checksum(Sorted)]).
