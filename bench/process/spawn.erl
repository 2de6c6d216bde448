%% spawn: N processes each send one reply to the parent (see spawn.lua).
-module(spawn).
-export([main/0, main/1, child/2]).

main([N]) -> run(list_to_integer(atom_to_list(N)));
main([]) -> main().

main() -> run(100000).

child(Parent, I) -> Parent ! {reply, I}.

run(N) ->
    Me = self(),
    [spawn(?MODULE, child, [Me, I]) || I <- lists:seq(1, N)],
    Sum = collect(N, 0),
    io:format("spawn ~b ~b~n", [N, Sum]).

collect(0, Sum) -> Sum;
collect(K, Sum) -> receive {reply, I} -> collect(K - 1, Sum + I) end.
