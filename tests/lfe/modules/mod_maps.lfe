(defmodule mod_maps
  (export (main 0)))
;; Map patterns in function heads: literal keys, several at once, nested.
(defun lookup
  (((map 'a v)) (tuple 'found v))
  ((_) 'missing))
(defun both
  (((map 'a x 'b y)) (+ x y))
  ((_) 'no))

(defun main ()
  (let ((m #M(a 1 b 2)))
    (lfe_io:format "~w ~w ~w ~w~n" (list (lookup m) (lookup #M(z 1)) (both m) (both #M(a 1))))
    (lfe_io:format "~p~n" (list (maps:fold (lambda (k v acc) (cons (tuple v k) acc)) () m)))))
