%% fib: naive doubly recursive Fibonacci (see fib.lfe).
-module(fib).
-export([main/0, main/1]).

main([N]) -> run(list_to_integer(atom_to_list(N)));
main([]) -> main().

main() -> run(30).

fib(0) -> 0;
fib(1) -> 1;
fib(N) -> fib(N - 1) + fib(N - 2).

run(N) -> io:format("fib ~w ~w~n", [N, fib(N)]).
