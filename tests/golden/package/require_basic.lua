-- require a module through package.path; second require returns the cached value; dotted names
package.path = "tests/golden/modules/?.lua"
local g = require("greet")
print(g.hello("world"), g.name, greet_load_count)
local g2 = require("greet")
print(g == g2, greet_load_count, package.loaded.greet == g)
local s = require("pkg.sub")
print(s.id, s.args[1], s.args[2])
print(require("noreturn"), package.loaded.noreturn, noreturn_ran)
package.loaded.greet = nil
local g3 = require("greet")
print(g3 == g, greet_load_count)
print(require("string") == string, package.loaded._G == _G, package.loaded.math == math)
