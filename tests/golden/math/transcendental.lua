-- trig, exp, log functions printed with %.10g so libm last-digit differences do not matter
local function p(...) local out = {} for i = 1, select('#', ...) do out[i] = string.format("%.10g", (select(i, ...))) end print(table.concat(out, " ")) end
p(math.sin(0), math.sin(math.pi / 2), math.sin(1), math.cos(0), math.cos(1), math.tan(1))
p(math.asin(1), math.acos(0), math.atan(1), math.atan2(1, 1), math.atan2(-1, -1), math.atan2(0, -1))
p(math.sinh(1), math.cosh(1), math.tanh(1), math.tanh(100))
p(math.exp(0), math.exp(1), math.exp(-1), math.log(1), math.log(math.exp(2)), math.log(8, 2))
p(math.log(100, 10), math.log10(1000), math.log(0.5), math.log(2, 4))
p(math.deg(math.pi), math.rad(180), math.deg(1))
p(math.frexp(8), select(2, math.frexp(8)), math.ldexp(0.5, 4), math.ldexp(1, -1))
p(math.frexp(0), math.frexp(-3), select(2, math.frexp(-3)))
print(math.log(0), math.log(-1) ~= math.log(-1), math.exp(1000), math.exp(-1000))
print(math.asin(2) ~= math.asin(2), math.acos(2) ~= math.acos(2))
