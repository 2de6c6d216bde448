;; Merge sort written out, checked against lists:sort.
(defun merge
  ((() ys) ys)
  ((xs ()) xs)
  (((cons x xs) (cons y ys))
   (if (=< x y) (cons x (merge xs (cons y ys))) (cons y (merge (cons x xs) ys)))))
(defun msort
  ((()) ())
  (((list x)) (list x))
  ((l) (let (((tuple a b) (lists:split (div (length l) 2) l)))
         (merge (msort a) (msort b)))))
(let ((l '(5 3 9 1 5 8 2 7 0 -4)))
  (lfe_io:format "~w~n" (list (msort l)))
  (lfe_io:format "~w~n" (list (=:= (msort l) (lists:sort l)))))
