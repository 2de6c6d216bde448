;; Arithmetic: integer vs float, div/rem signs, bignums, band/bor/bxor/bsl/bsr, abs,
;; round/trunc, float comparisons.
(defun show (x) (lfe_io:format "~w~n" (list x)))
(show (list (/ 7 2) (div 7 2) (rem 7 2) (div -7 2) (rem -7 2)))
(show (list (* 99999999999 99999999999) (- (bsl 1 70) 1)))
(show (list (band 12 10) (bor 12 10) (bxor 12 10) (bsl 1 10) (bsr 1024 3)))
(show (list (abs -3) (abs -3.5) (round 2.5) (round -2.5) (trunc 2.7) (trunc -2.7)))
(show (list (== 1 1.0) (=:= 1 1.0) (/= 1 2) (=/= 1 1.0) (< 1 1.5)))
(show (list (float 3) (+ 1 2.0) (* 2 0.5)))
(show (list (max 1 2.0) (min 'a 1)))
(defun fact (n) (if (== n 0) 1 (* n (fact (- n 1)))))
(show (fact 30))
(show (div (fact 30) (fact 28)))
