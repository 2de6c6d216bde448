;; Body recursion a million calls deep, and a tail-recursive loop of three million.
(defun sum
  ((0) 0)
  ((n) (+ n (sum (- n 1)))))
(io:format "~p~n" (list (sum 1000000)))
(defun loop
  ((0 acc) acc)
  ((n acc) (loop (- n 1) (+ acc 1))))
(io:format "~p~n" (list (loop 3000000 0)))
(defun build
  ((0) ())
  ((n) (cons n (build (- n 1)))))
(io:format "~p~n" (list (length (build 1000000))))
(io:format "~p~n" (list (lists:sum (lists:map (lambda (x) (* 2 x)) (lists:seq 1 1000000)))))
(defun nest
  ((0 acc) acc)
  ((n acc) (nest (- n 1) (tuple acc))))
(io:format "~p~n" (list (tuple_size (nest 1000000 'leaf))))
