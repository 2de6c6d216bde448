;; Spawn workers that each square a number and send back; collect in order by pid.
(defun worker (parent x) (! parent (tuple (self) (* x x))))
(let* ((me (self))
       (pids (lists:map (lambda (x) (spawn (lambda () (worker me x)))) (lists:seq 1 10)))
       (results (lists:map (lambda (p) (receive ((tuple q r) (when (== q p)) r))) pids)))
  (lfe_io:format "~w~n" (list results))
  (lfe_io:format "~w~n" (list (lists:sum results))))
