(defmodule mod_records
  (export (main 0)))
;; Records inside a module: defaults, update, match in function heads.
(defrecord account (owner "nobody") (balance 0))

(defun deposit (acc amount)
  (set-account-balance acc (+ (account-balance acc) amount)))

(defun rich?
  (((match-account balance b)) (when (> b 100)) 'true)
  ((_) 'false))

(defun main ()
  (let* ((a (make-account owner "Ann"))
         (b (deposit (deposit a 60) 70)))
    (lfe_io:format "~p~n" (list b))
    (lfe_io:format "~w ~w~n" (list (rich? a) (rich? b)))))
