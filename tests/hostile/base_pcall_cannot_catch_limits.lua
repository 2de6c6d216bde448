-- expect: reductions
-- A limit is not an error the script can catch and ignore.
for _ = 1, 1e9 do
  pcall(function() while true do end end)
end
