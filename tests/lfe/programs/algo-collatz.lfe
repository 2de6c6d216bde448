;; Collatz sequence lengths; the longest start below 1000.
(defun steps
  ((1 n) n)
  ((x n) (when (== 0 (rem x 2))) (steps (div x 2) (+ n 1)))
  ((x n) (steps (+ (* 3 x) 1) (+ n 1))))
(defun longest (i best-i best)
  (if (>= i 1000)
    (tuple best-i best)
    (let ((s (steps i 0)))
      (if (> s best) (longest (+ i 1) i s) (longest (+ i 1) best-i best)))))
(lfe_io:format "~w ~w~n" (list (steps 27 0) (longest 1 1 0)))
