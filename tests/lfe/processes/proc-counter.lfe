;; A counter process holding state in its loop's argument.
(defun counter (n)
  (receive
    ('inc (counter (+ n 1)))
    ((tuple 'add k) (counter (+ n k)))
    ((tuple 'get from) (! from (tuple 'count n)) (counter n))))
(let ((c (spawn (lambda () (counter 0)))))
  (! c 'inc) (! c 'inc) (! c #(add 10))
  (! c (tuple 'get (self)))
  (receive ((tuple 'count n) (lfe_io:format "count ~w~n" (list n)))))
