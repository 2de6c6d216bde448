(defmodule mod_macros
  (export (main 0)))
;; A module's own macros, used by its functions.
(defmacro twice (e) `(progn ,e ,e))
(defmacro with-label args `(tuple ,(car args) (progn ,@(cdr args))))

(defun main ()
  (twice (lfe_io:format "hi~n" ()))
  (lfe_io:format "~w~n" (list (with-label 'sum (+ 1 2) (* 3 4)))))
