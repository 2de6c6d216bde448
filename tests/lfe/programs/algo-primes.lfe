;; Primes by trial division and by a sieve over a list.
(defun prime?
  ((n) (when (< n 2)) 'false)
  ((n) (prime? n 2)))
(defun prime?
  ((n d) (when (> (* d d) n)) 'true)
  ((n d) (if (== 0 (rem n d)) 'false (prime? n (+ d 1)))))
(defun sieve
  ((()) ())
  (((cons p xs)) (cons p (sieve (lc ((<- x xs) (/= 0 (rem x p))) x)))))
(lfe_io:format "~w~n" (list (lists:filter #'prime?/1 (lists:seq 1 50))))
(lfe_io:format "~w~n" (list (sieve (lists:seq 2 50))))
