;; Selective receive: messages are taken in the order the clauses ask for, the
;; others stay queued in arrival order.
(defun drain (acc)
  (receive
    (m (drain (cons m acc)))
    (after 0 (lists:reverse acc))))

(! (self) 'a)
(! (self) #(b 1))
(! (self) 'c)
(! (self) #(b 2))
(! (self) 'd)
(io:format "~w~n" (list (receive ('c 'got-c))))
(io:format "~w~n" (list (receive ((tuple 'b n) (when (> n 1)) (tuple 'big-b n)))))
(io:format "~w~n" (list (receive ((tuple 'b n) (tuple 'b n)))))
(io:format "~w~n" (list (drain ())))

;; Out of order from another process.
(let ((me (self)))
  (spawn (lambda () (! me #(msg 3)) (! me #(msg 1)) (! me #(msg 2))))
  (io:format "~w~n"
             (list (lc ((<- i '(1 2 3))) (receive ((tuple 'msg n) (when (=:= n i)) n))))))

;; A guard that fails leaves the message queued.
(! (self) 5)
(! (self) 50)
(io:format "~w~n" (list (receive (n (when (> n 10)) n))))
(io:format "~w~n" (list (drain ())))
