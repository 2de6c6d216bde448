(io:format "before~n")
(+ 1 (quote a))
(io:format "never~n")
