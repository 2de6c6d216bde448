(funcall (lambda (x) x) 1 2)
