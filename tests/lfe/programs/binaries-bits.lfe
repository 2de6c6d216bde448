;; Bitstrings: segments that are not whole bytes, built and taken apart.
(defun show (x) (lfe_io:format "~w~n" (list x)))
(let ((b (binary (1 (size 1)) (0 (size 1)) (5 (size 3)))))
  (show b)
  (show (bit_size b))
  (let (((binary (x (size 2)) (y (size 3))) b)) (show (list x y))))
(show (is_bitstring (binary (1 (size 7)))))
(show (is_binary (binary (1 (size 7)))))
(defun bits
  (((binary (b (size 1)) (rest bitstring))) (cons b (bits rest)))
  (((binary)) ()))
(show (bits #B(165)))
