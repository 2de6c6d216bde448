;; Calling a fun with the wrong number of arguments.
(let ((f (lambda (x) x)))
  (funcall f 1 2))
