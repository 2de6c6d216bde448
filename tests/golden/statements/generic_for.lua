-- generic for: ipairs stops at nil, custom stateless and stateful iterators, extra values
local t = {10, 20, nil, 40}
for i, v in ipairs(t) do print(i, v) end
local function range(n)
  return function(s, c) if c < n then return c + 1, (c + 1) * 2 end end, nil, 0
end
for i, d in range(3) do print(i, d) end
local function chars(s)
  local i = 0
  return function() i = i + 1; if i <= #s then return s:sub(i, i) end end
end
local acc = {} for c in chars("abc") do acc[#acc + 1] = c:upper() end
print(table.concat(acc))
local words = {}
for w in ("one two three"):gmatch("%a+") do words[#words + 1] = w end
print(#words, words[3])
local keys = {}
for k, v in pairs({a = 1, b = 2, c = 3}) do keys[#keys + 1] = k .. "=" .. v end
table.sort(keys) print(table.concat(keys, ","))
for a, b, c, d in function(_, x) if not x then return 1, 2, 3 end end do print(a, b, c, d) end
print(pcall(function() for x in 42 do end end))
print(pcall(function() for x in nil do end end))
