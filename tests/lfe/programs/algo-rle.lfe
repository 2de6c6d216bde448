;; Run-length encoding of a string and back.
(defun rle
  ((()) ())
  (((cons c rest)) (rle rest c 1)))
(defun rle
  ((() c n) (list (tuple c n)))
  (((cons c rest) c n) (rle rest c (+ n 1)))
  (((cons d rest) c n) (cons (tuple c n) (rle rest d 1))))
(defun unrle (pairs) (lists:flatmap (match-lambda (((tuple c n)) (lists:duplicate n c))) pairs))
(let ((enc (rle "aaabccddddde")))
  (lfe_io:format "~w~n" (list enc))
  (lfe_io:format "~s~n" (list (unrle enc))))
