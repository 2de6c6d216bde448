(defmodule shellmod
  (export (double 1) (hello 0)))

(defun double (x) (* 2 x))

(defun hello () (tuple 'hello 'from 'shellmod))
