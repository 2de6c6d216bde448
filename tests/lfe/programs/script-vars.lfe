;; script-name and script-args are bound in a script.
(io:format "~p~n" (list script-args))
(io:format "~p~n" (list (is_list script-name)))
