;; A functional queue of two lists: in, out, and the amortised reversal.
(defun new () (tuple () ()))
(defun in (x q) (tuple (element 1 q) (cons x (element 2 q))))
(defun out
  (((tuple () ())) (tuple 'empty (new)))
  (((tuple () back)) (out (tuple (lists:reverse back) ())))
  (((tuple (cons x front) back)) (tuple (tuple 'value x) (tuple front back))))
(defun drain (q acc)
  (case (out q)
    ((tuple 'empty _) (lists:reverse acc))
    ((tuple (tuple 'value x) q2) (drain q2 (cons x acc)))))
(let ((q (lists:foldl #'in/2 (new) '(1 2 3 4 5))))
  (lfe_io:format "~w~n" (list (drain q ()))))
