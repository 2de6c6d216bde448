(io:format "~p~n" (list unbound-variable))
