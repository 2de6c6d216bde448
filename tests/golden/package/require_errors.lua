-- require errors: module not found lists every searched path, errors in loading and syntax errors
package.path = "tests/golden/modules/?.lua;tests/golden/modules/?/init.lua"
package.cpath = "tests/golden/modules/?.so"
print(pcall(require, "nope"))
print(pcall(require, "a.b.c"))
print(pcall(require, "failing"))
print(pcall(require, "badsyntax"))
print(package.loaded.failing)
print(pcall(function() return require() end))
