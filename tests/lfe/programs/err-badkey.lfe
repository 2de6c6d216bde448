;; maps:get of a missing key: #(badkey k), uncaught.
(maps:get 'missing #M(a 1))
