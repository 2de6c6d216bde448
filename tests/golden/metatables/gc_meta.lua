-- __gc on tables (5.2): only honoured if the metatable has __gc when setmetatable is called
local order = {}
do
  local mt = {__gc = function(o) order[#order + 1] = o.name end}
  setmetatable({name = "a"}, mt)
  local late = {}
  setmetatable({name = "b"}, late)
  late.__gc = function(o) order[#order + 1] = "never:" .. o.name end
  local mt2 = {__gc = true}
  local c = setmetatable({name = "c"}, mt2)
  mt2.__gc = function(o) order[#order + 1] = "c-later" end
end
collectgarbage()
collectgarbage()
table.sort(order)
print(#order, table.concat(order, " "))
local resurrect
do setmetatable({name = "r"}, {__gc = function(o) resurrect = o end}) end
collectgarbage()
print(resurrect and resurrect.name)
