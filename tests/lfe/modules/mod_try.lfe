(defmodule mod_try
  (export (main 0)))
;; try in compiled code: the class and reason of each kind of failure.
(defun attempt (f)
  (try (funcall f)
    (case (v (tuple 'ok v)))
    (catch ((tuple class reason _) (tuple class reason)))))

(defun main ()
  (lists:foreach
    (lambda (f) (lfe_io:format "~w~n" (list (attempt f))))
    (list (lambda () 1)
          (lambda () (throw 'up))
          (lambda () (error 'bad))
          (lambda () (exit 'out))
          (lambda () (element 3 #(a)))
          (lambda () (list_to_integer "x"))
          (lambda () (+ 'a 1)))))
