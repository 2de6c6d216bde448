;; An echo server answering tagged requests, stopped by a message.
(defun echo ()
  (receive
    ((tuple from msg) (! from (tuple (self) msg)) (echo))
    ('stop 'ok)))
(let ((pid (spawn #'echo/0)))
  (lists:foreach
    (lambda (m)
      (! pid (tuple (self) m))
      (receive ((tuple p reply) (when (== p pid)) (lfe_io:format "~p~n" (list reply)))))
    (list 'hello 42 "text" #(nested (list 1 2)) #M(k v)))
  (! pid 'stop))
