(defmodule mod_words
  (export (main 0)))
;; Compiled binary patterns: a size bound earlier in the same pattern, in a function head.
(defun words
  (((binary (len (size 8)) (w binary (size len)) (rest binary))) (cons w (words rest)))
  (((binary)) ()))

(defun main ()
  (lfe_io:format "~p~n" (list (words #B(2 104 105 3 121 111 117 0))))
  (lfe_io:format "~p~n" (list (words (binary (5 (size 8)) (#"hello" binary))))))
