;; lfe_io:format and print/prettyprint in LFE syntax.
(lfe_io:format "~w ~p ~s~n" (list #(a 1 "s") '(1 (2 3) #(x)) "str"))
(lfe_io:print '(a #(b c) #"bin" #M(k v)))
(io:nl)
(lfe_io:print (list 1.5 -3 'quoted|atom| "string"))
(io:nl)
(lfe_io:format "~p~n" (list (lists:seq 1 40)))
(lfe_io:format "~w~n" (list (tuple)))
(lfe_io:format "~w ~w~n" (list (cons 1 2) '(1 2 . 3)))
