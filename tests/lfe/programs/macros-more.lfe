;; defmacro with clauses, backquote splicing, macros defining functions, recursion in
;; expansion.
(defmacro swap-args (f a b) `(,f ,b ,a))
(lfe_io:format "~w~n" (list (swap-args - 1 10)))
(defmacro my-and
  (() ''true)
  ((list x) x)
  ((cons x rest) `(if ,x (my-and ,@rest) 'false)))
(lfe_io:format "~w ~w ~w~n" (list (my-and) (my-and 'true 'true 3) (my-and 'true 'false 3)))
(defmacro defconst (name value) `(defun ,name () ,value))
(defconst answer 42)
(lfe_io:format "~w~n" (list (answer)))
(defmacro my-unless args `(if ,(car args) 'false (progn ,@(cdr args))))
(lfe_io:format "~w ~w~n" (list (my-unless 'false 1 2) (my-unless 'true 1 2)))
(defmacro my-list-of-squares args `(list ,@(lists:map (lambda (x) `(* ,x ,x)) args)))
(lfe_io:format "~w~n" (list (my-list-of-squares 1 2 3)))
