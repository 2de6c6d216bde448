;; Tagged tuples as variants: dispatch on the tag, build and reshape.
(defun area
  (((tuple 'circle r)) (* 3 r r))
  (((tuple 'rect w h)) (* w h))
  (((tuple 'square s)) (area (tuple 'rect s s))))
(let ((shapes '(#(circle 2) #(rect 3 4) #(square 5))))
  (lfe_io:format "~w~n" (list (lists:map #'area/1 shapes)))
  (lfe_io:format "~w~n" (list (lists:keysort 1 shapes))))
