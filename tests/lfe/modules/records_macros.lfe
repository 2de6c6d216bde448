(defmodule records_macros
  (export (main 0)))

(defrecord point x y)

(defmacro swap-point (p)
  `(make-point x (point-y ,p) y (point-x ,p)))

(defun main ()
  (let* ((p (make-point x 1 y 2))
         (q (swap-point p)))
    (io:format "~p ~p~n" (list p q))
    (io:format "~p~n" (list (set-point-x q 10))))
  (let ((c (shapes:make 'circle))
        (r (shapes:make 'rect)))
    (io:format "~p ~p~n" (list c r))
    (io:format "~p ~p~n" (list (shapes:area c) (shapes:area r)))
    (io:format "~p ~p~n" (list (shapes:describe c) (shapes:describe r))))
  (io:format "~p~n" (list (try (shapes:area 'triangle)
                            (catch ((tuple c r _) (tuple c r)))))))
