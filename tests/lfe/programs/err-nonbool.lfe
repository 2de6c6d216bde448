(if 1 (quote yes) (quote no))
