;; exit normal from the script process ends it quietly? LFE reports it.
(exit 'normal)
