(let (((tuple a) (lists:seq 1 50))) a)
