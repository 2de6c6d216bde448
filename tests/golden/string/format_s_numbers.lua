-- string.format %s and %q of numbers (integral, -0, inf, huge, fractional), strings with NULs, booleans, nil, widths, precisions, __tostring, errors
local vals = {0, -0.0, 1, -1, 3.5, 1e15, 1e100, -1e-300, 1/0, -1/0, 2^53, 123456789012345678, 0.1, "x", "", "a\0b", true, false}
for _, v in ipairs(vals) do
  print(string.format("[%s] [%q] [%10s] [%-8s|] [%.3s]", v, type(v) == "boolean" and "b" or v, v, v, v))
end
print(string.format("%s %s", nil, true))
print(pcall(string.format, "%d %s", 1))
print(pcall(string.format, "%s"))
print(pcall(string.format, "%q", {}))
print(select('#', string.format("%5.1s|", 12345)))
print(string.format("%s", setmetatable({}, {__tostring = function() return "obj" end})))
print(string.format("%s %d %s", 1.5, 3, 2^63))
