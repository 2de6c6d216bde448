-- helper module for package tests: returns a table, counts how often it was loaded
greet_load_count = (greet_load_count or 0) + 1
local M = {}
M.name = ...
function M.hello(who) return "hello, " .. who end
return M
