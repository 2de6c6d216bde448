%% binparse: build a binary of N length-prefixed records and parse it R times (see binparse.lfe).
-module(binparse).
-export([main/0, main/1]).

main([N, R]) -> run(arg(N), arg(R));
main([]) -> main().

main() -> run(20000, 20).

arg(A) -> list_to_integer(atom_to_list(A)).

record(I) ->
    Len = I rem 23,
    Payload = list_to_binary(lists:duplicate(Len, I band 255)),
    <<(I band 255):8, Len:16, Payload/binary, I:32/little>>.

build(I, N, Acc) when I > N -> list_to_binary(lists:reverse(Acc));
build(I, N, Acc) -> build(I + 1, N, [record(I) | Acc]).

sum_bytes(<<B:8, Rest/binary>>, Acc) -> sum_bytes(Rest, Acc + B);
sum_bytes(<<>>, Acc) -> Acc.

parse(<<Tag:8, Len:16, Payload:Len/binary, Trailer:32/little, Rest/binary>>, Count, Sum) ->
    parse(Rest, Count + 1, Sum + Tag + Trailer + sum_bytes(Payload, 0));
parse(<<>>, Count, Sum) -> {Count, Sum}.

repeat(_, 0, Acc) -> Acc;
repeat(Bin, R, _) -> repeat(Bin, R - 1, parse(Bin, 0, 0)).

run(N, R) ->
    Bin = build(1, N, []),
    {Count, Sum} = repeat(Bin, R, none),
    io:format("binparse ~b ~b ~b ~b ~b~n", [N, R, byte_size(Bin), Count, Sum]).
