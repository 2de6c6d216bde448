;; ring: N processes in a ring pass a counter M hops in total; the process that
;; receives 0 tells the main process its index. As ring.erl (and bench/process/ring.lua).
;;   cube-cli run bench/lfe/ring.lfe [N] [M]
(defun node (main index)
  (receive (next (loop main index next))))

(defun loop (main index next)
  (receive
    (0 (! main (tuple 'done index)))
    (k (! next (- k 1)) (loop main index next))))

(defun spawn-nodes (me i n acc)
  (if (> i n)
    (list_to_tuple (lists:reverse acc))
    (spawn-nodes me (+ i 1) n (cons (spawn (lambda () (node me i))) acc))))

(defun wire (pids i n)
  (if (> i n)
    'ok
    (progn (! (element i pids) (element (+ (rem i n) 1) pids))
           (wire pids (+ i 1) n))))

(let* ((args (lists:map #'list_to_integer/1 script-args))
       (n (case args ((cons n _) n) (_ 1000)))
       (m (case args ((list _ m) m) (_ 300000)))
       (pids (spawn-nodes (self) 1 n ())))
  (wire pids 1 n)
  (! (element 1 pids) m)
  (receive
    ((tuple 'done last) (io:format "ring ~b ~b ~b~n" (list n m last)))))
