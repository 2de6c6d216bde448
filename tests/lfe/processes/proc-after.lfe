;; receive with after: zero timeout polls; a timeout fires when nothing matches.
(lfe_io:format "~w~n" (list (receive (x x) (after 0 'empty))))
(! (self) 'here)
(lfe_io:format "~w~n" (list (receive (x x) (after 0 'empty))))
(lfe_io:format "~w~n" (list (receive ('never 'got) (after 20 'timeout))))
(! (self) 'other)
(lfe_io:format "~w~n" (list (receive ('never 'got) (after 10 'timeout-with-mail))))
(lfe_io:format "~w~n" (list (receive (m m))))
