(case (list 1 2) ((tuple a) a))
