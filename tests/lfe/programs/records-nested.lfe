;; Records holding records, updated in depth.
(defrecord point (x 0) (y 0))
(defrecord line (from (make-point)) (to (make-point)))
(let* ((l (make-line to (make-point x 3 y 4)))
       (l2 (set-line-from l (set-point-x (line-from l) 1))))
  (lfe_io:format "~w~n" (list l2))
  (lfe_io:format "~w ~w~n" (list (point-x (line-from l2)) (point-y (line-to l2)))))
