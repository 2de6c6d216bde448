(io:format "~p~n" (list (/ 1 0)))
