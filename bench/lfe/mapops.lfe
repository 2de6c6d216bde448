;; mapops: fill a map with N integer keys (maps:put), read every key back (map-get and
;; maps:get), update every value with the := form, fold over it, R times. As
;; mapops.erl.   cube-cli run bench/lfe/mapops.lfe [N] [R]
(defun fill (m i n)
  (if (> i n) m (fill (maps:put i (* i 3) m) (+ i 1) n)))

(defun lookup (m i n acc)
  (if (> i n) acc (lookup m (+ i 1) n (+ acc (map-get m i)))))

(defun matched
  ((m i n acc) (when (> i n)) acc)
  ((m i n acc)
   (matched m (+ i 1) n (+ acc (maps:get i m)))))

(defun bump (m i n)
  (if (> i n) m (bump (map-update m i (+ (map-get m i) 1)) (+ i 1) n)))

(defun one-round (n)
  (let* ((m (fill #M() 1 n))
         (m2 (bump m 1 n)))
    (+ (lookup m 1 n 0) (matched m2 1 n 0)
       (maps:fold (lambda (k v acc) (+ acc k v)) 0 m2)
       (map_size m2))))

(defun repeat (n r acc)
  (if (== r 0) acc (repeat n (- r 1) (+ acc (one-round n)))))

(let* ((args (lists:map #'list_to_integer/1 script-args))
       (n (case args ((cons n _) n) (_ 50000)))
       (r (case args ((list _ r) r) (_ 10))))
  (io:format "mapops ~b ~b ~b~n" (list n r (repeat n r 0))))
