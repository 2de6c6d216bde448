(defmodule errors
  (export (main 0)))

(defun check ((x) (when (is_integer x)) (tuple (quote int) x)))

(defun main ()
  (io:format "~p~n" (list (try (/ 1 0) (catch ((tuple c r _) (tuple c r))))))
  (io:format "~p~n" (list (try (check 'a) (catch ((tuple c r _) (tuple c r))))))
  (io:format "~p~n" (list (try (throw 'ball) (catch ((tuple c r _) (tuple c r))))))
  (io:format "~p~n" (list (try (exit 'gone) (catch ((tuple c r _) (tuple c r))))))
  (io:format "~p~n" (list (catch (throw 'caught))))
  (io:format "~p~n" (list (try (error (tuple 'mine 1))
                            (catch ((tuple 'error (tuple 'mine n) _) n))))))
