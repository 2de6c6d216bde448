(let (((tuple a b) (tuple 1 2 3))) a)
