;; Matching binaries: fixed and variable sizes, rest, little-endian, signed, floats,
;; bitstrings, utf8.
(defun show (x) (lfe_io:format "~w~n" (list x)))
(let (((binary (a (size 8)) (b (size 16)) (rest binary)) #B(1 0 2 9 9)))
  (show (list a b rest)))
(let (((binary (n (size 8)) (body binary (size n)) (tail binary)) #B(3 97 98 99 100)))
  (show (list n body tail)))
(let (((binary (x (size 16) little)) #B(1 2))) (show x))
(let (((binary (x (size 8) signed)) #B(255))) (show x))
(let (((binary (f float)) (binary (2.5 float)))) (show f))
(let (((binary (h (size 3)) (t bitstring)) #B(255))) (show (list h t)))
(defun count-bytes
  (((binary (_ (size 8)) (rest binary)) n) (count-bytes rest (+ n 1)))
  (((binary) n) n))
(show (count-bytes #"hello world" 0))
