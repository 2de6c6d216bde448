;; Matrices as lists of lists: transpose and multiply.
(defun transpose
  (((cons () _)) ())
  ((m) (cons (lists:map #'hd/1 m) (transpose (lists:map #'tl/1 m)))))
(defun dot (a b) (lists:sum (lists:zipwith #'*/2 a b)))
(defun mul (a b)
  (let ((bt (transpose b)))
    (lc ((<- row a)) (lc ((<- col bt)) (dot row col)))))
(let ((a '((1 2) (3 4))) (b '((5 6) (7 8))))
  (lfe_io:format "~w~n" (list (transpose '((1 2 3) (4 5 6)))))
  (lfe_io:format "~w~n" (list (mul a b))))
