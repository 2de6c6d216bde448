;; ~p of terms wider than the line breaks them as Erlang does.
(io:format "~p~n" (list (lists:seq 1 30)))
(io:format "~p~n" (list (tuple 'a_long_atom_name (lists:seq 1 15) "a string of some length" #M(key value other thing))))
(io:format "~w~n" (list (lists:seq 1 30)))
