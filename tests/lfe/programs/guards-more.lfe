;; Guard BIFs and combinations: andalso/orelse, type tests, arithmetic in guards.
(defun g
  ((x) (when (is_list x) (> (length x) 2)) 'long-list)
  ((x) (when (is_tuple x)) 'tuple)
  ((x) (when (is_map x)) 'map)
  ((x) (when (is_number x) (< (abs x) 10)) 'small-number)
  ((x) (when (is_binary x) (> (byte_size x) 1)) 'binary)
  ((_) 'else))
(lists:foreach (lambda (x) (lfe_io:format "~w~n" (list (g x))))
  (list '(1 2 3) '(1) #(1) #M(a 1) 4 -3 7.5 99 #"ab" #"a"))
(defun guard-error
  ((x) (when (> (hd x) 0)) 'positive-head)
  ((_) 'guard-failed))
(lfe_io:format "~w ~w~n" (list (guard-error '(1)) (guard-error 'atom)))
