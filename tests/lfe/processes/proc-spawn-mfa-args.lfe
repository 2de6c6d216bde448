;; spawn of module/function/args with the erlang and lists modules.
(let ((me (self)))
  (spawn 'erlang 'send (list me #(sent by spawn)))
  (receive (m (lfe_io:format "~w~n" (list m)))))
(let* ((me (self))
       (p (spawn (lambda () (! me (tuple 'sum (lists:sum (lists:seq 1 100))))))))
  (receive ((tuple 'sum s) (lfe_io:format "~w~n" (list s)))))
