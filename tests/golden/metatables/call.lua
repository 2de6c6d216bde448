-- __call: callable tables, arguments including self, multiple returns, nested __call
local callable = setmetatable({name = "c"}, {__call = function(self, a, b) return self.name, a, b end})
print(callable(1, 2))
print(pcall(callable, "p"))
local memo = setmetatable({}, {__call = function(self, n) local v = self[n] if not v then v = n * n self[n] = v end return v end})
print(memo(4), memo(4), rawget(memo, 4))
local mt = {} mt.__call = function(self, ...) return select('#', ...) end
local v = setmetatable({}, mt)
print(v(), v(nil, nil))
print(pcall(setmetatable({}, {}), 1))
for _, x in ipairs{callable} do print((x("loop"))) end
