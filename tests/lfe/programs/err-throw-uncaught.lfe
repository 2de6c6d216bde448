;; An uncaught throw ends the script with nocatch.
(throw #(nobody catches this))
