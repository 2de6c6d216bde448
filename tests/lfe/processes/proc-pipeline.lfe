;; A pipeline of three stages, each a process that transforms and forwards.
(defun stage (f next)
  (receive
    ('eof (! next 'eof))
    (x (! next (funcall f x)) (stage f next))))
(defun collect (acc)
  (receive
    ('eof (lists:reverse acc))
    (x (collect (cons x acc)))))
(let* ((me (self))
       (s3 (spawn (lambda () (stage (lambda (x) (tuple 'out x)) me))))
       (s2 (spawn (lambda () (stage (lambda (x) (* x x)) s3))))
       (s1 (spawn (lambda () (stage (lambda (x) (+ x 1)) s2)))))
  (lists:foreach (lambda (x) (! s1 x)) '(1 2 3 4))
  (! s1 'eof)
  (lfe_io:format "~w~n" (list (collect ()))))
