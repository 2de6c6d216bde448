;; Higher-order functions: fold to build maps, any/all, filtermap-like use, foldr order.
(defun show (x) (lfe_io:format "~w~n" (list x)))
(show (lists:foldr (lambda (x acc) (cons x acc)) () '(1 2 3)))
(show (lists:foldl (lambda (x acc) (cons x acc)) () '(1 2 3)))
(show (list (lists:any (lambda (x) (> x 2)) '(1 2 3)) (lists:all (lambda (x) (> x 2)) '(1 2 3))))
(show (lists:flatmap (lambda (x) (list x x)) '(a b)))
(show (lists:foldl (lambda (x m) (maps:put x (* x x) m)) #M() '(1 2 3)))
(show (funcall (lambda (f) (funcall f (funcall f 1))) (lambda (x) (* 10 x))))
