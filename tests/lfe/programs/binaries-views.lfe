;; Sub-binaries: the parts a binary pattern takes out of a binary, at byte and
;; bit offsets, used as values again (printed, compared, matched, rebuilt).
(defun split-all
  (((binary (b (size 8)) (rest binary)) acc) (split-all rest (cons rest acc)))
  (((binary) acc) (lists:reverse acc)))

(defun bits-of
  (((binary (b (size 1)) (rest bitstring)) acc) (bits-of rest (cons b acc)))
  (((binary) acc) (lists:reverse acc)))

(let* ((bin #"hello, world")
       ((binary (a binary (size 5)) (_ (size 16)) (rest binary)) bin))
  (lfe_io:format "~p ~p~n" (list a rest))
  (io:format "~w ~w ~w~n" (list (byte_size rest) (binary_to_list rest) (=:= rest #"world")))
  (io:format "~p~n" (list (split-all #"abcd" ())))
  (io:format "~w~n" (list (list_to_binary (list a #" " rest))))
  (io:format "~w~n" (list (lists:sort (list rest a #"hello" #"worl")))))

;; Views that do not start or end on a byte boundary.
(let* ((bin (binary (5 (size 3)) (#"abc" binary) (1 (size 2))))
       ((binary (x (size 3)) (mid binary (size 2)) (tail bitstring)) bin))
  (io:format "~w ~w ~w ~w~n" (list x mid tail (bit_size tail)))
  (io:format "~w~n" (list (binary (tail bitstring) (mid binary))))
  (io:format "~w ~w~n" (list (=:= tail (binary (99 (size 8)) (1 (size 2)))) (< mid tail)))
  (io:format "~w~n" (list (bits-of (binary (mid binary) (0 (size 1))) ()))))

;; Integers read from views: sizes up to and past 64 bits, signed and little.
(defun ints
  (((binary (a (size 16) signed) (b (size 16) little) (w (size 64))
            (d (size 72) signed) (e (size 5))))
   (list a b w d e)))

(defun odd
  (((binary (s (size 3)) (v bitstring))) (tuple s (odd2 v))))

(defun odd2
  (((binary (p (size 13)) (q (size 64) signed) (r bitstring))) (list p q r)))

(let ((bin (binary (-2 (size 16)) (258 (size 16) little)
                   (18446744073709551615 (size 64)) (-1 (size 72) signed)
                   (7 (size 5)))))
  (io:format "~w~n~w~n" (list (ints bin) (odd bin))))

;; A utf-8 segment read from a view that starts inside a byte of its buffer.
(defun char-of
  (((binary (ch utf-8) (more bitstring))) (tuple ch more)))

(let (((binary (_ (size 1)) (rest bitstring))
       (binary (1 (size 1)) (955 utf-8) (122 (size 8)))))
  (io:format "~w~n" (list (char-of rest))))
