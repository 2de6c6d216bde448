-- compare and concatenate error messages
local function try(f) print(select(2, pcall(f))) end
try(function() return 1 < "1" end)
try(function() return {} < 1 end)
try(function() return {} <= {} end)
try(function() return print < print end)
try(function() return nil > 1 end)
try(function() local x; return "a" .. x end)
try(function() return "a" .. undefined_g end)
try(function() local t = {} return t.f .. "x" end)
try(function() return "a" .. {} .. "b" end)
try(function() return 1 .. true end)
try(function() local t = {} return "x" .. t end)
