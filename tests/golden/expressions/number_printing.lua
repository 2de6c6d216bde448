-- how numbers print with %.14g: large, small, integers past 2^53, inf, nan, -0
local vals = {1e15, 1e16, 1e100, 2^53, 2^53 + 1, 2^63, 0.1, 1/3, 2/3, -0.0, 123456789012345,
  1234567890123456, 1e-5, 1e-4, 0.0001234, 5e-324, 1.7976931348623157e308, 100, 100.0, -5, 3.14159265358979}
for i, v in ipairs(vals) do print(i, v, tostring(v), v .. "") end
print(math.huge, -math.huge, 0/0, -(0/0), math.huge - math.huge, math.sqrt(-1))
print(tostring(0/0) == tostring(0/0), string.format("%.1f", 0/0), string.format("%f", math.huge))
local z = 0 print(-z, 0 * -1, z * -1)
print(string.format("%.14g", 2^63), string.format("%.17g", 0.1), string.format("%.0f", 0.5), string.format("%.0f", 1.5))
