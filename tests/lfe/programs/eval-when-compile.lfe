(eval-when-compile
  (defun double (x) (* 2 x)))
(defmacro twice (x) (double x))
(lfe_io:format "~p~n" (list (twice 21)))
(lfe_io:format "~p~n" (list (double 4)))
