;; Selective receive: later-matching messages are taken first; the rest stay in order.
(let ((me (self)))
  (! me 'a) (! me #(b 1)) (! me 'c) (! me #(b 2)) (! me 'd)
  (receive ((tuple 'b x) (lfe_io:format "first b ~w~n" (list x))))
  (receive ((tuple 'b x) (lfe_io:format "second b ~w~n" (list x))))
  (lfe_io:format "~w~n" (list (lists:map (lambda (_) (receive (m m))) '(1 2 3)))))
