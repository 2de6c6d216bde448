;; A binary search tree of tuples: insert, member, in-order walk, depth.
(defun insert
  ((x 'nil) (tuple 'node 'nil x 'nil))
  ((x (= (tuple 'node l v r) t))
   (cond ((< x v) (tuple 'node (insert x l) v r))
         ((> x v) (tuple 'node l v (insert x r)))
         ('true t))))
(defun walk
  (('nil) ())
  (((tuple 'node l v r)) (++ (walk l) (list v) (walk r))))
(defun depth
  (('nil) 0)
  (((tuple 'node l _ r)) (+ 1 (max (depth l) (depth r)))))
(defun member?
  ((_ 'nil) 'false)
  ((x (tuple 'node l v r))
   (cond ((< x v) (member? x l)) ((> x v) (member? x r)) ('true 'true))))
(let ((t (lists:foldl #'insert/2 'nil '(50 30 70 20 40 60 80 30))))
  (lfe_io:format "~w~n" (list (walk t)))
  (lfe_io:format "~w ~w ~w~n" (list (depth t) (member? 60 t) (member? 65 t))))
