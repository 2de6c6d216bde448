-- which operand's metamethod is used: first operand first, then second; strings/numbers use the table's
local A = setmetatable({}, {__add = function() return "A.add" end, __concat = function() return "A.concat" end,
  __eq = function() return "A.eq" end, __lt = function() return true end})
local B = setmetatable({}, {__add = function() return "B.add" end, __concat = function() return "B.concat" end,
  __eq = function() return "B.eq" end, __lt = function() return false end})
print(A + B, B + A, A + 1, 1 + B, A .. B, B .. A, "s" .. A, B .. "s")
print(A == B, B == A, A < B, B < A)
local C = setmetatable({}, {})
print(pcall(function() return C + A end))
print(C + A == "A.add")
