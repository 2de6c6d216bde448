local function a() return end
local function b() return 1 end
local function c(x) return x end
local function d(x) return x, 1 end
local function e(...) return ... end
local function f(x) return x(1) end
local function g(x) return (x(1)) end
local function h(x) return x:m() end
local function i(x) return 1, x() end
local function j(x) return x.y end
local function k(x) if x then return 1 else return 2 end end
return a, b, c, d, e, f, g, h, i, j, k
