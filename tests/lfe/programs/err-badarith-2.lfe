;; Arithmetic on an atom: badarith.
(defun add (a b) (+ a b))
(add 1 'two)
