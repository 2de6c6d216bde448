(defmodule calls
  (export (main 0) (visible 1)))

(defun visible (x) (tuple 'visible x))

(defun main ()
  ;; Remote calls: static, through call, apply and funs.
  (io:format "~p~n" (list (helper:twice 5)))
  (io:format "~p~n" (list (call 'helper 'twice 6)))
  (io:format "~p~n" (list (apply 'helper 'twice '(7))))
  (io:format "~p~n" (list (funcall #'helper:twice/1 8)))
  (io:format "~p~n" (list (helper:apply-to #'visible/1 1)))
  (io:format "~p~n" (list (helper:apply-to #'private/1 2)))
  ;; A local fun of another module's unexported function.
  (io:format "~p~n" (list (funcall (helper:local-fun) 'ok)))
  ;; Calling an unexported function, or a module that does not exist.
  (io:format "~p~n" (list (try (helper:hidden 1) (catch ((tuple c r _) (tuple c r))))))
  (io:format "~p~n" (list (try (no_such_module:f) (catch ((tuple c r _) (tuple c r))))))
  (io:format "~p~n" (list (try (call 'helper 'twice 1 2) (catch ((tuple c r _) (tuple c r))))))
  ;; A million tail calls in constant space.
  (io:format "~p~n" (list (helper:counter 1000000 0)))
  ;; A local function shadows the module's function of the same name.
  (io:format "~p~n" (list (flet ((visible (x) (tuple 'shadowed x))) (visible 3))))
  (io:format "~p~n" (list (visible 4))))

(defun private (x) (tuple 'private x))
