;; io:format string directives: ~s ~p ~w ~a ~c with widths, precision and padding.
(io:format "~s|~10s|~-10s|~.3s~n" '("abc" "abc" "abc" "abcdef"))
(io:format "~s ~s~n" '(#"binary" atom))
(io:format "~c~c~c ~3c ~-3c|~n" '(104 105 33 120 121))
(io:format "~p ~w~n" '("a string" "a string"))
(io:format "~~ ~n")
(io:format "~10.5s|~n" '("abcdefghij"))
(io:format "~p~n" '((1 2 #(a "b") #B(1 2))))
