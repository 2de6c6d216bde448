-- 5.2 xpcall passes extra arguments to the function; handler receives the raw error value
print(xpcall(function(a, b, c) return a, b, c end, print, 1, nil, 3))
print(xpcall(function(...) return select('#', ...) end, print))
print(xpcall(function(t) error(t) end, function(e) return type(e), e.k end, {k = "v"}))
print(xpcall(error, function(e) return "H(" .. tostring(e) .. ")" end, 99, 0))
