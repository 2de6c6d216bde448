-- next and pairs: empty tables, next(t) returning a key, iteration counts, modifying existing fields while iterating
print(next({}), type(next), next({}, nil))
local k, v = next({10})
print(k, v, next({10}, 1))
local t = {a = 1, b = 2, c = 3, 10, 20}
local keys = {}
for key, val in pairs(t) do keys[#keys + 1] = tostring(key) .. "=" .. tostring(val) end
table.sort(keys)
print(#keys, table.concat(keys, " "))
for key in pairs(t) do t[key] = nil end
print(next(t))
local big = {} for i = 1, 1000 do big["k" .. i] = i end
local n, sum = 0, 0 for _, val in pairs(big) do n = n + 1 sum = sum + val end
print(n, sum)
for key, val in pairs(big) do big[key] = val * 2 end
sum = 0 for _, val in pairs(big) do sum = sum + val end print(sum)
print(pcall(function() return next(nil) end))
print(pairs({}) == next)
local iter, state, init = pairs({})
print(iter == next, type(state), init)
