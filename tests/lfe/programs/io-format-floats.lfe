;; io:format float directives: ~f ~e ~g with precision and width.
(io:format "~f ~.2f ~.1f~n" '(3.14159 3.14159 2.25))
(io:format "~e ~.3e~n" '(12345.678 0.000123))
(io:format "~g ~g ~g~n" '(1.0 123456789.0 0.0001))
(io:format "[~10.3f] [~-10.3f]~n" '(3.14159 3.14159))
(io:format "~w ~w ~w~n" '(1.0 0.1 1.0e20))
(io:format "~p ~p~n" '(-0.5 100.0))
