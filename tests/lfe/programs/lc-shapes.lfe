;; List comprehensions: nested generators, filters before and between generators,
;; generator patterns that skip what does not match, guards, shadowing, lc in lc.
(defun show (x) (lfe_io:format "~w~n" (list x)))

(show (lc ((<- x '(1 2 3)) (<- y '(a b))) (tuple x y)))
(show (lc ((<- x '(1 2 3 4 5 6)) (== 0 (rem x 2)) (<- y (lists:seq 1 x))) (* x y)))
(show (lc ((<- (tuple 'ok v) '(#(ok 1) #(error 2) #(ok 3) other))) v))
(show (lc ((<- x (when (> x 2)) '(1 2 3 4))) x))
(let ((x 100))
  (show (lc ((<- x '(1 2 3))) x))
  (show x))
(show (lc ((> 1 0)) 'only))
(show (lc ((< 1 0)) 'never))
(show (lc ((<- xs '((1 2) (3) ()))) (lc ((<- x xs)) (* x 10))))
(show (lc ((<- x '(3 1 2)) (<- y '(3 1 2)) (< x y)) (list x y)))
(show (lc ((<- (cons h _) '("abc" "" "de"))) h))
(let ((acc 7) (rest 8))
  (show (lc ((<- x '(1 2))) (+ x acc rest))))
