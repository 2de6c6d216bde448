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
;; Sizes from variables and expressions.
(defun parse
  (((binary (len (size 8)) (body (size len) binary) (rest binary)))
   (tuple body rest)))
(io:format "~p~n" (list (parse (binary 3 "abcde"))))
(let ((n 12))
  (io:format "~w~n" (list (binary (4095 (size n)) (0 (size (- 16 n))))))
  (case (binary 1 2 3 4)
    ((binary (x (size n)) (y (size 4)) (z binary)) (io:format "~p ~p ~p~n" (list x y z)))))
(defun chunks
  (((binary (chunk (size 2) binary) (rest binary))) (cons chunk (chunks rest)))
  ((b) (list b)))
(io:format "~p~n" (list (chunks #"abcdefg")))
