(defmodule shapes
  (export all))

(defrecord circle (radius 1.0))
(defrecord rect width height)

(defmacro square (x) `(* ,x ,x))

(defun area
  (((match-circle radius r)) (* 3 (square r)))
  (((match-rect width w height h)) (* w h)))

(defun make (kind)
  (case kind
    ('circle (make-circle radius 2))
    ('rect (make-rect width 3 height 4))))

(defun describe (s)
  (cond ((is-circle s) (tuple 'circle (circle-radius s)))
        ((is-rect s) (tuple 'rect (rect-width s) (rect-height s)))))
