;; Ping-pong between the script's process and a spawned one.
(defun pong ()
  (receive
    ((tuple 'ping from n)
     (! from (tuple 'pong n))
     (pong))
    ('stop (io:format "pong stops~n"))))

(defun ping (p n)
  (if (> n 0)
    (progn
      (! p (tuple 'ping (self) n))
      (receive
        ((tuple 'pong m) (io:format "pong ~w~n" (list m))))
      (ping p (- n 1)))
    'done))

(let ((p (spawn (lambda () (pong)))))
  (io:format "~w~n" (list (ping p 5)))
  (let ((ref (monitor 'process p)))
    (! p 'stop)
    (receive ((tuple 'DOWN ref2 'process _ r) (io:format "~w ~w~n" (list (=:= ref ref2) r))))))
