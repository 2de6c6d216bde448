-- float keys that equal integers are normalised; string keys differ from number keys
local t = {}
t[1] = "int"; t[1.0] = "float"; t["1"] = "string"
print(t[1], t["1"], #t)
t[2^0] = "pow"
print(t[1])
t[-0.0] = "negzero"; print(t[0])
t[0.5] = "half"; print(t[0.5], t[1/2])
local keys = {}
for k in pairs(t) do keys[#keys + 1] = type(k) .. ":" .. tostring(k) end
table.sort(keys)
print(table.concat(keys, " "))
print(pcall(function() t[0/0] = 1 end))
print(t[0/0], rawget(t, 0/0))
