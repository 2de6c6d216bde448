-- long brackets: levels, first newline skipped, no escapes, nested brackets
print([[simple]])
print([[
first newline skipped]])
print([==[contains ]] and ]=] inside]==])
print([[no \n escapes \t here]])
local s = [[
line1
line2
]]
print(#s, s)
print([=[
]=] == "", #[=[

]=])
print([[a]] .. [=[b]=] .. [==[c]==])
local t = {[ [[key]] ] = 1}
print(t.key)
