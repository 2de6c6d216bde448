;; lfe_io:format's ~p: terms in LFE syntax, laid out over lines by LFE's printer.
(lfe_io:format "~p~n" (list (lists:seq 1 40)))
(lfe_io:format "Result: ~p~n" (list (lists:seq 1 40)))
(lfe_io:format "~p~n" (list (tuple 'person "A long name here" 42 'engineer (list 'reading 'chess 'running) (map 'city "Springfield" 'zip 12345))))
(lfe_io:format "~p~n" (list (lists:map (lambda (i) (tuple i (* i i))) (lists:seq 1 12))))
(lfe_io:format "~w~n" (list (lists:seq 1 40)))
(lfe_io:format "~s: ~p~n" (list "key" (map 'a (lists:seq 1 30))))
