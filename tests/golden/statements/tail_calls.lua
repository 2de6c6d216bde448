-- proper tail calls: a million of them do not overflow the stack
local function loop(n, acc) if n == 0 then return acc end return loop(n - 1, acc + 1) end
print(loop(1000000, 0))
local even, odd
function even(n) if n == 0 then return true end return odd(n - 1) end
function odd(n) if n == 0 then return false end return even(n - 1) end
print(even(1000001), odd(1000001))
local t = setmetatable({}, {__call = function(self, n) if n == 0 then return "done" end return self(n - 1) end})
print(t(100000))
local function notail(n) if n == 0 then return 0 end return (notail(n - 1)) end
print(pcall(notail, 100))
print(select('#', loop(10, 0)))
