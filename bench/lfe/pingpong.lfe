;; pingpong: N round trips between the main process and one partner, which answers
;; each number K with (pong K). As pingpong.erl.   cube-cli run bench/lfe/pingpong.lfe [N]
(defun pong (peer)
  (receive
    (0 'ok)
    (k (! peer (tuple 'pong k)) (pong peer))))

(defun ping (partner i n sum)
  (if (> i n)
    sum
    (progn (! partner i)
           (receive
             ((tuple 'pong k) (ping partner (+ i 1) n (+ sum k)))))))

(let* ((n (case script-args ((cons a _) (list_to_integer a)) (() 100000)))
       (me (self))
       (partner (spawn (lambda () (pong me))))
       (sum (ping partner 1 n 0)))
  (! partner 0)
  (io:format "pingpong ~b ~b~n" (list n sum)))
