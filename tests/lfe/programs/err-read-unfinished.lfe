(io:format "never runs~n")
(foo (bar)
