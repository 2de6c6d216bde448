(error (tuple (quote my-error) (list 1 2 3)))
