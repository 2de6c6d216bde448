(defmodule mod_funs
  (export (main 0) (square 1)))
;; Function values in a module: local and external references, closures over args.
(defun square (x) (* x x))
(defun make-scaler (k) (lambda (x) (* k x)))
(defun apply-all (fs x) (lists:map (lambda (f) (funcall f x)) fs))

(defun main ()
  (lfe_io:format "~w~n"
    (list (apply-all (list #'square/1 #'mod_funs:square/1 (make-scaler 10) #'abs/1) -3))))
