;; try with of, catch clauses by class, after; nested; rethrow; error/exit/throw values.
(defun show (x) (lfe_io:format "~w~n" (list x)))
(defun risky
  ((0) (throw 'thrown))
  ((1) (error 'oops))
  ((2) (exit 'gone))
  ((3) (/ 1 0))
  ((n) n))
(defun guard (n)
  (try (risky n)
    (case
      (5 'five)
      (other (tuple 'value other)))
    (catch
      ((tuple 'throw r _) (tuple 'caught-throw r))
      ((tuple 'error 'badarith _) 'caught-badarith)
      ((tuple 'error r _) (tuple 'caught-error r))
      ((tuple 'exit r _) (tuple 'caught-exit r)))))
(lists:foreach (lambda (n) (show (guard n))) '(0 1 2 3 4 5))
(show (try (risky 4) (after (show 'after-ran))))
(show (try (try (risky 1) (catch ((tuple 'error r _) (throw (tuple 'rethrown r)))))
        (catch ((tuple 'throw r _) r))))
(show (catch (risky 0)))
