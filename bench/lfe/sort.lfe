;; sort: build a list of N pseudo-random integers (a linear congruential generator,
;; tail recursive), sort it with lists:sort and with a quicksort written with list
;; comprehensions, check they agree and print a checksum. As sort.erl.
;;   cube-cli run bench/lfe/sort.lfe [N]
(defun build
  ((0 _ acc) acc)
  ((n seed acc)
   (let ((next (rem (+ (* seed 1103515245) 12345) 2147483648)))
     (build (- n 1) next (cons (rem next 1000000) acc)))))

(defun qsort
  ((()) ())
  (((cons p xs))
   (++ (qsort (lc ((<- x xs) (< x p)) x))
       (cons p (qsort (lc ((<- x xs) (>= x p)) x))))))

(defun checksum (xs)
  (lists:foldl (lambda (x acc) (rem (+ (* acc 31) x) 1000000007)) 0 xs))

(let* ((n (case script-args ((cons a _) (list_to_integer a)) (() 200000)))
       (xs (build n 42 ()))
       (sorted (lists:sort xs))
       (quick (qsort xs))
       (doubled (lists:map (lambda (x) (* 2 x)) (lists:reverse sorted))))
  (io:format "sort ~b ~w ~b ~b ~b ~b~n"
             (list n (=:= sorted quick) (length doubled) (hd sorted)
                   (lists:last sorted) (checksum sorted))))
