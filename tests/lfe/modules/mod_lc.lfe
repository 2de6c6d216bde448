(defmodule mod_lc
  (export (main 0)))
;; Comprehensions in compiled code: Pythagorean triples, permutations.
(defun triples (n)
  (lc ((<- a (lists:seq 1 n)) (<- b (lists:seq a n)) (<- c (lists:seq b n))
       (== (+ (* a a) (* b b)) (* c c)))
    (tuple a b c)))

(defun perms
  ((()) (list ()))
  ((l) (lc ((<- h l) (<- t (perms (-- l (list h))))) (cons h t))))

(defun main ()
  (lfe_io:format "~w~n" (list (triples 20)))
  (lfe_io:format "~w~n" (list (perms '(1 2 3)))))
