;; fib: naive doubly recursive Fibonacci (body calls, integer arithmetic, clause
;; matching). As fib.erl.   cube-cli run bench/lfe/fib.lfe [N]
(defun fib
  ((0) 0)
  ((1) 1)
  ((n) (+ (fib (- n 1)) (fib (- n 2)))))

(let ((n (case script-args ((cons a _) (list_to_integer a)) (() 30))))
  (io:format "fib ~w ~w~n" (list n (fib n))))
