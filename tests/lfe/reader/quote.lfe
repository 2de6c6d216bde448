'a 'b '(a b) '() '#(a b) `(a ,b ,@c) `(a `(b ,(c ,@d))) ''a ',a
(quote a) (quote a b) (quote) (backquote x) (comma x) (comma-at x) (quote . a)
'"str" '#"bin" '1 '(quote x)
