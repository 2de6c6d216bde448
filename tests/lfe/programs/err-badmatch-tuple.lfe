;; A let pattern that does not match: badmatch with the value.
(let (((tuple 'ok x) #(error because)))
  x)
