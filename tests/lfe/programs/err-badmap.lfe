;; map-get on something that is not a map.
(maps:get 'a 'notamap)
