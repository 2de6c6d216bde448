;; A linked process exiting with a reason takes a non-trapping middle process down;
;; the trapping top sees the reason passed on.
(process_flag 'trap_exit 'true)
(let* ((me (self))
       (middle (spawn_link
                 (lambda ()
                   (spawn_link (lambda () (exit 'bottom-failed)))
                   (receive (_ 'never))))))
  (receive ((tuple 'EXIT p reason) (lfe_io:format "~w ~w~n" (list (== p middle) reason)))))
