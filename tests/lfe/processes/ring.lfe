;; A ring of 100 processes; a token goes round it ten times, counted at each hop.
(defun node (next)
  (receive
    ((tuple 'token n) (! next (tuple 'token (+ n 1))) (node next))
    ('stop (! next 'stop))))

(defun make-ring (n next)
  (if (== n 0)
    next
    (make-ring (- n 1) (spawn (lambda () (node next))))))

(let ((head (make-ring 100 (self))))
  (! head #(token 0))
  (let ((total (lists:foldl (lambda (_ acc)
                              (receive ((tuple 'token n) (! head (tuple 'token n)) n)))
                            0
                            (lists:seq 1 9))))
    (receive ((tuple 'token n) (io:format "~w ~w~n" (list total n))))
    (! head 'stop)
    (receive ('stop (io:format "stopped~n")))))
