-- package.preload, package.searchers (5.2 name), package.searchpath, package.config, custom searcher
package.path = "tests/golden/modules/?.lua"
package.preload.virtual = function(name, extra) return {name = name, extra = extra} end
local v = require("virtual")
print(v.name, v.extra)
print(type(package.searchers), #package.searchers, package.loaders == nil)
print(package.searchpath("greet", package.path))
print(package.searchpath("missing", "x/?.lua;y/?.lua"))
print(package.searchpath("a.b", "p/?.x", ".", "_"))
print(package.config:sub(1, 1), #package.config)
table.insert(package.searchers, function(name)
  if name:match("^gen%.") then return function(n) return "generated " .. n end end
  return "\n\tno generator for '" .. name .. "'"
end)
print(require("gen.thing"))
package.path = "none/?.lua" package.cpath = "none/?.so"
print(select(2, pcall(require, "zzz")))
