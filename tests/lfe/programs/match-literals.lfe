;; Literal patterns: strings, nested tuples, quoted lists, numbers of both kinds.
(defun f
  (("abc") 'string-abc)
  (((tuple 'a (tuple 'b c))) (tuple 'inner c))
  (('(1 2 3)) 'one-two-three)
  ((1) 'int-one)
  ((1.0) 'float-one)
  (((cons 'x rest)) (tuple 'x-then rest))
  ((_) 'nomatch))
(lists:foreach (lambda (x) (lfe_io:format "~p~n" (list (f x))))
  (list "abc" #(a #(b 9)) '(1 2 3) 1 1.0 '(x y z) '(y) 2))
