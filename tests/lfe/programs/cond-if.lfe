;; cond with ?= match tests, if, case with guards.
(defun classify (x)
  (cond ((?= (tuple 'ok v) x) (tuple 'got v))
        ((is_list x) 'list)
        ((== x 0) 'zero)
        ('true 'other)))
(lists:foreach (lambda (x) (lfe_io:format "~w~n" (list (classify x))))
  (list #(ok 5) '(1) 0 'z))
(lfe_io:format "~w ~w~n" (list (if (> 2 1) 'yes 'no) (if (> 1 2) 'yes)))
(lfe_io:format "~w~n"
  (list (case 5 (n (when (> n 3)) 'big) (_ 'small))))
