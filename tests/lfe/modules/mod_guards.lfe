(defmodule mod_guards
  (export (main 0)))
;; Guards in a compiled module: andalso/orelse, type tests, arithmetic.
(defun classify
  ((x) (when (andalso (is_integer x) (=:= (rem x 2) 0))) 'even)
  ((x) (when (orelse (is_atom x) (is_binary x))) 'name)
  ((x) (when (is_function x 1)) 'unary)
  ((x) (when (is_float x) (> x 0.0)) 'positive-float)
  ((_) 'other))

(defun main ()
  (lfe_io:format "~w~n"
    (list (lists:map #'classify/1 (list 4 'a #"b" (lambda (y) y) 1.5 -1.5 3)))))
