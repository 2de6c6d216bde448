;; Widths and precisions with *, ~p on strings and binaries, ~ts.
(io:format "[~*w] [~.*f]~n" '(6 42 2 3.14159))
(io:format "~p ~p~n" '(#"bin" #B(1 2 300)))
(io:format "~ts~n" '("unicode ok"))
(io:format "~p~n" '(#(tuple "with string" 1.0 atom)))
(io:format "~10.3.0f|~n" '(3.5))
