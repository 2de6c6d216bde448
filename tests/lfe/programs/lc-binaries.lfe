;; List comprehensions over strings and tuples, with filters and patterns.
(defun show (x) (lfe_io:format "~p~n" (list x)))
(show (lc ((<- c "hello world") (/= c 32)) (- c 32)))
(show (lc ((<- (tuple name age) '(#(ann 30) #(bob 17) #(cy 45))) (>= age 18)) name))
(show (lc ((<- x '(1 2 3)) (<- y '(1 2 3)) (== (+ x y) 4)) (tuple x y)))
(show (lists:sum (lc ((<- x (lists:seq 1 100)) (== 0 (rem x 7))) x)))
