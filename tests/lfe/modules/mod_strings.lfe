(defmodule mod_strings
  (export (main 0)))
;; Text processing: word counts with a map, sorted output.
(defun count-words (text)
  (lists:foldl (lambda (w m) (maps:put w (+ 1 (maps:get w m 0)) m))
               #M()
               (string:tokens text " ")))

(defun main ()
  (let ((counts (count-words "the cat and the dog and the bird")))
    (lists:foreach (lambda (kv) (io:format "~s ~w~n" (list (element 1 kv) (element 2 kv))))
                   (lists:sort (maps:to_list counts)))))
