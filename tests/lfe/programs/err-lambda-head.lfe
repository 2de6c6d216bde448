((lambda (x) (* x 3)) 4)
