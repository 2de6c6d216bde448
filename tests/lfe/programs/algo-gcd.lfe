;; gcd, lcm and exponentiation by squaring, with bignums.
(defun gcd ((a 0) a) ((a b) (gcd b (rem a b))))
(defun lcm (a b) (div (* a b) (gcd a b)))
(defun pow
  ((_ 0) 1)
  ((b e) (when (== 0 (rem e 2))) (let ((h (pow b (div e 2)))) (* h h)))
  ((b e) (* b (pow b (- e 1)))))
(lfe_io:format "~w ~w~n" (list (gcd 1071 462) (lcm 21 6)))
(lfe_io:format "~w~n" (list (pow 2 100)))
(lfe_io:format "~w~n" (list (pow 3 40)))
(lfe_io:format "~w~n" (list (lists:foldl #'lcm/2 1 (lists:seq 1 20))))
