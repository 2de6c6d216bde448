;; An if with no true branch... LFE's if has an implicit false branch; a case with no
;; matching clause is case_clause.
(lfe_io:format "~w~n" (list (if 'false 'yes)))
(case (tuple 1 2)
  ((tuple 2 _) 'no))
