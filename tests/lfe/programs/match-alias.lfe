;; (= pat1 pat2) in patterns binds both views of one value.
(defun split
  (((= (cons h _) whole)) (tuple h (length whole))))
(lfe_io:format "~w~n" (list (split '(a b c))))
(let (((= (tuple 'point x y) p) #(point 3 4)))
  (lfe_io:format "~w ~w ~w~n" (list x y p)))
(case '(1 2)
  ((= (list a b) l) (lfe_io:format "~w ~w ~w~n" (list a b l))))
