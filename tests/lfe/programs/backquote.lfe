;; Backquote building data: nested quasi-quotes, splicing at the end and in the middle,
;; dotted tails, tuples.
(let ((x 1) (ys '(2 3)) (z 'zed))
  (lfe_io:format "~w~n" (list `(a ,x ,@ys b)))
  (lfe_io:format "~w~n" (list `(,@ys ,@ys)))
  (lfe_io:format "~w~n" (list `(head . ,z)))
  (lfe_io:format "~w~n" (list `#(,x ,z ok)))
  (lfe_io:format "~w~n" (list `(1 (2 ,x) (,@ys))))
  (lfe_io:format "~w~n" (list `,x)))
