%% flood: S senders x M messages to one receiver (see flood.lua).
-module(flood).
-export([main/0, main/1, sender/3]).

main([S, M]) -> run(arg(S), arg(M));
main([S]) -> run(arg(S), 10000);
main([]) -> main().

main() -> run(100, 10000).

arg(A) -> list_to_integer(atom_to_list(A)).

sender(_, I, Count) when I > Count -> ok;
sender(Dest, I, Count) -> Dest ! {msg, I}, sender(Dest, I + 1, Count).

run(S, M) ->
    Me = self(),
    [spawn(?MODULE, sender, [Me, 1, M]) || _ <- lists:seq(1, S)],
    Total = S * M,
    Sum = collect(Total, 0),
    io:format("flood ~b ~b ~b ~b~n", [S, M, Total, Sum]).

collect(0, Sum) -> Sum;
collect(K, Sum) -> receive {msg, I} -> collect(K - 1, Sum + I) end.
