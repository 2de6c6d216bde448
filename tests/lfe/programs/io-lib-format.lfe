;; io_lib:format returns deep character lists; flatten and print them.
(let ((s (lists:flatten (io_lib:format "~w-~s-~b" '(x "y" 7)))))
  (io:format "~p ~w~n" (list s (length s))))
(io:format "~s~n" (list (io_lib:format "~5.2f" '(2.0))))
(io:format "~p~n" (list (lists:flatten (io_lib:format "~p" '(#(a b))))))
