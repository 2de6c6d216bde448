;; match-lambda with several clauses and arities of one.
(let ((f (match-lambda
           (((tuple 'add a b)) (+ a b))
           (((tuple 'neg a)) (- a))
           ((x) (when (is_atom x)) (atom_to_list x))
           ((_) 'unknown))))
  (lfe_io:format "~p~n" (list (lists:map f (list #(add 1 2) #(neg 5) 'abc 3.0)))))
(let ((g (match-lambda ((a b) (when (> a b)) a) ((_ b) b))))
  (lfe_io:format "~w ~w~n" (list (funcall g 3 2) (funcall g 1 9))))
