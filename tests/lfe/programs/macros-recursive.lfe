;; A macro that expands to itself on a shorter argument list (a left fold of pairs).
(defmacro pairs
  ((list) ''())
  ((cons k (cons v rest)) `(cons (tuple ',k ,v) (pairs ,@rest))))
(lfe_io:format "~w~n" (list (pairs a 1 b (+ 1 1) c 3)))
(defmacro my-cond
  ((list) ''no-match)
  ((cons (list test val) rest) `(if ,test ,val (my-cond ,@rest))))
(lfe_io:format "~w~n" (list (my-cond ((> 1 2) 'a) ((> 2 1) 'b))))
