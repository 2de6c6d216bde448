(defmodule exports_imports
  (export (main 0))
  (import (from lists (reverse 1) (foldl 3))
          (rename helper ((twice 1) dbl))))

(defmacro sq (x) `(* ,x ,x))

(defun main ()
  (io:format "~p~n" (list (fact 25)))
  (io:format "~p~n" (list (reverse '(1 2 3))))
  (io:format "~p~n" (list (foldl #'+/2 0 '(1 2 3 4))))
  (io:format "~p~n" (list (dbl 21)))
  (io:format "~p~n" (list (sq 7)))
  (io:format "~p~n" (list (lists:map (lambda (x) (fact x)) '(1 2 3 4 5)))))

(defun fact
  ((0) 1)
  ((n) (* n (fact (- n 1)))))
