;; A top-level macro call is expanded once (its side effects happen once); a macro that
;; writes a defun defines the function.
(defmacro noisy () (io:format "expanding~n") ''value)
(io:format "~w~n" (list (noisy)))
(noisy)
(defmacro defconst (name v) `(defun ,name () ,v))
(defconst seven 7)
(io:format "~w~n" (list (seven)))
