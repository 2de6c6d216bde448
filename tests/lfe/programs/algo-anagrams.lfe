;; Group words by their sorted letters with a map of lists.
(defun group (words)
  (lists:foldl (lambda (w m) (let ((k (lists:sort w))) (maps:put k (cons w (maps:get k m ())) m)))
               #M() words))
(let ((g (group '("listen" "silent" "enlist" "google" "gogole" "cat" "act"))))
  (lists:foreach (lambda (k) (io:format "~s: ~p~n" (list k (lists:sort (maps:get k g)))))
                 (lists:sort (maps:keys g))))
