(defmodule helper
  "Functions other test modules call: some exported, some not."
  (export (twice 1) (apply-to 2) (local-fun 0) (counter 2)))

(defun twice (x) (* 2 (hidden x)))

(defun hidden (x) x)

(defun apply-to (f x) (funcall f x))

;; A fun of a function that is not exported: callers may still call it.
(defun local-fun () #'hidden/1)

;; Tail recursion in constant space.
(defun counter
  ((0 acc) acc)
  ((n acc) (counter (- n 1) (+ acc 1))))
