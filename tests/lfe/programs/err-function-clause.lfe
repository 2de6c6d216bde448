(defun f ((1) (quote one)))
(f 2)
