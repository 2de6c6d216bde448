;; Map updates: mupd of a missing key is badkey; mset adds.
(defun show (x) (lfe_io:format "~w~n" (list x)))
(defmacro caught (e) `(try ,e (catch ((tuple c r _) (tuple c r)))))
(show (mset #M(a 1) 'b 2))
(show (caught (mupd #M(a 1) 'b 2)))
(show (caught (map-get #M(a 1) 'b)))
(show (caught (maps:update 'b 2 #M(a 1))))
(show (maps:update 'a 2 #M(a 1)))
(show (caught (maps:get 'k 'notamap)))
