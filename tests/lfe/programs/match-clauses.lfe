;; Function clauses chosen by pattern and guard, in order.
(defun kind
  ((()) 'empty)
  (((list x)) (tuple 'one x))
  (((cons x _)) (when (is_integer x) (> x 100)) 'big-head)
  (((cons _ _)) 'list)
  (((tuple)) 'empty-tuple)
  (((tuple a b)) (when (== a b)) 'pair-same)
  (((tuple _ _)) 'pair)
  ((x) (when (is_atom x)) (tuple 'atom x))
  ((x) (when (is_float x)) 'float)
  ((_) 'other))
(lists:foreach (lambda (x) (lfe_io:format "~w~n" (list (kind x))))
  (list () '(7) '(200 1) '(1 2) #() #(3 3) #(3 4) 'hi 1.5 42 "s"))
