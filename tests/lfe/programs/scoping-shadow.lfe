;; Shadowing: lambda arguments, let inside let, funs capturing the outer value.
(let ((x 1))
  (let ((f (lambda () x))
        (x 2))
    (lfe_io:format "~w ~w~n" (list (funcall f) x))))
(let ((x 'outer))
  (lfe_io:format "~w~n" (list (funcall (lambda (x) x) 'inner)))
  (lfe_io:format "~w~n" (list x)))
