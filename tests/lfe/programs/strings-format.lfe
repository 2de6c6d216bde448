;; Building text: io_lib:format, string concatenation, padding with lists:duplicate.
(defun pad (s n) (++ s (lists:duplicate (- n (length s)) 46)))
(lists:foreach
  (lambda (p) (io:format "~s~w~n" (list (pad (element 1 p) 12) (element 2 p))))
  '(#("apples" 3) #("kiwis" 12) #("cherries" 100)))
(io:format "~s~n" (list (lists:flatten (lists:map (lambda (x) (io_lib:format "[~w]" (list x))) '(1 2 3)))))
