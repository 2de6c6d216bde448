-- line numbers are counted across long strings and comments (checked through error messages)
--[[
a
b
]]
local s = [[
x
y]]
local ok, err = pcall(error, "here", 1)
print(err)
print(debug.getinfo(1, "l").currentline)
local f = load("\n\n\nerror('line4')")
print(pcall(f))
local g = load("local a = [[\n\n]] error('after long string')")
print(pcall(g))
local h = load("x = 1\r\ny = 2\r\nerror('crlf')")
print(pcall(h))
