;; idle: N LFE processes that each tell the parent they are running and then block in
;; receive for ever (as idle.lua and idle.erl). The parent waits for all N, prints,
;; and ends the node. Measured by hand for now (bench/run-process runs the .lua and
;; .erl versions): peak RSS with N processes minus N = 0, per process.
(defun idle (parent)
  (! parent 1)
  (receive (x x)))

(defun spawn-all (me n)
  (if (> n 0)
    (progn (spawn (lambda () (idle me))) (spawn-all me (- n 1)))
    'ok))

(defun wait-all (n acc)
  (if (> n 0)
    (receive (k (wait-all (- n 1) (+ acc k))))
    acc))

(let* ((n (case script-args
            ((cons a _) (list_to_integer a))
            (() 100000)))
       (me (self)))
  (spawn-all me n)
  (io:format "idle ~w ~w~n" (list n (wait-all n 0))))
