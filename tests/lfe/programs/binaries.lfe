;; Binary construction and matching with constant sizes.
(io:format "~p~n" (list (binary 1 2 3)))
(io:format "~p~n" (list (binary (256 (size 16)) (-1 (size 8)))))
(io:format "~p~n" (list (binary ("abc") (#"def" binary))))
(io:format "~p~n" (list (binary (1 (size 16) little))))
(io:format "~p~n" (list (binary (1.5 float))))
(case (binary 0 5 104 105)
  ((binary (n (size 16)) (rest binary)) (io:format "~p ~p~n" (list n rest))))
(case #"hello"
  ((binary "he" (rest binary)) (io:format "~p~n" (list rest))))
(case (binary (-2 (size 8)))
  ((binary (x signed)) (io:format "~p~n" (list x))))
(io:format "~p ~p~n" (list (byte_size #"four") (binary_to_list (binary 1 2))))
(lfe_io:format "~p~n" (list (binary 1 2 3)))
