;; Erlang term order across types, and sorting mixed lists.
(defun show (x) (lfe_io:format "~w~n" (list x)))
(show (lists:sort (list 'atom 1 #(1) '(1) #"b" 2.5 () #M(a 1))))
(show (list (< 1 'a) (< 'a #(x)) (< #(x) '(x)) (< '(x) #"x")))
(show (list (< #(1 2) #(1 2 3)) (< #(2) #(1 2)) (< '(1 2) '(1 3))))
(show (list (< 1 1.0) (> 1 1.0) (== 1 1.0)))
(show (lists:sort (list #M(b 1) #M(a 2) #M(a 1 b 1))))
