;; binparse: build a binary of N length-prefixed records (tag:8, length:16 big-endian,
;; payload, a 32-bit little-endian trailer) and parse it R times with binary
;; patterns, summing tags, payload bytes and trailers. As binparse.erl.
;;   cube-cli run bench/lfe/binparse.lfe [N] [R]
(defun record (i)
  (let* ((len (rem i 23))
         (payload (list_to_binary (lists:duplicate len (band i 255)))))
    (binary ((band i 255) (size 8)) (len (size 16)) (payload binary)
            (i (size 32) little))))

(defun build (i n acc)
  (if (> i n)
    (list_to_binary (lists:reverse acc))
    (build (+ i 1) n (cons (record i) acc))))

(defun sum-bytes
  (((binary (b (size 8)) (rest binary)) acc) (sum-bytes rest (+ acc b)))
  (((binary) acc) acc))

(defun parse
  (((binary (tag (size 8)) (len (size 16)) (payload binary (size len))
            (trailer (size 32) little) (rest binary))
    count sum)
   (parse rest (+ count 1) (+ sum tag trailer (sum-bytes payload 0))))
  (((binary) count sum) (tuple count sum)))

(defun repeat (bin r acc)
  (if (== r 0)
    acc
    (repeat bin (- r 1) (parse bin 0 0))))

(let* ((args (lists:map #'list_to_integer/1 script-args))
       (n (case args ((cons n _) n) (_ 20000)))
       (r (case args ((list _ r) r) (_ 20)))
       (bin (build 1 n ()))
       ((tuple count sum) (repeat bin r 'none)))
  (io:format "binparse ~b ~b ~b ~b ~b~n" (list n r (byte_size bin) count sum)))
