(case (tuple 'a-long-atom-name (lists:seq 1 30) "a string that is long" (tuple 1 (tuple 2 (tuple 3 (tuple 4 (tuple 5 (tuple 6 (tuple 7)))))))) ('no 'match))
