;; An error propagates along a chain of links; the trapping head sees it.
(defun chain
  ((0) (receive ('die (exit 'chain-broke))))
  ((n) (let ((next (spawn_link (lambda () (chain (- n 1))))))
         (receive ((tuple 'tail from) (! from (tuple 'tail-pid (tail next))) (receive (_ 'ok)))))))
(defun tail (p) p)
(process_flag 'trap_exit 'true)
(let ((head (spawn_link (lambda () (chain 0)))))
  (! head 'die)
  (receive ((tuple 'EXIT p reason) (lfe_io:format "~w ~w~n" (list (== p head) reason)))))
