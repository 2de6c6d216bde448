;; progn, sequencing and the value of the last form; side effects in order.
(defun say (x) (lfe_io:format "say ~w~n" (list x)) x)
(lfe_io:format "~w~n" (list (progn (say 1) (say 2) (say 3))))
(lfe_io:format "~w~n" (list (+ (say 10) (say 20))))
(lfe_io:format "~w~n" (list (list (say 'a) (say 'b))))
(lfe_io:format "~w~n" (list (tuple (say 'x) (progn))))
