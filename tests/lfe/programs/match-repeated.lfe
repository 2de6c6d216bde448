;; A variable repeated in a pattern must match the same value (=:=).
(defun same
  (((tuple x x)) 'same)
  (((tuple _ _)) 'different))
(lfe_io:format "~w ~w ~w ~w~n" (list (same #(1 1)) (same #(1 2)) (same #(1 1.0)) (same #(a a))))
(defun dup-head
  (((cons x (cons x _))) (tuple 'dup x))
  ((_) 'no))
(lfe_io:format "~w ~w~n" (list (dup-head '(5 5 6)) (dup-head '(5 6 5))))
(let (((tuple a (list b a)) #(1 (2 1))))
  (lfe_io:format "~w ~w~n" (list a b)))
