;; exit with a tuple reason, uncaught.
(defun stop () (exit #(shutdown reason 1)))
(stop)
