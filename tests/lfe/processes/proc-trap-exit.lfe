;; trap_exit: a linked process's exit arrives as a message, normal or not.
(process_flag 'trap_exit 'true)
(let ((p1 (spawn_link (lambda () 'done)))
      (p2 (spawn_link (lambda () (exit 'crashed)))))
  (lists:foreach
    (lambda (p)
      (receive ((tuple 'EXIT q reason) (when (== q p)) (lfe_io:format "~w~n" (list reason)))))
    (list p1 p2)))
(let ((p3 (spawn_link (lambda () (exit #(boom detail))))))
  (receive ((tuple 'EXIT q (tuple reason _)) (when (== q p3)) (lfe_io:format "~w~n" (list reason)))))
