;; Towers of Hanoi: the moves for 3 discs, and the count for 10.
(defun hanoi
  ((0 _ _ _) ())
  ((n from to via)
   (++ (hanoi (- n 1) from via to)
       (list (tuple from to))
       (hanoi (- n 1) via to from))))
(lfe_io:format "~w~n" (list (hanoi 3 'a 'c 'b)))
(lfe_io:format "~w~n" (list (length (hanoi 10 'a 'c 'b))))
