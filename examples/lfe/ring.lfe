;; A ring of N LFE processes passing a token M times round.
;;   cube-cli run examples/lfe/ring.lfe [N] [M]
(defun node (next)
  (receive
    ((tuple 'token n) (! next (tuple 'token (+ n 1))) (node next))
    ('stop (! next 'stop))))

(defun make-ring (n next)
  (if (== n 0)
    next
    (make-ring (- n 1) (spawn (lambda () (node next))))))

(defun rounds (head m)
  (receive
    ((tuple 'token hops)
     (if (== m 1)
       hops
       (progn (! head (tuple 'token hops)) (rounds head (- m 1)))))))

(let* ((args (lists:map #'list_to_integer/1 script-args))
       (n (case args ((cons n _) n) (_ 1000)))
       (m (case args ((list _ m) m) (_ 10)))
       (head (make-ring n (self))))
  (! head #(token 0))
  (let ((hops (rounds head m)))
    (! head 'stop)
    (receive ('stop 'ok))
    (io:format "ring of ~w LFE processes: ~w rounds, ~w message hops~n" (list n m hops))))
