;; No clause of a function matches: function_clause.
(defun only-pos ((n) (when (> n 0)) n))
(lfe_io:format "~w~n" (list (only-pos 1)))
(only-pos -1)
