;; io:format integer directives: ~b ~B ~x ~X ~# ~.Nb, widths, padding, signs.
(io:format "~b ~B ~.16b ~.16B ~.2b~n" '(255 255 255 255 5))
(io:format "[~5b] [~-5b] [~5.10.0b] [~.8b]~n" '(42 42 42 42))
(io:format "~x ~X ~.16x~n" '(255 "0x" 255 "#" 255 "h"))
(io:format "~# ~.2#~n" '(255 5))
(io:format "[~10w] [~-10w]~n" '(12345 12345))
(io:format "~b ~b~n" '(-17 123456789012345678901234567890))
(io:format "~i~w~n" '(ignored shown))
